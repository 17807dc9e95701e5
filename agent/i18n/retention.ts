// Texts of the retention alarms (storage floor at risk, short forecast, clock jumps,
// missing recordings) as people read them: `cea retention plan|sweep` and the console's
// retention page. Each alarm carries a stable `code` and its `params` besides its English
// `detail`; the `detail` in JSON and in events never changes with the language, and a
// reader renders code + params here in its own. The English must stay word for word the
// retention policy's `detail` (a test holds them together).
import type { Catalog, Language } from './index.js';
import { formatDateTime } from './index.js';
import { formatBytes, formatDuration } from '../retention/policy.js';

const DAY_MS = 86_400_000;

function durationZh(ms: number): string {
  if (ms >= DAY_MS) return `${(ms / DAY_MS).toFixed(1)} 天`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} 小时`;
  return `${Math.round(ms / 60_000)} 分钟`;
}

type Stop = { stop: string[] };
type Floor = Stop & { needBytes: number; freedBytes: number; floorDays: number };
type Protected = Stop & { stopAbovePercent: number };
type Forecast = { bytesPerDay: number; daysRetainable: number; floorDays: number; marginDays: number; daysUntilAtRisk: number | null };
type BackSteps = { maxStepMs: number; segment: number | string | undefined; camera: string | null };
type Jump = { ms: number };
type Missing = { count: number; camera: string; from: string; to: string };
type Root = { root: string };

/** A time of a recording: ISO in English (as the detail has it), the site's zone in Chinese. */
const when = (iso: string, tz: string | undefined): string => {
  const ms = Date.parse(iso);
  return tz !== undefined && Number.isFinite(ms) ? formatDateTime(ms, tz, { seconds: true }) : iso;
};

const stoppingEn = (p: Stop): string => (p.stop.length > 0 ? `; recording stops for ${p.stop.join(', ')}` : '');
const stoppingZh = (p: Stop): string => (p.stop.length > 0 ? `；以下摄像机停止录像：${p.stop.join('、')}` : '');

export const retentionAlarmTexts = {
  'floor.short': {
    'zh-CN': (p: Floor) =>
      `磁盘空间紧张，需释放 ${formatBytes(p.needBytes)}，但未受保护的录像只有 ${formatBytes(p.freedBytes)}：其余录像处于 ${p.floorDays} 天的法定存储期限内或被保全（hold），不会删除${stoppingZh(p)}`,
    en: (p: Floor) =>
      `disk pressure needs ${formatBytes(p.needBytes)} freed but only ${formatBytes(p.freedBytes)} is unprotected: the rest is inside the ${p.floorDays}-day floor or a hold and is not deleted${stoppingEn(p)}`,
  },
  'floor.protectedOnly': {
    'zh-CN': (p: Protected) => `存储占用超过 ${p.stopAbovePercent}%，且只剩受保护的录像${stoppingZh(p)}`,
    en: (p: Protected) => `storage above ${p.stopAbovePercent}% with only protected segments left${stoppingEn(p)}`,
  },
  'forecast.short': {
    'zh-CN': (p: Forecast) =>
      `按每天 ${(p.bytesPerDay / 2 ** 30).toFixed(1)} GiB 的写入量，可用空间只能保存 ${p.daysRetainable} 天录像，少于 ${p.floorDays} 天存储期限 + ${p.marginDays} 天余量${p.daysUntilAtRisk === null ? '' : `；约 ${p.daysUntilAtRisk} 天后存储期限将无法保证`}`,
    en: (p: Forecast) =>
      `at ${(p.bytesPerDay / 2 ** 30).toFixed(1)} GiB/day the usable space holds ${p.daysRetainable} days of recordings, less than the ${p.floorDays}-day floor + ${p.marginDays} days margin${p.daysUntilAtRisk === null ? '' : `; the floor is at risk in about ${p.daysUntilAtRisk} days`}`,
  },
  'clock.backSteps': {
    'zh-CN': (p: BackSteps) =>
      `后写入索引的录像带有更早的时间（录像主机时钟曾被回拨，最多 ${durationZh(p.maxStepMs)}，位于摄像机 ${p.camera ?? '?'} 的录像段 ${p.segment}）；这些录像按索引顺序保留`,
    en: (p: BackSteps) =>
      `recordings indexed after others carry earlier times (box clock set back by up to ${formatDuration(p.maxStepMs)}, at segment ${p.segment} of ${p.camera ?? '?'}); they are kept by index order`,
  },
  'clock.behind': {
    'zh-CN': (p: Jump) => `录像主机时钟比最新录像慢 ${durationZh(p.ms)}：时钟曾被回拨；存储期限按录像时间判定`,
    en: (p: Jump) => `the box clock is ${formatDuration(p.ms)} behind its newest recording: it was set back; decisions use the recordings' time`,
  },
  'clock.ahead': {
    'zh-CN': (p: Jump) => `录像主机时钟比最新录像快 ${durationZh(p.ms)}（时钟被调快，或此后没有录像）；恢复录像前，录像不会因到期而删除`,
    en: (p: Jump) => `the box clock is ${formatDuration(p.ms)} ahead of the newest recording (set forward, or nothing recorded since); nothing ages until recording resumes`,
  },
  'missing.segments': {
    'zh-CN': (p: Missing & { timeZone?: string }) => `摄像机 ${p.camera} 有 ${p.count} 段已索引的录像不在磁盘上（${when(p.from, p.timeZone)} – ${when(p.to, p.timeZone)}）`,
    en: (p: Missing & { timeZone?: string }) => `${p.count} indexed segment(s) of ${p.camera} are not on disk (${p.from} – ${p.to})`,
  },
  'reconcile.rootMissing': {
    'zh-CN': (p: Root) => `录像存储目录 ${p.root} 不存在（磁盘未挂载？）`,
    en: (p: Root) => `storage root ${p.root} does not exist (not mounted?)`,
  },
  'reconcile.rootUnreadable': { 'zh-CN': (p: Root) => `无法读取录像存储目录 ${p.root}`, en: (p: Root) => `storage root ${p.root} cannot be read` },
  'reconcile.interrupted': { 'zh-CN': '录像核对被中断', en: 'reconciliation interrupted' },
  'reconcile.rootEmpty': {
    'zh-CN': (p: Root & { indexed: number }) => `录像存储目录 ${p.root} 中没有录像，但索引中列有 ${p.indexed} 段：磁盘未挂载？`,
    en: (p: Root & { indexed: number }) => `storage root ${p.root} holds no recordings but the index lists ${p.indexed}: not mounted?`,
  },
} satisfies Catalog;

