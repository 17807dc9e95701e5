import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFile, formatConfigIssue } from '../../agent/config/index.js';
import type { AgentConfig, ConfigIssue } from '../../agent/config/types.js';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { agentVersion } from '../../agent/version.js';
import { createSdNotifier } from '../../drivers/host/sd-notify.js';
import { createLogger, type Logger } from '../../drivers/log/logger.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { cliLanguage, translator, type Language } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { checkedLanguage, commandLanguage } from '../cli/lang.js';
import { EXIT_USAGE, type Command, type CommandIo } from '../cli/command.js';
import { startDemo, type Demo } from '../demo.js';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent (without --config: config/agent.yaml if present, else the built-in demo)',
  usage: 'run [--config FILE] [--log-level LEVEL] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string' },
      'log-level': { type: 'string' },
      json: { type: 'boolean' },
    }, false);
    const logger = createLogger({ destination: io.stdout, level: values['log-level'] ?? io.env.CEA_LOG_LEVEL ?? 'info' });
    const configFile = values.config ?? (existsSync(join(io.cwd, 'config/agent.yaml')) ? 'config/agent.yaml' : null);

    let demo: Demo | null = null;
    let config: AgentConfig;
    let warnings: ConfigIssue[];
    if (configFile) {
      const loaded = loadConfigFile(resolve(io.cwd, configFile), { env: io.env, cwd: io.cwd });
      if (!loaded.ok) {
        for (const e of loaded.errors) io.stderr.write(`${formatConfigIssue(e)}\n`);
        const t = translator(cliCatalog, cliLanguage({ flag: checkedLanguage(values.lang), env: io.env }));
        io.stderr.write(`${t('run.nothingStarted', { count: loaded.errors.length, file: configFile })}\n`);
        return EXIT_USAGE;
      }
      config = loaded.config;
      warnings = loaded.warnings;
    } else {
      logger.info('no config given and no config/agent.yaml: starting the built-in demo (embedded broker, simulated cameras)');
      demo = await startDemo({ cwd: io.cwd, env: io.env, logger: logger.child({ component: 'simulator' }) });
      config = demo.config;
      warnings = demo.warnings;
    }
    for (const w of warnings) logger.warn(formatConfigIssue(w));

    installCrashHandlers(logger);
    let agent: RunningAgent;
    try {
      const notifier = createSdNotifier({ env: io.env, pid: process.pid, logger: logger.child({ component: 'systemd' }) });
      agent = await startAgent({ config, logger, now: () => new Date(), agentVersion: agentVersion(), notifier });
    } catch (err) {
      logger.fatal({ err }, 'the agent could not start');
      await demo?.stop();
      return 1;
    }
    logger.info({ site: config.site.id, cameras: config.cameras.length, config: config.source }, 'agent running');
    // The banner is for the person at the terminal; the log lines stay English (journal, machines).
    if (demo) printDemoHints(io, config, agent, commandLanguage(io, values.lang, config), demo);

    await waitForShutdownSignal(logger);
    const signalledAt = Date.now();
    await agent.stop('signal');
    await demo?.stop();
    // Ctrl-C reaches npm, the shell and us within milliseconds, often more than once. A
    // duplicate that lands while Node is exiting (its handlers already reset) would kill us
    // with SIGINT instead of exit 0: stay a moment so duplicates find the handler.
    const settle = 250 - (Date.now() - signalledAt);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    // Everything is stopped and stored. A request to a hung camera may still hold a socket
    // until its own deadline; it must not hold up the exit (the contract is 5 s).
    setTimeout(() => {
      logger.debug('requests still open after shutdown; exiting anyway');
      process.exit(0);
    }, 500).unref();
    return 0;
  },
};

function printDemoHints(io: CommandIo, config: AgentConfig, agent: RunningAgent, lang: Language, demo: Demo | null = null): void {
  const t = translator(cliCatalog, lang);
  const url = new URL(agent.brokerUrl ?? config.mqtt.url);
  const portFlag = url.port === '1883' ? '' : ` -p ${url.port}`;
  io.stdout.write(
    [
      '',
      t('run.demo', { site: config.site.id, cameras: config.cameras.length }),
      t('run.watch'),
      `    npx mqtt sub -h 127.0.0.1${portFlag} -t 'psv/v1/${config.site.id}/#' -v`,
      `    mosquitto_sub -h 127.0.0.1${portFlag} -t 'psv/v1/${config.site.id}/#' -v`,
      ...(demo ? [t('run.console', { url: demo.console.url, user: demo.console.user, password: demo.console.password })] : []),
      t('run.stop'),
      '',
    ].join('\n') + '\n',
  );
}

/**
 * Resolves on the first SIGINT/SIGTERM/SIGHUP, or when the parent process goes away.
 * Later signals are ignored: npm and the shell forward Ctrl-C more than once, and a second
 * signal must not cut the shutdown short. A parent that dies without forwarding the signal
 * (npm does that with SIGTERM) would leave the agent orphaned and still holding the port.
 */
function waitForShutdownSignal(logger: Logger): Promise<void> {
  return new Promise((resolvePromise) => {
    let received = false;
    const finish = (why: Record<string, unknown>): void => {
      if (received) {
        logger.debug(why, 'already stopping');
        return;
      }
      received = true;
      clearInterval(orphanCheck);
      logger.info(why, 'shutdown requested');
      resolvePromise();
    };
    for (const s of SHUTDOWN_SIGNALS) process.on(s, (signal) => finish({ signal }));
    const parent = process.ppid;
    // Under systemd the parent is PID 1 and never changes; under npm it is npm.
    const orphanCheck = setInterval(() => {
      if (parent !== 1 && process.ppid !== parent) finish({ reason: 'parent process exited' });
    }, 1000);
    orphanCheck.unref();
  });
}

/** An exception nobody handled means the agent's state is unknown: log it and let systemd restart us. */
function installCrashHandlers(logger: Logger): void {
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, 'unexpected exception; exiting so the service manager restarts the agent');
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting so the service manager restarts the agent');
    process.exit(70);
  });
}
