/** A plain text table for a terminal: columns padded to their widest cell. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A progress line that rewrites itself on a TTY and stays silent elsewhere (logs, pipes). */
export function progressLine(stream: NodeJS.WritableStream & { isTTY?: boolean }): { update(text: string): void; done(): void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  return {
    update(text) {
      if (!tty) return;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
