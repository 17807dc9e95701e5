// Charts as server-rendered inline SVG: no script, no library, readable without colour
// (each chart has a text title and a table or legend beside it), scales to the width.
import { escapeHtml, trusted, type Html } from './html.js';

export interface Series {
  label: string;
  /** CSS class of the line: s1, s2, s3 … (colours in console.css). */
  cls: string;
  points: { x: number; y: number }[];
}

export interface Tick {
  at: number;
  label: string;
}

const W = 640;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };

function fmt(n: number): string {
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

/** A time-series line chart; gaps longer than `gapMs` break the line (no data is not a straight line). */
export function lineChart(opts: { title: string; fromMs: number; toMs: number; series: Series[]; ticks: Tick[]; yMin?: number; yMax?: number; gapMs?: number }): Html {
  const all = opts.series.flatMap((s) => s.points.map((p) => p.y));
  let yMin = opts.yMin ?? (all.length ? Math.min(...all) : 0);
  let yMax = opts.yMax ?? (all.length ? Math.max(...all) : 1);
  if (yMax <= yMin) {
    yMax = yMin + 1;
    yMin -= 0;
  }
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (ms: number) => PAD.left + ((ms - opts.fromMs) / (opts.toMs - opts.fromMs)) * iw;
  const y = (v: number) => PAD.top + ih - ((v - yMin) / (yMax - yMin)) * ih;
  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}"/>`);
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
    parts.push(`<text class="axis" x="${PAD.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const tk of opts.ticks) {
    const tx = x(tk.at).toFixed(1);
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${PAD.top}" y2="${PAD.top + ih}"/>`);
    parts.push(`<text class="axis" x="${tx}" y="${H - 8}" text-anchor="middle">${escapeHtml(tk.label)}</text>`);
  }
  const gap = opts.gapMs ?? Infinity;
  for (const s of opts.series) {
    let d = '';
    let prev: number | null = null;
    for (const p of s.points) {
      const cmd = prev === null || p.x - prev > gap ? 'M' : 'L';
      d += `${cmd}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`;
      prev = p.x;
    }
    if (d) parts.push(`<path class="line ${s.cls}" d="${d}"><title>${escapeHtml(s.label)}</title></path>`);
    if (s.points.length === 1) {
      const p = s.points[0] as { x: number; y: number };
      parts.push(`<circle class="dot ${s.cls}" cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3"/>`);
    }
  }
  const legend = opts.series.map((s) => `<span class="key ${s.cls}">${escapeHtml(s.label)}</span>`).join(' ');
  return trusted(
    `<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(opts.title)}">${parts.join('')}</svg><figcaption>${escapeHtml(opts.title)} ${legend}</figcaption></figure>`,
  );
}

/** Online / offline / unknown as coloured bands over [fromMs, toMs); the times before the ledger are unknown. */
export function timeline(opts: { title: string; fromMs: number; toMs: number; intervals: { state: string; startMs: number; endMs: number | null }[]; nowMs: number; ticks: Tick[]; labels: Record<string, string> }): Html {
  // Full-width bands: a wider box keeps the labels at text size.
  const w = 1200;
  const h = 54;
  const left = 4;
  const right = 4;
  const iw = w - left - right;
  const x = (ms: number) => left + ((Math.min(Math.max(ms, opts.fromMs), opts.toMs) - opts.fromMs) / (opts.toMs - opts.fromMs)) * iw;
  const parts: string[] = [`<rect class="state-unknown" x="${left}" y="6" width="${iw}" height="24"/>`];
  for (const i of opts.intervals) {
    const x1 = x(i.startMs);
    const x2 = x(i.endMs ?? opts.nowMs);
    if (x2 - x1 <= 0) continue;
    parts.push(`<rect class="state-${escapeHtml(i.state)}" x="${x1.toFixed(2)}" y="6" width="${Math.max(0.5, x2 - x1).toFixed(2)}" height="24"/>`);
  }
  for (const tk of opts.ticks) parts.push(`<text class="axis" x="${x(tk.at).toFixed(1)}" y="${h - 6}" text-anchor="middle">${escapeHtml(tk.label)}</text>`);
  const legend = Object.entries(opts.labels)
    .map(([state, label]) => `<span class="key state-${escapeHtml(state)}">${escapeHtml(label)}</span>`)
    .join(' ');
  return trusted(
    `<figure class="chart timeline"><svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(opts.title)}">${parts.join('')}</svg><figcaption>${escapeHtml(opts.title)} ${legend}</figcaption></figure>`,
  );
}

/** Horizontal bars against a floor line: days retainable (or recorded) vs the legal floor. */
export function daysBars(opts: { title: string; rows: { label: string; days: number | null; cls?: string }[]; floorDays: number; marginDays?: number; floorLabel: string; marginLabel?: string }): Html {
  const rowH = 26;
  const labelW = 190;
  const w = 1000;
  const h = opts.rows.length * rowH + 30;
  const maxDays = Math.max(opts.floorDays + (opts.marginDays ?? 0), ...opts.rows.map((r) => r.days ?? 0)) * 1.1 || 1;
  const iw = w - labelW - 50;
  const x = (d: number) => labelW + (d / maxDays) * iw;
  const parts: string[] = [];
  opts.rows.forEach((r, i) => {
    const y = 6 + i * rowH;
    parts.push(`<text class="axis" x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label)}</text>`);
    const d = r.days ?? 0;
    const short = r.days !== null && r.days < opts.floorDays;
    parts.push(`<rect class="bar ${short ? 'short' : 'ok'} ${r.cls ?? ''}" x="${labelW}" y="${y + 3}" width="${Math.max(1, x(d) - labelW).toFixed(1)}" height="${rowH - 10}"/>`);
    parts.push(`<text class="axis" x="${(x(d) + 4).toFixed(1)}" y="${y + 15}">${r.days === null ? '—' : d.toFixed(1)}</text>`);
  });
  const fy2 = 6 + opts.rows.length * rowH;
  parts.push(`<line class="floor" x1="${x(opts.floorDays).toFixed(1)}" x2="${x(opts.floorDays).toFixed(1)}" y1="2" y2="${fy2}"/>`);
  parts.push(`<text class="axis floor-label" x="${x(opts.floorDays).toFixed(1)}" y="${fy2 + 14}" text-anchor="middle">${escapeHtml(opts.floorLabel)} ${opts.floorDays}</text>`);
  if (opts.marginDays) {
    const mx = x(opts.floorDays + opts.marginDays).toFixed(1);
    parts.push(`<line class="margin" x1="${mx}" x2="${mx}" y1="2" y2="${fy2}"/>`);
  }
  return trusted(
    `<figure class="chart"><svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(opts.title)}">${parts.join('')}</svg><figcaption>${escapeHtml(opts.title)}${opts.marginLabel ? ` <span class="key margin">${escapeHtml(opts.marginLabel)}</span>` : ''} <span class="key floor">${escapeHtml(opts.floorLabel)}</span></figcaption></figure>`,
  );
}

/** Evenly spaced time ticks with labels from `label`. */
export function timeTicks(fromMs: number, toMs: number, count: number, label: (ms: number) => string): Tick[] {
  const out: Tick[] = [];
  for (let i = 0; i <= count; i += 1) {
    const at = fromMs + ((toMs - fromMs) * i) / count;
    out.push({ at, label: label(at) });
  }
  return out;
}
