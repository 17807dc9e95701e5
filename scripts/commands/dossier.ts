import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatConfigIssue, loadConfigFile, type AgentConfig } from '../../agent/config/index.js';
import { gatherDossier } from '../../agent/filing/gather.js';
import type { Dossier } from '../../agent/filing/policy.js';
import { missingLines, renderDossierHtml, renderDossierMarkdown } from '../../agent/filing/render.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { dossierCatalog } from '../../agent/i18n/dossier.js';
import { cliLanguage, translator } from '../../agent/i18n/index.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { checkedLanguage, commandLanguage, usageError } from '../cli/lang.js';

/**
 * --config FILE, else config/agent.yaml in the working directory; null (after printing why)
 * on a config error. The framing follows --lang / CEA_LANG, then the config's language
 * (English when the config did not load); the issues themselves are the validator's.
 */
export function loadCommandConfig(name: string, file: string | undefined, io: CommandIo, langFlag?: string): AgentConfig | null {
  const chosen = file ?? (existsSync(join(io.cwd, 'config/agent.yaml')) ? 'config/agent.yaml' : undefined);
  if (chosen === undefined) throw usageError('err.noConfig');
  const loaded = loadConfigFile(resolve(io.cwd, chosen), { env: io.env, cwd: io.cwd });
  const t = translator(cliCatalog, cliLanguage({ flag: checkedLanguage(langFlag), env: io.env, config: loaded.ok ? loaded.config.language : undefined }));
  for (const w of loaded.warnings) io.stderr.write(`${t('warning')}${formatConfigIssue(w)}\n`);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.stderr.write(`${formatConfigIssue(e)}\n`);
    io.stderr.write(`${t('config.errors', { name, count: loaded.errors.length, file: chosen })}\n`);
    return null;
  }
  return loaded.config;
}

/** --now ISO (tests, re-creating a past dossier), else the clock. */
export function commandNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) throw usageError('err.now', { value: text });
  return new Date(t);
}

/** The agent's database, read only; null with the reason when it does not exist (yet) or cannot be read. */
export function openDatabaseReadOnly(file: string, now: Date): { db: Database | null; problem: string | null } {
  // Checked first: a read-only open must not create the file (or its directory).
  if (!existsSync(file)) return { db: null, problem: `no database yet at ${file}` };
  try {
    return { db: openStore(file, { migrations, now: () => now, readonly: true }).db, problem: null };
  } catch (err) {
    return { db: null, problem: `the database ${file} cannot be read: ${(err as Error).message}` };
  }
}

/**
 * `cea dossier`: the filing dossier (Liaoning Art. 12, Datong Art. 15) from the config, the
 * inventory and the documents. Markdown (default) or A4 HTML on stdout in the chosen
 * language; --out DIR writes the .md, a print-ready .html and the .json; --json prints
 * the JSON, which no language changes.
 */
export const dossierCommand: Command = {
  name: 'dossier',
  summary: 'the filing dossier: equipment from ONVIF, documents with SHA-256, filing deadline and status',
  usage: 'dossier [--config FILE] [--format markdown|html] [--json] [--out DIR] [--now ISO] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { config: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, now: { type: 'string' }, format: { type: 'string' } },
      false,
    );
    const format = values.format ?? 'markdown';
    if (format !== 'markdown' && format !== 'html') throw usageError('err.format', { allowed: 'markdown, html', value: format });
    if (values.json && values.format !== undefined) throw new UsageError('--json and --format contradict each other');
    const now = commandNow(values.now);
    const config = loadCommandConfig('dossier', values.config, io, values.lang);
    if (!config) return EXIT_USAGE;
    const lang = commandLanguage(io, values.lang, config);

    const { db, problem } = openDatabaseReadOnly(config.database, now);
    let dossier: Dossier;
    try {
      dossier = await gatherDossier(config, db, problem, now);
    } finally {
      db?.close();
    }
    const markdown = renderDossierMarkdown(dossier, lang);
    const html = renderDossierHtml(dossier, lang);

    if (values.out !== undefined) {
      const dir = resolve(io.cwd, values.out);
      mkdirSync(dir, { recursive: true });
      const base = join(dir, `dossier-${dossier.site.id}-${dossier.today.replace(/-/g, '')}`);
      writeFileSync(`${base}.md`, markdown);
      writeFileSync(`${base}.html`, html);
      writeFileSync(`${base}.json`, `${JSON.stringify(dossier, null, 2)}\n`);
      // With --json stdout carries only the dossier; the paths go to stderr.
      (values.json ? io.stderr : io.stdout).write(`${base}.md\n${base}.html\n${base}.json\n`);
    }
    if (values.json) printJson(io, dossier);
    else if (values.out === undefined) io.stdout.write(format === 'html' ? html : markdown);

    if (!dossier.complete && !values.json) {
      const t = translator(dossierCatalog, lang);
      io.stderr.write(`${t('cli.incomplete', { n: dossier.missing.length })}\n${missingLines(dossier, lang).map((l) => `  ${l}\n`).join('')}`);
    }
    return dossier.complete ? EXIT_OK : EXIT_FINDINGS;
  },
};
