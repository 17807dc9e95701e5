// The CLI's language, chosen once per command: `--lang zh-CN|en`, else CEA_LANG, else the
// config's `language` (the profile's default, zh-CN for both shipped profiles), else
// English when the command has no config (agent/i18n/index.ts cliLanguage). Every command
// accepts --lang: the dispatcher lifts it out of argv into the command's environment
// (so commands whose options do not name it still honour it), and parseCommandArgs
// accepts it too (so a command run in-process with --lang works the same).
// --json output never depends on the language: it is the machine contract.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../../agent/config/index.js';
import { cliCatalog, type CliCatalog } from '../../agent/i18n/cli.js';
import { cliLanguage, parseLanguage, translator, type Language } from '../../agent/i18n/index.js';
import { UsageError, type CommandIo } from './command.js';

/** The option every command accepts (merged into its parseArgs options). */
export const LANG_OPTION = { lang: { type: 'string' } } as const;

/** A --lang value, checked: zh, zh-CN, en, en-US … ; anything else is a usage error. */
export function checkedLanguage(text: string | undefined): Language | undefined {
  if (text === undefined) return undefined;
  const lang = parseLanguage(text);
  if (lang === null) throw usageError('err.lang', { value: text });
  return lang;
}

/**
 * Removes every `--lang X` / `--lang=X` from argv. Stops at `--` (what follows is
 * positional). A --lang without a value is left for the command to reject.
 */
export function liftLanguage(argv: readonly string[]): { argv: string[]; lang: Language | undefined } {
  const out: string[] = [];
  let lang: Language | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--lang=')) {
      lang = checkedLanguage(a.slice('--lang='.length));
      continue;
    }
    if (a === '--lang' && i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) {
      lang = checkedLanguage(argv[i + 1]);
      i++;
      continue;
    }
    out.push(a);
  }
  return { argv: out, lang };
}

/** The command's environment with the flag's choice in CEA_LANG (the flag wins over the env). */
export function withLanguage(io: CommandIo, lang: Language | undefined): CommandIo {
  return lang === undefined ? io : { ...io, env: { ...io.env, CEA_LANG: lang } };
}

/** The language of one command's human output. */
export function commandLanguage(io: CommandIo, flag: string | undefined, config?: { language: Language } | null): Language {
  return cliLanguage({ flag: checkedLanguage(flag), env: io.env, config: config?.language });
}

type Params<K extends keyof CliCatalog> = CliCatalog[K]['en'] extends (p: infer P) => string ? [P] : [];

/** A usage error in both languages, from the CLI catalog; the dispatcher shows the reader's. */
export function usageError<K extends keyof CliCatalog>(key: K, ...params: Params<K>): UsageError {
  const say = (lang: Language) => (translator(cliCatalog, lang) as unknown as (k: K, ...p: Params<K>) => string)(key, ...params);
  return new UsageError(say('en'), say('zh-CN'));
}

/**
 * The language of the dispatcher's own texts (help, usage errors), which run before or
 * outside any command: --lang / CEA_LANG, else the language of the config the command
 * would read (--config FILE, else config/agent.yaml in the working directory) when it
 * loads, else English. Read quietly: a broken config is the command's to report.
 */
export function dispatcherLanguage(argv: readonly string[], io: CommandIo): Language {
  const env = cliLanguage({ env: io.env, config: undefined });
  if (parseLanguage(io.env.CEA_LANG) !== null) return env;
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  const named = i < 0 ? undefined : argv[i]?.startsWith('--config=') ? argv[i]?.slice('--config='.length) : argv[i + 1];
  const file = named ?? (existsSync(join(io.cwd, 'config/agent.yaml')) ? 'config/agent.yaml' : undefined);
  if (file === undefined) return 'en';
  try {
    const loaded = loadConfigFile(resolve(io.cwd, file), { env: io.env, cwd: io.cwd });
    return loaded.ok ? loaded.config.language : 'en';
  } catch {
    return 'en';
  }
}
