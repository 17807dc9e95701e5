import { resolve } from 'node:path';
import { requestRelearn } from '../../agent/clarity/service.js';
import { formatConfigIssue, loadConfigFile } from '../../agent/config/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';

export const clarityCommand: Command = {
  name: 'clarity',
  summary: "operator actions on clarity monitoring (relearn a camera's normal picture after re-aiming it)",
  usage: 'clarity relearn CAMERA…|--all [--config FILE] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } });
    const [action, ...ids] = positionals;
    if (action !== 'relearn') throw new UsageError(`unknown action '${action ?? ''}' (relearn)`);
    if (!values.all && ids.length === 0) throw usageError('err.nameCameras');
    const loaded = loadConfigFile(resolve(io.cwd, values.config ?? 'config/agent.yaml'), { env: io.env, cwd: io.cwd });
    if (!loaded.ok) {
      for (const e of loaded.errors) io.stderr.write(`${formatConfigIssue(e)}\n`);
      return EXIT_USAGE;
    }
    const known = new Set(loaded.config.cameras.map((c) => c.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw usageError('err.noSuchCamera', { ids: unknown.join(', ') });
    const cameras = values.all ? [...known] : ids;
    const { db } = openStore(loaded.config.database, { migrations, now: () => new Date() });
    try {
      const at = new Date();
      for (const id of cameras) requestRelearn(db, id, at);
    } finally {
      db.close();
    }
    if (values.json) printJson(io, { relearn: cameras });
    else io.stdout.write(`${translator(cliCatalog, commandLanguage(io, values.lang, loaded.config))('clarity.relearn', { cameras: cameras.join(', ') })}\n`);
    return EXIT_OK;
  },
};
