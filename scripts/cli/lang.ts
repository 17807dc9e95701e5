// The CLI's language, chosen once per command: `--lang zh-CN|en`, else CEA_LANG, else the
// config's `language` (the profile's default, zh-CN for both shipped profiles), else
// English when the command has no config (agent/i18n/index.ts cliLanguage). Every command
// accepts --lang: the dispatcher lifts it out of argv into the command's environment
// (so commands whose options do not name it still honour it), and parseCommandArgs
// accepts it too (so a command run in-process with --lang works the same).
// --json output never depends on the language: it is the machine contract.
import { cliLanguage, parseLanguage, type Language } from '../../agent/i18n/index.js';
import { UsageError, type CommandIo } from './command.js';

/** The option every command accepts (merged into its parseArgs options). */
export const LANG_OPTION = { lang: { type: 'string' } } as const;

/** A --lang value, checked: zh, zh-CN, en, en-US … ; anything else is a usage error. */
export function checkedLanguage(text: string | undefined): Language | undefined {
  if (text === undefined) return undefined;
  const lang = parseLanguage(text);
  if (lang === null) throw new UsageError(`--lang must be zh-CN or en, not "${text}"`);
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
