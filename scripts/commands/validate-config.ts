import { isAbsolute, relative, resolve } from 'node:path';
import { loadConfigFile, formatConfigIssue, type ConfigIssue } from '../../agent/config/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';

const toJson = (i: ConfigIssue) => ({ file: i.file, line: i.line, column: i.column, path: i.path, message: i.message });

/** Human output names files as the user would type them: relative to the working directory when below it. */
function shortFile(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** `cea validate-config F`: schema and semantic checks, without starting anything. */
export const validateConfigCommand: Command = {
  name: 'validate-config',
  summary: 'check a config file (schema, legal floor, secrets, files) and report file:line:col',
  usage: 'validate-config FILE [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'err.missingFile' : 'err.oneFile');
    const file = positionals[0] ?? '';
    const result = loadConfigFile(file, { env: io.env, cwd: io.cwd });
    const errors = result.ok ? [] : result.errors;

    if (values.json) {
      printJson(io, { ok: result.ok, file: resolve(io.cwd, file), errors: errors.map(toJson), warnings: result.warnings.map(toJson) });
    } else {
      // The framing follows --lang / CEA_LANG, else the language of the file when it is valid;
      // the issues' own messages are the validator's (English).
      const t = translator(cliCatalog, commandLanguage(io, values.lang, result.ok ? result.config : null));
      const line = (i: ConfigIssue, prefix = '') =>
        `${formatConfigIssue({ ...i, file: shortFile(i.file, io.cwd), message: prefix + i.message })}\n`;
      for (const e of errors) io.stdout.write(line(e));
      for (const w of result.warnings) io.stdout.write(line(w, t('warning')));
      const counts = { file, errors: errors.length, warnings: result.warnings.length };
      io.stdout.write(`${t(result.ok ? 'validate.valid' : 'validate.invalid', counts)}\n`);
    }
    // A config error is exit 2 (DESIGN: 2 = usage or config error); warnings do not fail.
    return result.ok ? EXIT_OK : EXIT_USAGE;
  },
};
