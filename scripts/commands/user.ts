import { AccountError, AccountStore, isRole, nameProblem } from '../../agent/console/accounts.js';
import { hashPassword, MIN_PASSWORD_LENGTH, passwordProblem } from '../../agent/console/password.js';
import { consoleAuthTexts } from '../../agent/i18n/console-auth.js';
import { formatDateTime, isLanguage, translator } from '../../agent/i18n/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { commandLanguage } from '../cli/lang.js';
import { renderTable } from '../cli/table.js';
import { loadCommandConfig } from './dossier.js';

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };

/**
 * The password from standard input: the first line of a pipe (`printf %s "$PW" | cea user
 * add …`), or typed at a terminal without echo. Never an argument: those land in shell
 * history and in `ps`.
 */
export async function readPassword(input: Input, prompt: NodeJS.WritableStream, promptText: string): Promise<string> {
  if (input.isTTY && input.setRawMode) return readHidden(input, prompt, promptText);
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > 64 * 1024) break;
  }
  return (text.split(/\r?\n/)[0] ?? '');
}

function readHidden(input: Input, prompt: NodeJS.WritableStream, promptText: string): Promise<string> {
  prompt.write(promptText);
  input.setRawMode?.(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err: Error | null): void => {
      input.setRawMode?.(false);
      input.pause();
      input.off('data', onData);
      prompt.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** `cea user add|list|remove`: the operator accounts of the web console, in the agent's database. */
export const userCommand: Command = {
  name: 'user',
  summary: 'operator accounts of the web console: add (password from stdin), list, remove',
  usage:
    'user add NAME --role viewer|operator|admin --password-stdin [--language zh-CN|en] [--update] [--config FILE] [--json] [--lang zh-CN|en]\n' +
    '       cea user list [--config FILE] [--json] [--lang zh-CN|en]\n' +
    '       cea user remove NAME [--config FILE] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      language: { type: 'string' },
      update: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const [verb, ...rest] = positionals;
    if (verb !== 'add' && verb !== 'list' && verb !== 'remove') {
      throw new UsageError(verb === undefined ? 'missing sub-command (add, list or remove)' : `unknown sub-command "${verb}" (expected add, list or remove)`);
    }
    if (verb === 'list' ? rest.length !== 0 : rest.length !== 1) throw new UsageError(verb === 'list' ? `unexpected argument "${rest.join(' ')}"` : `${verb} takes one user name`);
    const name = rest[0] ?? '';
    if (verb === 'add') {
      const problem = nameProblem(name);
      if (problem) throw new UsageError(problem);
      if (!isRole(values.role)) throw new UsageError('--role must be viewer, operator or admin');
      if (values.language !== undefined && !isLanguage(values.language)) throw new UsageError('--language must be zh-CN or en');
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required: the password is read from standard input, never from the command line');
    }
    const config = loadCommandConfig('user', values.config, io, values.lang);
    if (!config) return EXIT_USAGE;
    const t = translator(consoleAuthTexts, commandLanguage(io, values.lang, config));
    let password = '';
    if (verb === 'add') {
      password = await readPassword(((io as CommandIo & { stdin?: Input }).stdin ?? process.stdin) as Input, io.stderr, t('cli.prompt'));
      const weak = passwordProblem(password);
      if (weak) {
        io.stderr.write(`cea user: ${weak === 'empty' ? t('cli.passwordEmpty') : weak === 'short' ? t('cli.passwordShort', { min: MIN_PASSWORD_LENGTH }) : t('cli.passwordLong')}\n`);
        return EXIT_USAGE;
      }
    }
    // The store's own open: migrations run, so this works before the agent ever ran; WAL
    // and the busy timeout let it write while the agent runs.
    const { db } = openStore(config.database, { migrations, now: () => new Date() });
    try {
      const store = new AccountStore(db);
      if (verb === 'list') {
        const users = store.list();
        if (values.json) {
          printJson(io, {
            users: users.map((u) => ({ name: u.name, role: u.role, language: u.language, created: new Date(u.createdMs).toISOString(), updated: new Date(u.updatedMs).toISOString() })),
          });
        } else if (users.length === 0) io.stdout.write(`${t('cli.none')}\n`);
        else {
          io.stdout.write(
            `${renderTable(
              t('cli.headers').split('|'),
              users.map((u) => [u.name, u.role, u.language ?? t('cli.consoleDefault'), formatDateTime(u.updatedMs, config.site.timezone)]),
            )}\n`,
          );
        }
        return EXIT_OK;
      }
      if (verb === 'add') {
        const passwordHash = await hashPassword(password);
        const { created } = store.put(
          { name, role: values.role as 'viewer' | 'operator' | 'admin', passwordHash, language: isLanguage(values.language) ? values.language : null },
          Date.now(),
          { update: values.update ?? false },
        );
        if (values.json) printJson(io, { user: { name, role: values.role, language: values.language ?? null }, created });
        else io.stdout.write(`${t(created ? 'cli.added' : 'cli.updated', { name, role: values.role ?? '' })}\n`);
        return EXIT_OK;
      }
      store.remove(name);
      const admins = store.list().filter((u) => u.role === 'admin').length;
      if (values.json) printJson(io, { removed: name, adminsLeft: admins });
      else io.stdout.write(`${t('cli.removed', { name })}\n`);
      if (admins === 0) io.stderr.write(`${t('cli.noAdminLeft')}\n`);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof AccountError) {
        if (values.json) printJson(io, { error: { code: err.code, message: err.message } });
        io.stderr.write(`cea user: ${err.message}\n`);
        return EXIT_FINDINGS;
      }
      throw err;
    } finally {
      db.close();
    }
  },
};
