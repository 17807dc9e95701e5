// RFC 4180 CSV of register rows, for the spreadsheet the filing authority or the operator
// opens. UTF-8 with a BOM, because Excel otherwise reads UTF-8 Chinese text as GBK
// mojibake; CRLF line ends as the RFC says. Pure.
//
// Two headers: `labels` (the default) names the columns in the reader's language and
// shows a row's kind and state in words, for people; `keys` is the stable machine
// format — the English keys of REGISTER_COLUMNS and the raw codes, the same as the JSON
// export's — for scripts that parse the CSV. The column order is the same in both.
import { formatDateTime, translator, type Language } from '../i18n/index.js';
import { registerCatalog } from '../i18n/register.js';
import { REGISTER_COLUMNS, type RegisterRow } from './rows.js';

const BOM = '\uFEFF';

export type CsvHeaders = 'labels' | 'keys';

export interface CsvOptions {
  /** Default labels. */
  headers?: CsvHeaders;
  /** The language of the labels (labels only). Default en. */
  lang?: Language;
  /** Labels only: the site's time zone, in which times are shown (YYYY-MM-DD HH:mm:ss); without it they stay ISO. */
  timeZone?: string;
}

/**
 * A text starting with = + - @ (or a tab/CR) is run as a formula by spreadsheets, and
 * some values come from outside (a camera's firmware string, a requester's purpose):
 * such a cell gets a leading apostrophe. Numbers stay numbers. The JSON export keeps
 * every string exact.
 */
function neutralised(text: string): string {
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) return `'${text}`;
  return text;
}

function field(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) text = value.join(';');
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = neutralised(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The column names of the header row. */
export function registerHeaders(headers: CsvHeaders, lang: Language): string[] {
  if (headers === 'keys') return [...REGISTER_COLUMNS];
  const t = translator(registerCatalog, lang);
  return REGISTER_COLUMNS.map((c) => t(`column.${c}`));
}

const TIME_COLUMNS = ['time', 'reportedAt', 'acknowledgedAt'] as const;

/** A row as people read it: kind and state in words (an unknown state keeps its code), times in the site's zone. */
function labelled(row: RegisterRow, lang: Language, timeZone: string | undefined): RegisterRow {
  const t = translator(registerCatalog, lang);
  let state = row.state;
  if (state !== null) {
    const key = `state.${state}`;
    if (state.startsWith('refused:')) state = t('state.refused', { reason: state.slice('refused:'.length) });
    else if (key in registerCatalog && key !== 'state.refused') state = t(key as Exclude<keyof typeof registerCatalog & `state.${string}`, 'state.refused'>);
  }
  const out: RegisterRow = { ...row, kind: t(`kind.${row.kind}`) as RegisterRow['kind'], state };
  if (timeZone !== undefined) {
    for (const c of TIME_COLUMNS) {
      const ms = out[c] === null ? NaN : Date.parse(out[c]);
      if (!Number.isNaN(ms)) out[c] = formatDateTime(ms, timeZone, { seconds: true });
    }
  }
  return out;
}

export function registerCsv(rows: readonly RegisterRow[], opts: CsvOptions = {}): string {
  const headers = opts.headers ?? 'labels';
  const lang = opts.lang ?? 'en';
  const shown = headers === 'keys' ? rows : rows.map((r) => labelled(r, lang, opts.timeZone));
  const lines = [registerHeaders(headers, lang).map(field).join(','), ...shown.map((r) => REGISTER_COLUMNS.map((c) => field(r[c])).join(','))];
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