export type RetentionAlarmCode = keyof typeof retentionAlarmTexts;
export type RetentionAlarmParams<K extends RetentionAlarmCode> = (typeof retentionAlarmTexts)[K]['en'] extends (p: infer P) => string ? P : Record<never, never>;

/** What the renderer needs of an alarm (agent/retention/policy.ts Alarm). */
export interface CodedText {
  detail: string;
  code?: string;
  params?: Record<string, unknown>;
}

/**
 * An alarm's detail in `lang`: English is the stored detail; another language renders the
 * code (times of recordings in `timeZone`); an unknown code keeps the stored detail.
 */
export function alarmText(a: CodedText, lang: Language, timeZone?: string): string {
  if (lang === 'en' || a.code === undefined || !Object.prototype.hasOwnProperty.call(retentionAlarmTexts, a.code)) return a.detail;
  const v = (retentionAlarmTexts as Record<string, { 'zh-CN': string | ((p: unknown) => string) }>)[a.code]!['zh-CN'];
  try {
    return typeof v === 'function' ? v({ ...a.params, ...(timeZone !== undefined ? { timeZone } : {}) }) : v;
  } catch {
    return a.detail;
  }
}

/** The English rendering of a code (what the retention policy writes as `detail`). */
export function alarmTextEn<K extends RetentionAlarmCode>(code: K, params: RetentionAlarmParams<K>): string {
  const v = retentionAlarmTexts[code].en as string | ((p: unknown) => string);
  return typeof v === 'function' ? v(params) : v;
}
