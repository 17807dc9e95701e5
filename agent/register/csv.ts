// RFC 4180 CSV of register rows, for the spreadsheet the filing authority or the operator
// opens. UTF-8 with a BOM, because Excel otherwise reads UTF-8 Chinese text as GBK
// mojibake; CRLF line ends as the RFC says. Pure.
import { REGISTER_COLUMNS, type RegisterRow } from './rows.js';

const BOM = '\uFEFF';

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

export function registerCsv(rows: readonly RegisterRow[]): string {
  const lines = [REGISTER_COLUMNS.join(','), ...rows.map((r) => REGISTER_COLUMNS.map((c) => field(r[c])).join(','))];
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
