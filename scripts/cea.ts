import { cliCatalog } from '../agent/i18n/cli.js';
import { translator, type Language } from '../agent/i18n/index.js';
import { commands } from './commands/index.js';
import { EXIT_USAGE, UsageError, type CommandIo } from './cli/command.js';
import { dispatcherLanguage, liftLanguage, withLanguage } from './cli/lang.js';

function usage(lang: Language): string {
  const t = translator(cliCatalog, lang);
  const summary = (name: string, fallback: string): string => {
    const key = `summary.${name}`;
    return key in cliCatalog ? t(key as keyof typeof cliCatalog & `summary.${string}`) : fallback;
  };
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${summary(c.name, c.summary)}`);
  return [t('usage.head'), '', t('usage.commands'), ...lines, '', t('usage.more')].join('\n');
}

export async function main(argv: string[], baseIo: CommandIo = processIo()): Promise<number> {
  // --lang may stand anywhere (`cea --lang en dossier`, `cea dossier --lang en`); it reaches
  // the command as CEA_LANG, which outranks the config's language.
  let lifted: ReturnType<typeof liftLanguage>;
  try {
    lifted = liftLanguage(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    baseIo.stderr.write(`cea: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const io = withLanguage(baseIo, lifted.lang);
  const [name, ...rest] = lifted.argv;
  // Help and usage errors: the flag, CEA_LANG, else the language of the config the command
  // would read. Only worked out when needed: it may read the config.
  const say = () => {
    const lang = dispatcherLanguage(rest, io);
    return { lang, t: translator(cliCatalog, lang) };
  };
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(`${usage(say().lang)}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const { lang, t } = say();
    io.stderr.write(`${t('usage.unknown', { name })}\n\n${usage(lang)}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${say().t('usage.line', { usage: command.usage })}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      const { lang, t } = say();
      const message = lang === 'zh-CN' && err.zh !== undefined ? err.zh : err.message;
      io.stderr.write(`cea ${name}${lang === 'zh-CN' ? '：' : ': '}${message}\n${t('usage.line', { usage: command.usage })}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
