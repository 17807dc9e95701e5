// Texts of the technician checklist (`cea diagnose`, the `diagnose` verb, the console's
// diagnostics page, the acceptance / inspection report). Every check carries a stable
// machine `code` and its `params`; its `detail` and `advice` in the JSON stay the English
// rendering below (the machine contract never changes with the language), and each
// reader renders code + params in its own language from this catalog.
// Two catalogs keyed by the same codes: what was found (detail) and what to do (advice,
// only for outcomes that warn or fail). The English must stay word for word what the
// checks said before the catalog existed: tests and field scripts match on it.
// Texts from outside (error messages of the OS, SQLite, ffprobe, the broker; config
// warnings) are passed through as they are.
import type { Catalog, Language } from './index.js';
import { formatDateTime } from './index.js';

/** "1.5 GiB" style (the same in both languages). */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** "5 min" style, in English. */
export function ageText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

function ageZh(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} 秒`;
  if (s < 7200) return `${Math.round(s / 60)} 分钟`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} 小时`;
  return `${(s / 86_400).toFixed(1)} 天`;
}

// ---- parameter shapes -------------------------------------------------------------

type Url = { url: string };
type Msg = { message: string };
type Id = { id: string };
type Idx = { index: number };
type Root = { root: string };
type ConfigBase = { source: string; site: string; profile: string; cameras: number };
type Space = { disk: 'quota' | 'filesystem' | string; freeBytes: number; capacityBytes: number; usedPercent: number; deleteAbovePercent: number; stopAbovePercent: number };
type Forecast = { days: number; bytesPerDay: number; floorDays: number; marginDays: number };
type TimeSync = { source: string; offsetMs: number | null; server: string | null };
type Celsius = { celsius: number };
type Disks = { disks: string[] };
type Memory = { availableBytes: number; totalBytes: number; percent: number };
type Load = { l1: number; l5: number; cores: number };
type Clock = { id: string; offsetMs: number; limitS: number; ntp: boolean | null };
type Encoder = { encoding: string; width: number; height: number; fps: number | null; bitrate: number | null };
type Stream = { profile: string; uri: string; encoder: Encoder | null };
type Judged = { id: string; judgedAgainst: 'baseline' | 'defaults'; mode: 'day' | 'night'; hasTracker: boolean };
type Segment = { id: string; ageMs: number; endMs: number; timeZone: string };
type Rtsp = { codec: string; width: number; height: number; fps: number | null; bitrate: number };

// ---- shared renderings ------------------------------------------------------------

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const configEn = (p: ConfigBase): string => `${p.source}: site ${p.site}, profile ${p.profile}, ${plural(p.cameras, 'camera')}`;
const configZh = (p: ConfigBase): string => `${p.source}：场所 ${p.site}，适用规定 ${p.profile}，摄像机 ${p.cameras} 台`;
const diskZh = (d: string): string => (d === 'quota' ? '存储配额' : d === 'filesystem' ? '文件系统' : d);
const spaceEn = (p: Space): string =>
  `${p.disk}: ${bytesText(p.freeBytes)} free of ${bytesText(p.capacityBytes)} (${p.usedPercent.toFixed(1)}% used; rotation above ${p.deleteAbovePercent}%, recording stops above ${p.stopAbovePercent}%)`;
const spaceZh = (p: Space): string =>
  `${diskZh(p.disk)}：剩余 ${bytesText(p.freeBytes)}，共 ${bytesText(p.capacityBytes)}（已用 ${p.usedPercent.toFixed(1)}%；超过 ${p.deleteAbovePercent}% 时轮转删除录像，超过 ${p.stopAbovePercent}% 时停止录像）`;
const floorEn = (p: { floorDays: number; marginDays: number }): string => `floor ${p.floorDays} d + ${p.marginDays} d margin`;
const floorZh = (p: { floorDays: number; marginDays: number }): string => `存储期限 ${p.floorDays} 天 + 余量 ${p.marginDays} 天`;
const retainableEn = (p: Forecast): string => `${p.days} days retainable at ${bytesText(p.bytesPerDay)}/day`;
const retainableZh = (p: Forecast): string => `按每天 ${bytesText(p.bytesPerDay)} 的写入量可保存 ${p.days} 天`;
const offEn = (p: TimeSync): string => (p.offsetMs === null ? '' : `, offset ${(p.offsetMs / 1000).toFixed(3)} s`) + (p.server ? `, server ${p.server}` : '');
const offZh = (p: TimeSync): string => (p.offsetMs === null ? '' : `，偏差 ${(p.offsetMs / 1000).toFixed(3)} 秒`) + (p.server ? `，时间服务器 ${p.server}` : '');
const memoryEn = (p: Memory): string => `${bytesText(p.availableBytes)} available of ${bytesText(p.totalBytes)} (${p.percent.toFixed(0)}%)`;
const memoryZh = (p: Memory): string => `可用 ${bytesText(p.availableBytes)}，共 ${bytesText(p.totalBytes)}（${p.percent.toFixed(0)}%）`;
const loadEn = (p: Load): string => `load ${p.l1.toFixed(2)} / ${p.l5.toFixed(2)} (1 / 5 min) on ${plural(p.cores, 'core')}`;
const loadZh = (p: Load): string => `负载 ${p.l1.toFixed(2)} / ${p.l5.toFixed(2)}（1 / 5 分钟），CPU ${p.cores} 核`;
const clockEn = (p: Clock): string =>
  `clock ${(Math.abs(p.offsetMs) / 1000).toFixed(1)} s ${p.offsetMs >= 0 ? 'ahead of' : 'behind'} the box (limit ${p.limitS} s)${p.ntp === null ? '' : p.ntp ? '; camera set to NTP' : '; camera set manually (no NTP)'}`;
const clockZh = (p: Clock): string =>
  `摄像机时钟比录像主机${p.offsetMs >= 0 ? '快' : '慢'} ${(Math.abs(p.offsetMs) / 1000).toFixed(1)} 秒（限值 ${p.limitS} 秒）${p.ntp === null ? '' : p.ntp ? '；摄像机已启用 NTP 时钟同步' : '；摄像机为手动校时（未启用 NTP）'}`;
const againstEn = (p: Judged): string =>
  p.judgedAgainst === 'baseline' ? `judged against ${p.id}'s learned baseline (${p.mode})` : `judged against the default thresholds (no learned baseline${p.hasTracker ? ` for ${p.mode}` : ''} yet)`;
const modeZh = (m: string): string => (m === 'night' ? '夜间' : '日间');
const againstZh = (p: Judged): string =>
  p.judgedAgainst === 'baseline' ? `按 ${p.id} 已学习的基线判定（${modeZh(p.mode)}）` : `按默认阈值判定（尚无${p.hasTracker ? modeZh(p.mode) : ''}学习基线）`;
const segmentEn = (p: Segment): string => `last segment ended ${ageText(p.ageMs)} ago (${new Date(p.endMs).toISOString()})`;
const segmentZh = (p: Segment): string => `最近一段录像结束于 ${ageZh(p.ageMs)}前（${formatDateTime(p.endMs, p.timeZone, { seconds: true })}）`;
const tempEn = (p: Celsius): string => `${p.celsius} °C`;
const tempZh = (p: Celsius): string => `CPU 温度 ${p.celsius} °C`;
const disksEn = (p: Disks): string => p.disks.join(', ');
const disksZh = (p: Disks): string => `磁盘 SMART 状态：${p.disks.join('，')}`;
const stageZh: Record<string, string> = { connect: '连接', subscribe: '订阅', publish: '发布', receive: '接收' };

export const FAULT_ZH: Record<string, string> = {
  blur: '模糊',
  too_dark: '过暗',
  too_bright: '过亮',
  low_contrast: '对比度低',
  color_cast: '偏色',
  noise: '噪声',
  signal_loss: '信号丢失',
  occlusion: '遮挡',
  frozen: '画面冻结',
  scene_change: '场景变化',
  stripe: '条纹干扰',
  decode_error: '图像无法解码',
};

/** What to do per clarity fault, in both languages. */
export const faultAdvice = {
  blur: { 'zh-CN': '清洁镜头并重新对焦（检查是否有凝露或蛛网）', en: 'clean the lens and refocus the camera (check for condensation or a spider web)' },
  too_dark: { 'zh-CN': '检查红外补光灯 / 现场照明和曝光设置', en: 'check the IR illuminator / scene lighting and the exposure settings' },
  too_bright: { 'zh-CN': '检查是否有强光直射镜头，以及曝光 / 宽动态设置', en: 'check for direct light into the lens and the exposure / WDR settings' },
  low_contrast: { 'zh-CN': '清洁镜头（雾化）并检查曝光设置', en: 'clean the lens (haze) and check the exposure settings' },
  occlusion: { 'zh-CN': '移除遮挡镜头的物体，或重新调整摄像机朝向', en: 'remove what covers the lens, or re-aim the camera' },
  signal_loss: { 'zh-CN': '检查摄像机的图像传感器及视频源设置', en: "check the camera's sensor and its video source settings" },
  noise: { 'zh-CN': '改善照明或降低增益', en: 'improve the lighting or lower the gain' },
  color_cast: { 'zh-CN': '检查白平衡和红外滤光片（IR-CUT）', en: 'check the white balance and the IR-cut filter' },
  stripe: { 'zh-CN': '检查线缆和电源是否存在干扰', en: 'check the cable and power supply for interference' },
  decode_error: { 'zh-CN': '摄像机未返回有效的 JPEG 图像：检查其抓图设置或固件', en: 'the camera sends no valid JPEG: check its snapshot settings or firmware' },
  scene_change: {
    'zh-CN': '画面与已学习的参考画面不同：将摄像机调回备案时的监控范围；如新画面已获批准，运行 `cea clarity relearn <camera>`（安装位置变更须报备）',
    en: 'the view differs from the learned reference: re-aim the camera to its filed view, or if the new view is approved run `cea clarity relearn <camera>` (a change of location is reportable)',
  },
  frozen: { 'zh-CN': '画面不变化：重启摄像机并检查其编码器', en: 'the picture does not change: restart the camera and check its encoder' },
} satisfies Catalog;

const adviceFor = (faults: readonly string[], lang: Language): string[] =>
  faults.map((f) => (faultAdvice as Record<string, Record<Language, string>>)[f]?.[lang]).filter((a): a is string => a !== undefined);

type Broker = Url & Msg;

/** What a check found: `detail`. */
export const diagnoseDetails = {
  // A task (checks.ts runTask)
  'task.timeout': { 'zh-CN': (p: { seconds: number }) => `未在 ${p.seconds} 秒内完成`, en: (p: { seconds: number }) => `did not finish within ${p.seconds} s` },
  'task.crashed': { 'zh-CN': (p: Msg) => `检查程序本身出错：${p.message}`, en: (p: Msg) => `the check itself failed: ${p.message}` },

  // Config and database
  'config.ok': { 'zh-CN': configZh, en: configEn },
  'config.warnings': {
    'zh-CN': (p: ConfigBase & { warnings: string[] }) => `${configZh(p)}；${p.warnings.length} 项警告：${p.warnings.join('；')}`,
    en: (p: ConfigBase & { warnings: string[] }) => `${configEn(p)}; ${p.warnings.length} warning(s): ${p.warnings.join('; ')}`,
  },
  'config.invalid': {
    'zh-CN': (p: { file: string; errors: string[] }) => `${p.file} 中有 ${p.errors.length} 处错误：${p.errors.join('；')}`,
    en: (p: { file: string; errors: string[] }) => `${p.errors.length} error(s) in ${p.file}: ${p.errors.join('; ')}`,
  },
  'database.missing': {
    'zh-CN': (p: { file: string; problem: string | null }) => `尚无数据库（${p.file}）`,
    en: (p: { file: string; problem: string | null }) => p.problem ?? 'no database',
  },
  'database.unopenable': {
    'zh-CN': (p: { file: string; problem: string | null }) => `无法打开数据库 ${p.file}${p.problem ? `（${p.problem}）` : ''}`,
    en: (p: { file: string; problem: string | null }) => p.problem ?? 'cannot open the database',
  },
  'database.ok': {
    'zh-CN': (p: { file: string; version: number }) => `${p.file}：完整性检查（quick_check）通过，数据库结构版本 ${p.version}`,
    en: (p: { file: string; version: number }) => `${p.file}: quick_check ok, schema version ${p.version}`,
  },
  'database.corrupt': {
    'zh-CN': (p: { file: string; problems: number; first: string }) => `${p.file}：完整性检查发现 ${p.problems} 处问题，第一处：${p.first}`,
    en: (p: { file: string; problems: number; first: string }) => `${p.file}: quick_check found ${p.problems} problem(s), first: ${p.first}`,
  },
  'database.error': { 'zh-CN': (p: { file: string } & Msg) => `${p.file}：无法读取数据库（${p.message}）`, en: (p: { file: string } & Msg) => `${p.file}: ${p.message}` },

  // Storage
  'storage.missing': { 'zh-CN': (p: Root) => `${p.root} 尚不存在（代理程序开始录像时会创建）`, en: (p: Root) => `${p.root} does not exist yet (the agent creates it when it starts recording)` },
  'storage.missingUnwritable': {
    'zh-CN': (p: Root & { parent: string }) => `${p.root} 不存在，且 ${p.parent} 不可写`,
    en: (p: Root & { parent: string }) => `${p.root} does not exist and ${p.parent} is not writable`,
  },
  'storage.notDirectory': { 'zh-CN': (p: Root) => `${p.root} 不是目录`, en: (p: Root) => `${p.root} is not a directory` },
  'storage.writable': { 'zh-CN': (p: Root) => `${p.root} 可写`, en: (p: Root) => `${p.root} is writable` },
  'storage.unwritable': {
    'zh-CN': (p: Root & Msg & { errno: string }) => `无法写入 ${p.root}：${p.message}`,
    en: (p: Root & Msg & { errno: string }) => `cannot write in ${p.root}: ${p.message}`,
  },
  'storage.noFilesystem': { 'zh-CN': (p: Root) => `无法读取 ${p.root} 所在的文件系统`, en: (p: Root) => `cannot read the filesystem of ${p.root}` },
  'storage.space.ok': { 'zh-CN': spaceZh, en: spaceEn },
  'storage.space.rotating': { 'zh-CN': spaceZh, en: spaceEn },
  'storage.space.stopping': { 'zh-CN': spaceZh, en: spaceEn },
  'forecast.noDatabase': { 'zh-CN': '无数据库：没有可用于预测的录像历史', en: 'no database: no recording history to forecast from' },
  'forecast.unknown': {
    'zh-CN': (p: { floorDays: number; marginDays: number }) => `未知：近期没有录像，无法测算写入速率（${floorZh(p)}）`,
    en: (p: { floorDays: number; marginDays: number }) => `unknown: no recent recordings to measure the write rate (${floorEn(p)})`,
  },
  'forecast.belowFloor': {
    'zh-CN': (p: Forecast) => `${retainableZh(p)}，低于 ${p.floorDays} 天的法定存储期限`,
    en: (p: Forecast) => `${retainableEn(p)}, below the ${p.floorDays}-day floor`,
  },
  'forecast.short': {
    'zh-CN': (p: Forecast) => `${retainableZh(p)}（${floorZh(p)}）：余量不足`,
    en: (p: Forecast) => `${retainableEn(p)} (${floorEn(p)}): short of the margin`,
  },
  'forecast.ok': { 'zh-CN': (p: Forecast) => `${retainableZh(p)}（${floorZh(p)}）`, en: (p: Forecast) => `${retainableEn(p)} (${floorEn(p)})` },

  // The box's time
  'time.unknown': {
    'zh-CN': '无法判断时钟是否已同步（没有 chronyc、ntpq，也没有 systemd 的 timedatectl）',
    en: 'cannot tell whether the clock is synchronised (no chronyc, no ntpq, no timedatectl with systemd)',
  },
  'time.unsynced': { 'zh-CN': (p: TimeSync) => `时钟未同步（${p.source}${offZh(p)}）`, en: (p: TimeSync) => `not synchronised (${p.source}${offEn(p)})` },
  'time.converging': {
    'zh-CN': (p: TimeSync) => `时钟已同步（${p.source}），但${offZh(p).slice(1)}`,
    en: (p: TimeSync) => `synchronised (${p.source}) but ${offEn(p).slice(2)}`,
  },
  'time.ok': { 'zh-CN': (p: TimeSync) => `时钟已同步（${p.source}${offZh(p)}）`, en: (p: TimeSync) => `synchronised (${p.source}${offEn(p)})` },

  // The host
  'host.temp.timeout': { 'zh-CN': '未在限时内读取到', en: 'not read within the deadline' },
  'host.temp.none': { 'zh-CN': '本平台不提供', en: 'not reported on this platform' },
  'host.temp.overheat': { 'zh-CN': tempZh, en: tempEn },
  'host.temp.warm': { 'zh-CN': tempZh, en: tempEn },
  'host.temp.ok': { 'zh-CN': tempZh, en: tempEn },
  'host.disk.timeout': { 'zh-CN': '未在限时内读取到', en: 'not read within the deadline' },
  'host.disk.none': { 'zh-CN': '本平台不提供', en: 'not reported on this platform' },
  'host.disk.failing': { 'zh-CN': (p: Disks & { bad: string[] }) => disksZh(p), en: (p: Disks & { bad: string[] }) => disksEn(p) },
  'host.disk.ok': { 'zh-CN': disksZh, en: disksEn },
  'host.memory.unread': { 'zh-CN': '未读取到', en: 'not read' },
  'host.memory.critical': { 'zh-CN': memoryZh, en: memoryEn },
  'host.memory.low': { 'zh-CN': memoryZh, en: memoryEn },
  'host.memory.ok': { 'zh-CN': memoryZh, en: memoryEn },
  'host.load.high': { 'zh-CN': loadZh, en: loadEn },
  'host.load.ok': { 'zh-CN': loadZh, en: loadEn },

  // The broker and the platform keys
  'broker.badListen': { 'zh-CN': (p: { error: string }) => `broker.listen 配置错误：${p.error}`, en: (p: { error: string }) => `broker.listen: ${p.error}` },
  'broker.embeddedDown': {
    'zh-CN': (p: { listen: string }) => `内置 MQTT 消息服务器未在 ${p.listen} 监听：代理程序未运行`,
    en: (p: { listen: string }) => `the embedded broker does not listen on ${p.listen}: the agent is not running`,
  },
  'broker.embeddedUp': {
    'zh-CN': (p: { listen: string }) => `内置 MQTT 消息服务器正在 ${p.listen} 监听（由代理程序运行；其凭据每次运行临时生成，不做收发往返测试）`,
    en: (p: { listen: string }) => `the embedded broker listens on ${p.listen} (the agent runs it; no round trip: its credentials are per run)`,
  },
  'broker.tlsFile': { 'zh-CN': (p: Msg) => `无法读取 TLS 文件：${p.message}`, en: (p: Msg) => `cannot read a TLS file: ${p.message}` },
  'broker.subscribeRefused': {
    'zh-CN': (p: Url & { topic: string }) => `已连接 ${p.url}，但订阅 ${p.topic} 被拒绝`,
    en: (p: Url & { topic: string }) => `connected to ${p.url}, but subscribing to ${p.topic} was refused`,
  },
  'broker.ok': {
    'zh-CN': (p: Url & { mqttVersion: string; connectMs: number; totalMs: number; topic: string }) =>
      `${p.url}（MQTT ${p.mqttVersion}）：${p.connectMs} 毫秒内连接成功，${p.totalMs} 毫秒内在 ${p.topic} 上完成发布和接收`,
    en: (p: Url & { mqttVersion: string; connectMs: number; totalMs: number; topic: string }) =>
      `${p.url} (MQTT ${p.mqttVersion}): connected in ${p.connectMs} ms, published and received on ${p.topic} in ${p.totalMs} ms`,
  },
  'broker.refused': { 'zh-CN': (p: Broker) => `${p.url}：连接被拒绝（${p.message}）`, en: (p: Broker) => `${p.url}: connection refused (${p.message})` },
  'broker.notFound': { 'zh-CN': (p: Broker) => `${p.url}：找不到主机（${p.message}）`, en: (p: Broker) => `${p.url}: host not found (${p.message})` },
  'broker.noRoute': { 'zh-CN': (p: Broker) => `${p.url}：无法到达消息服务器（${p.message}）`, en: (p: Broker) => `${p.url}: no route to the broker (${p.message})` },
  'broker.credentials': { 'zh-CN': (p: Broker) => `${p.url}：消息服务器拒绝了用户名或密码（${p.message}）`, en: (p: Broker) => `${p.url}: the broker refused the credentials (${p.message})` },
  'broker.forbidden': { 'zh-CN': (p: Broker) => `${p.url}：消息服务器拒绝了本客户端（${p.message}）`, en: (p: Broker) => `${p.url}: the broker refused this client (${p.message})` },
  'broker.tls': { 'zh-CN': (p: Broker) => `${p.url}：TLS 握手失败（${p.message}）`, en: (p: Broker) => `${p.url}: TLS failed (${p.message})` },
  'broker.connectFailed': { 'zh-CN': (p: Broker) => `${p.url}：连接失败（${p.message}）`, en: (p: Broker) => `${p.url}: ${p.message}` },
  'broker.stepFailed': {
    'zh-CN': (p: Broker & { stage: string }) => `${p.url}：已连接，但${stageZh[p.stage] ?? p.stage}步骤失败：${p.message}`,
    en: (p: Broker & { stage: string }) => `${p.url}: connected, but the ${p.stage} step failed: ${p.message}`,
  },
  'keys.requiredMissing': {
    'zh-CN': '要求指令签名，但未配置平台公钥：所有请求都将被拒绝',
    en: 'signed commands are required but no platform key is configured: every request is refused',
  },
  'keys.none': { 'zh-CN': '未配置平台公钥：接受未签名的请求', en: 'no platform key configured: requests are accepted unsigned' },
  'keys.wrongType': {
    'zh-CN': (p: { file: string; type: string; index: number }) => `${p.file}：密钥类型为 ${p.type}，应为 ed25519`,
    en: (p: { file: string; type: string; index: number }) => `${p.file}: key type is ${p.type}, want ed25519`,
  },
  'keys.ok': { 'zh-CN': (p: { file: string }) => `${p.file}：已加载 Ed25519 公钥`, en: (p: { file: string }) => `${p.file}: Ed25519 public key loaded` },
  'keys.missingFile': {
    'zh-CN': (p: { file: string; errno: string; index: number }) => `${p.file}：${p.errno === 'ENOENT' ? '文件不存在' : '没有读取权限'}`,
    en: (p: { file: string; errno: string; index: number }) => `${p.file}: ${p.errno === 'ENOENT' ? 'no such file' : 'permission denied'}`,
  },
  'keys.unreadable': {
    'zh-CN': (p: { file: string; index: number } & Msg) => `${p.file}：不是公钥（${p.message}）`,
    en: (p: { file: string; index: number } & Msg) => `${p.file}: not a public key (${p.message})`,
  },

  // Cameras
  'camera.prohibited': {
    'zh-CN': (p: Id & Idx & { kind: string }) => `location.kind "${p.kind}" 属于禁止安装摄像机的场所：不连接（不抓图、不取码流），不录像`,
    en: (p: Id & Idx & { kind: string }) => `location.kind "${p.kind}" is a place where cameras are forbidden: not contacted (no snapshot, no stream), never recorded`,
  },
  'onvif.error': { 'zh-CN': (p: Url & Msg & Idx) => `${p.url}：连接失败（${p.message}）`, en: (p: Url & Msg & Idx) => `${p.url}: ${p.message}` },
  'onvif.unreachable': {
    'zh-CN': (p: Id & Url & Msg & Idx) => `摄像机 ${p.id} 在 ${p.url} 无法连接：${p.message}`,
    en: (p: Id & Url & Msg & Idx) => `${p.id} is unreachable at ${p.url}: ${p.message}`,
  },
  'onvif.timeout': {
    'zh-CN': (p: Id & Url & Msg & Idx) => `摄像机 ${p.id} 在 ${p.url} 未及时应答：${p.message}`,
    en: (p: Id & Url & Msg & Idx) => `${p.id} did not answer at ${p.url} in time: ${p.message}`,
  },
  'onvif.noCredentials': { 'zh-CN': (p: Id & Idx) => `摄像机 ${p.id} 需要登录凭据，但未配置`, en: (p: Id & Idx) => `${p.id} requires credentials and none are configured` },
  'onvif.wrongPassword': {
    'zh-CN': (p: Id & Idx & { user: string }) => `摄像机 ${p.id} 的密码错误（用户 ${p.user} 被拒绝）`,
    en: (p: Id & Idx & { user: string }) => `wrong password for ${p.id} (user ${p.user} refused)`,
  },
  'onvif.unexpected': {
    'zh-CN': (p: Id & Url & Msg & Idx & { code: string }) => `摄像机 ${p.id} 在 ${p.url} 有应答，但不符合 ONVIF 预期（${p.code}）：${p.message}`,
    en: (p: Id & Url & Msg & Idx & { code: string }) => `${p.id} answers at ${p.url} but not as ONVIF expects (${p.code}): ${p.message}`,
  },
  'onvif.ok': {
    'zh-CN': (p: Url & { manufacturer: string; model: string; firmware: string; serial: string }) =>
      `${p.url} 可连接，认证通过；${p.manufacturer} ${p.model}，固件 ${p.firmware}，序列号 ${p.serial}`,
    en: (p: Url & { manufacturer: string; model: string; firmware: string; serial: string }) =>
      `reachable at ${p.url}, authenticated; ${p.manufacturer} ${p.model}, firmware ${p.firmware}, serial ${p.serial}`,
  },
  'clock.unreported': { 'zh-CN': (p: Id) => `摄像机 ${p.id} 不提供其时间`, en: (p: Id) => `${p.id} does not report its time` },
  'clock.skewed': { 'zh-CN': clockZh, en: clockEn },
  'clock.ok': { 'zh-CN': clockZh, en: clockEn },
  'stream.noProfile': { 'zh-CN': (p: Id) => `摄像机 ${p.id} 没有媒体配置（profile）`, en: (p: Id) => `${p.id} has no media profile` },
  'stream.ok': {
    'zh-CN': (p: Stream) => {
      const e = p.encoder;
      const enc = e ? `（${e.encoding} ${e.width}x${e.height}${e.fps !== null ? ` @${e.fps} 帧/秒` : ''}${e.bitrate !== null ? `，${e.bitrate} kbit/s` : ''}）` : '';
      return `媒体配置 ${p.profile}：${p.uri}${enc}`;
    },
    en: (p: Stream) => {
      const e = p.encoder;
      const enc = e ? ` (${e.encoding} ${e.width}x${e.height}${e.fps !== null ? ` @${e.fps} fps` : ''}${e.bitrate !== null ? `, ${e.bitrate} kbit/s` : ''})` : '';
      return `profile ${p.profile}: ${p.uri}${enc}`;
    },
  },
  'stream.error': { 'zh-CN': (p: Id & Msg) => `无法获取码流地址：${p.message}`, en: (p: Id & Msg) => `no stream URI: ${p.message}` },
  'snapshot.noUri': { 'zh-CN': (p: Id) => `摄像机 ${p.id} 不提供抓图地址：无法检查图像清晰度`, en: (p: Id) => `${p.id} offers no snapshot URI: clarity cannot be checked` },
  'snapshot.fetchFailed': {
    'zh-CN': (p: Id & Msg & { user: string | null }) => `抓图失败：${p.message}`,
    en: (p: Id & Msg & { user: string | null }) => `snapshot could not be fetched: ${p.message}`,
  },
  'snapshot.clear': {
    'zh-CN': (p: Judged & { size: string; bytes: number }) => `${p.size} JPEG，${p.bytes} 字节：图像清晰（无清晰度故障）；${againstZh(p)}`,
    en: (p: Judged & { size: string; bytes: number }) => `${p.size} JPEG, ${p.bytes} bytes: clear (no clarity fault); ${againstEn(p)}`,
  },
  'snapshot.fault': {
    'zh-CN': (p: Judged & { size: string; faults: string[] }) => `${p.size} JPEG：图像清晰度故障 ${p.faults.map((f) => FAULT_ZH[f] ?? f).join('、')}；${againstZh(p)}`,
    en: (p: Judged & { size: string; faults: string[] }) => `${p.size} JPEG: clarity fault${p.faults.length > 1 ? 's' : ''} ${p.faults.join(', ')}; ${againstEn(p)}`,
  },
  'recording.notRecorded': { 'zh-CN': '不录像（配置中 record: false）', en: 'not recorded (record: false in the config)' },
  'recording.noDatabase': { 'zh-CN': '无数据库：最近一段录像未知', en: 'no database: the last segment is unknown' },
  'recording.indexUnreadable': { 'zh-CN': (p: Msg) => `无法读取录像索引：${p.message}`, en: (p: Msg) => `the segment index cannot be read: ${p.message}` },
  'recording.none': { 'zh-CN': '尚无录像', en: (p: Id) => 'no recorded segment yet' },
  'recording.stopped': { 'zh-CN': segmentZh, en: segmentEn },
  'recording.stalling': { 'zh-CN': segmentZh, en: segmentEn },
  'recording.ok': { 'zh-CN': segmentZh, en: segmentEn },
  'rtsp.noFfprobe': { 'zh-CN': '未安装 ffprobe：未检测码流', en: 'ffprobe is not installed: the stream was not probed' },
  'rtsp.ok': {
    'zh-CN': (p: Rtsp) => `${p.codec} ${p.width}x${p.height}${p.fps !== null ? ` @${p.fps.toFixed(1)} 帧/秒` : ''}，3 秒内实收码率 ${Math.round(p.bitrate / 1000)} kbit/s`,
    en: (p: Rtsp) => `${p.codec} ${p.width}x${p.height}${p.fps !== null ? ` @${p.fps.toFixed(1)} fps` : ''}, ${Math.round(p.bitrate / 1000)} kbit/s received over 3 s`,
  },
  'rtsp.failed': { 'zh-CN': (p: Id & { uri: string } & Msg) => `${p.uri}：无法接收码流（${p.message}）`, en: (p: Id & { uri: string } & Msg) => `${p.uri}: ${p.message}` },
} satisfies Catalog;

/** What to do: only for the outcomes that warn or fail. */
export const diagnoseAdvice = {
  'task.timeout': {
    'zh-CN': '重新运行 `cea diagnose`；如果仍然超时，说明该组件已挂起：重启它并查看代理程序日志',
    en: 'run `cea diagnose` again; if it keeps timing out, the component hangs: restart it and look at the agent log',
  },
  'task.crashed': { 'zh-CN': '请将此问题连同上面的输出作为 cea diagnose 的缺陷报告', en: 'report this as a bug in cea diagnose, with the output above' },
  'config.warnings': { 'zh-CN': '修正有警告的配置项（`cea validate-config` 会列出其行号）', en: 'fix the warned settings (`cea validate-config` lists them with line numbers)' },
  'config.invalid': { 'zh-CN': '修正所列配置项（`cea validate-config` 会显示其行号）', en: 'fix the listed settings (`cea validate-config` shows them with line numbers)' },
  'database.missing': {
    'zh-CN': '先启动一次代理程序（`cea run` 或 `systemctl start cea`），它会创建数据库',
    en: 'start the agent once (`cea run` or `systemctl start cea`): it creates the database',
  },
  'database.unopenable': {
    'zh-CN': (p: { file: string }) => `检查 ${p.file}：权限（代理程序的用户须能读取）和磁盘；如已损坏，从备份恢复`,
    en: (p: { file: string }) => `check ${p.file}: permissions (the agent's user must read it) and the disk; restore it from a backup if it is damaged`,
  },
  'database.corrupt': {
    'zh-CN': '停止代理程序，将数据库另存一份，然后运行 `sqlite3 agent.db ".recover"` 恢复到新文件，或从备份恢复',
    en: 'stop the agent, copy the database aside, and run `sqlite3 agent.db ".recover"` into a new file, or restore a backup',
  },
  'database.error': { 'zh-CN': '数据库文件已损坏或不是 SQLite 文件：从备份恢复', en: 'the database file is damaged or not SQLite: restore it from a backup' },
  'storage.missing': { 'zh-CN': (p: Root) => `启动代理程序，或手动创建：mkdir -p ${p.root}`, en: (p: Root) => `start the agent, or create it: mkdir -p ${p.root}` },
  'storage.missingUnwritable': {
    'zh-CN': (p: Root) => `创建该目录并授予代理程序的用户写权限：sudo mkdir -p ${p.root} && sudo chown <agent user> ${p.root}`,
    en: (p: Root) => `create it and give the agent's user write access: sudo mkdir -p ${p.root} && sudo chown <agent user> ${p.root}`,
  },
  'storage.notDirectory': {
    'zh-CN': (p: Root) => `修正配置中的 storage.root，或移走 ${p.root} 处的文件`,
    en: (p: Root) => `fix storage.root in the config, or move the file at ${p.root} away`,
  },
  'storage.unwritable': {
    'zh-CN': (p: Root & { errno: string }) =>
      p.errno === 'EROFS'
        ? '文件系统被挂载为只读（常因磁盘错误）：检查 `dmesg` 和磁盘健康状况，然后重新挂载'
        : p.errno === 'ENOSPC'
          ? '磁盘已满：运行 `cea retention plan` 并释放空间'
          : `授予代理程序的用户对 ${p.root} 的写权限（chown/chmod）`,
    en: (p: Root & { errno: string }) =>
      p.errno === 'EROFS'
        ? 'the filesystem is mounted read-only (often after disk errors): check `dmesg`, the disk health, and remount it'
        : p.errno === 'ENOSPC'
          ? 'the disk is full: run `cea retention plan` and free space'
          : `give the agent's user write access to ${p.root} (chown/chmod)`,
  },
  'storage.noFilesystem': { 'zh-CN': '检查录像磁盘是否已挂载', en: 'check that the recording disk is mounted' },
  'storage.space.stopping': {
    'zh-CN': '立即释放空间：运行 `cea retention plan` 查看将轮转删除的录像；删除磁盘上的非录像文件，或更换更大的磁盘',
    en: 'free space now: run `cea retention plan` to see what rotates; remove non-recording files from the disk, or add a bigger disk',
  },
  'storage.space.rotating': {
    'zh-CN': '磁盘空间紧张，正在轮转删除录像：删除非录像文件或增加磁盘空间，然后查看 `cea retention plan`',
    en: 'rotation is deleting under disk pressure: remove non-recording files or add disk space, then check `cea retention plan`',
  },
  'forecast.noDatabase': { 'zh-CN': '启动代理程序并让其录像一段时间，然后重新运行诊断', en: 'start the agent and let it record for a while, then run diagnose again' },
  'forecast.unknown': { 'zh-CN': '让代理程序至少录像 10 分钟，然后重新运行诊断', en: 'let the agent record for at least 10 minutes, then run diagnose again' },
  'forecast.belowFloor': {
    'zh-CN': '磁盘无法满足法定存储期限：增加磁盘空间、调高 storage.maxBytes，或降低摄像机码率',
    en: "the disk cannot hold the legal floor: add disk space, raise storage.maxBytes, or lower the cameras' bitrate",
  },
  'forecast.short': {
    'zh-CN': '在存储期限受威胁之前，规划更多磁盘空间或降低摄像机码率',
    en: "plan more disk space, or lower the cameras' bitrate, before the floor is at risk",
  },
  'time.unknown': {
    'zh-CN': '安装并启用 NTP 客户端（chrony 或 systemd-timesyncd），指向场所的时间服务器',
    en: "install and enable an NTP client (chrony or systemd-timesyncd) pointing at the site's time server",
  },
  'time.unsynced': {
    'zh-CN': '录像和事件使用录像主机的时间：启用时钟同步（`timedatectl set-ntp true` 或启动 chronyd），并确认 NTP 服务器可达',
    en: "recordings and events carry the box's time: enable NTP (`timedatectl set-ntp true` or start chronyd) and check the NTP server is reachable",
  },
  'time.converging': { 'zh-CN': '时钟仍在收敛；如果偏差持续存在，检查 NTP 服务器', en: 'the clock is still converging; if it stays off, check the NTP server' },
  'host.temp.timeout': { 'zh-CN': '检查系统的传感器（lm-sensors）', en: "check the system's sensors (lm-sensors)" },
  'host.temp.overheat': { 'zh-CN': '录像主机过热：检查风扇、防尘网和机柜通风', en: "the box overheats: check its fan, dust filters and the cabinet's ventilation" },
  'host.temp.warm': { 'zh-CN': '录像主机温度偏高：检查风扇和机柜通风', en: "the box runs hot: check its fan and the cabinet's ventilation" },
  'host.disk.timeout': { 'zh-CN': '用 `smartctl -a` 检查磁盘', en: 'check the disks with `smartctl -a`' },
  'host.disk.failing': {
    'zh-CN': (p: { bad: string[] }) => `尽快更换 ${p.bad.join('，')}：SMART 预测即将故障，其上的录像面临风险`,
    en: (p: { bad: string[] }) => `replace ${p.bad.join(', ')} soon: SMART predicts a failure; recordings on it are at risk`,
  },
  'host.memory.unread': { 'zh-CN': '用 `free -m` 检查', en: 'check `free -m`' },
  'host.memory.critical': { 'zh-CN': '内存即将耗尽：查找失控的进程（`top`），重启代理程序', en: 'memory is nearly exhausted: look for a runaway process (`top`), restart the agent' },
  'host.memory.low': { 'zh-CN': '内存不足：查看占用内存的进程（`top`）', en: 'memory is low: look at what uses it (`top`)' },
  'host.load.high': {
    'zh-CN': '录像主机过载：接入的摄像机过多，或有失控的进程（`top`）',
    en: 'the box is overloaded: too many cameras for it, or a runaway process (`top`)',
  },
  'broker.badListen': { 'zh-CN': '修正配置中的 broker.listen（host:port）', en: 'fix broker.listen in the config (host:port)' },
  'broker.embeddedDown': { 'zh-CN': '启动代理程序（`systemctl start cea` 或 `cea run`）', en: 'start the agent (`systemctl start cea` or `cea run`)' },
  'broker.tlsFile': {
    'zh-CN': '检查 mqtt.ca / mqtt.cert / mqtt.key 的路径，以及代理程序的用户能否读取它们',
    en: "check the paths of mqtt.ca / mqtt.cert / mqtt.key and that the agent's user can read them",
  },
  'broker.subscribeRefused': {
    'zh-CN': '请平台允许本场所的用户订阅 psv/v1/<site>/#',
    en: "ask the platform to let this site's user subscribe under psv/v1/<site>/#",
  },
  'broker.refused': {
    'zh-CN': '检查 mqtt.url（主机和端口）、消息服务器是否运行，以及防火墙是否放行本主机',
    en: 'check mqtt.url (host and port) and that the broker runs and the firewall lets the box in',
  },
  'broker.notFound': { 'zh-CN': '检查 mqtt.url 中的主机名和本主机的 DNS 设置', en: "check the host name in mqtt.url and the box's DNS settings" },
  'broker.noRoute': { 'zh-CN': '检查本主机的网络（网关、到平台的 VPN）和 mqtt.url', en: "check the box's network (gateway, VPN to the platform) and mqtt.url" },
  'broker.credentials': { 'zh-CN': '更新 mqtt.username / mqtt.password（由平台分配）', en: 'update mqtt.username / mqtt.password (the platform issues them)' },
  'broker.forbidden': {
    'zh-CN': '请平台为本场所的用户和客户端 ID 授权；检查 mqtt.username 和 mqtt.clientId',
    en: "ask the platform to authorise this site's user and client id; check mqtt.username and mqtt.clientId",
  },
  'broker.tls': {
    'zh-CN': '检查 mqtt.ca（平台的 CA 证书）、mqtt.cert / mqtt.key（本场所的证书）以及本主机的时钟',
    en: "check mqtt.ca (the platform's CA), mqtt.cert / mqtt.key (this site's certificate) and the box's clock",
  },
  'broker.connectFailed': {
    'zh-CN': '检查配置中的 mqtt.url、凭据和 TLS 文件，以及消息服务器的日志',
    en: "check mqtt.url, the credentials and TLS files in the config, and the broker's log",
  },
  'broker.stepFailed': {
    'zh-CN': '消息服务器的访问控制（ACL）可能阻止了本场所自己的主题：请平台允许在 psv/v1/<site>/# 下发布和订阅',
    en: "the broker's ACL likely blocks this site's own topics: ask the platform to allow publish and subscribe under psv/v1/<site>/#",
  },
  'keys.requiredMissing': { 'zh-CN': '在 security.platformKeys 下添加平台的 Ed25519 公钥', en: "add the platform's Ed25519 public key under security.platformKeys" },
  'keys.none': {
    'zh-CN': '在 security.platformKeys 下添加平台公钥，并设置 security.requireSignedCommands: true',
    en: "add the platform's key under security.platformKeys and set security.requireSignedCommands: true",
  },
  'keys.wrongType': {
    'zh-CN': (p: { index: number }) => `替换为平台的 Ed25519 公钥（SPKI PEM），security.platformKeys[${p.index}].publicKey`,
    en: (p: { index: number }) => `replace it with the platform's Ed25519 public key (SPKI PEM), security.platformKeys[${p.index}].publicKey`,
  },
  'keys.missingFile': {
    'zh-CN': (p: { index: number }) => `将平台公钥文件放到该位置，或修正 security.platformKeys[${p.index}].publicKey`,
    en: (p: { index: number }) => `put the platform's public key file there, or fix security.platformKeys[${p.index}].publicKey`,
  },
  'keys.unreadable': {
    'zh-CN': (p: { index: number }) => `security.platformKeys[${p.index}].publicKey 必须是 Ed25519 SPKI PEM（"-----BEGIN PUBLIC KEY-----"）`,
    en: (p: { index: number }) => `security.platformKeys[${p.index}].publicKey must be an Ed25519 SPKI PEM ("-----BEGIN PUBLIC KEY-----")`,
  },
  'camera.prohibited': {
    'zh-CN': (p: Id & Idx) => `拆除摄像机 ${p.id} 或调整其朝向，然后修正 cameras[${p.index}].location.kind`,
    en: (p: Id & Idx) => `remove or re-aim ${p.id}, then correct cameras[${p.index}].location.kind`,
  },
  'onvif.error': { 'zh-CN': (p: Idx) => `检查 cameras[${p.index}].onvif.url`, en: (p: Idx) => `check cameras[${p.index}].onvif.url` },
  'onvif.unreachable': {
    'zh-CN': (p: Id & Idx) => `检查摄像机 ${p.id} 的供电和网络（ping 其地址）以及 cameras[${p.index}].onvif.url`,
    en: (p: Id & Idx) => `check power and network of ${p.id} (ping its address) and cameras[${p.index}].onvif.url`,
  },
  'onvif.timeout': {
    'zh-CN': (p: Id & Idx) => `检查到摄像机 ${p.id} 的网络链路（线缆、交换机、VLAN），并确认 cameras[${p.index}].onvif.url 指向正确的设备`,
    en: (p: Id & Idx) => `check the network path to ${p.id} (cabling, switch, VLAN) and that cameras[${p.index}].onvif.url is the right device`,
  },
  'onvif.noCredentials': {
    'zh-CN': (p: Idx) => `设置 cameras[${p.index}].onvif.username 和 cameras[${p.index}].onvif.password`,
    en: (p: Idx) => `set cameras[${p.index}].onvif.username and cameras[${p.index}].onvif.password`,
  },
  'onvif.wrongPassword': {
    'zh-CN': (p: Id & Idx) => `摄像机 ${p.id} 的密码错误：更新 cameras[${p.index}].onvif.password（或 .username）`,
    en: (p: Id & Idx) => `wrong password for ${p.id}: update cameras[${p.index}].onvif.password (or .username)`,
  },
  'onvif.unexpected': {
    'zh-CN': (p: Id & Idx) => `确认 cameras[${p.index}].onvif.url 是设备服务地址（…/onvif/device_service），并且摄像机 ${p.id} 已启用 ONVIF`,
    en: (p: Id & Idx) => `check that cameras[${p.index}].onvif.url is the device service (…/onvif/device_service) and that ONVIF is enabled on ${p.id}`,
  },
  'clock.unreported': {
    'zh-CN': (p: Id) => `在摄像机 ${p.id} 上启用 NTP 时钟同步，使其录像带有正确的时间`,
    en: (p: Id) => `enable NTP on ${p.id} so its recordings carry the right time`,
  },
  'clock.skewed': {
    'zh-CN': (p: Id) => `校正摄像机 ${p.id} 的时钟：在摄像机上启用 NTP 时钟同步，指向场所的时间服务器（或录像主机）；在此之前其录像时间不正确`,
    en: (p: Id) => `set the clock of ${p.id}: enable NTP on the camera pointing at the site's time server (or the box); its recordings carry the wrong time until then`,
  },
  'stream.noProfile': {
    'zh-CN': (p: Id) => `在摄像机 ${p.id} 的网页管理界面中配置视频码流（媒体配置）`,
    en: (p: Id) => `configure a video stream (profile) on ${p.id} in its web interface`,
  },
  'stream.error': {
    'zh-CN': (p: Id) => `检查摄像机 ${p.id} 的媒体设置（须启用 Profile S 取流）`,
    en: (p: Id) => `check the media settings of ${p.id} (Profile S streaming must be enabled)`,
  },
  'snapshot.noUri': {
    'zh-CN': (p: Id) => `如摄像机 ${p.id} 的固件支持，启用其 JPEG 抓图服务`,
    en: (p: Id) => `enable the JPEG snapshot service on ${p.id}, if its firmware has one`,
  },
  'snapshot.fetchFailed': {
    'zh-CN': (p: Id & { user: string | null }) => `检查摄像机 ${p.id} 的抓图服务，以及用户 ${p.user ?? '（无）'} 是否有权使用`,
    en: (p: Id & { user: string | null }) => `check the snapshot service of ${p.id} and that user ${p.user ?? '(none)'} may use it`,
  },
  'snapshot.fault': {
    'zh-CN': (p: Id & { faults: string[] }) => {
      const a = adviceFor(p.faults, 'zh-CN');
      return `${p.id}：${a.length > 0 ? a.join('；') : '检查图像'}`;
    },
    en: (p: Id & { faults: string[] }) => {
      const a = adviceFor(p.faults, 'en');
      return `${p.id}: ${a.length > 0 ? a.join('; ') : 'inspect the picture'}`;
    },
  },
  'recording.noDatabase': { 'zh-CN': '启动代理程序，使其录像并建立录像索引', en: 'start the agent so it records and indexes segments' },
  'recording.indexUnreadable': { 'zh-CN': '先启动一次代理程序，使其创建录像索引', en: 'start the agent once so it creates the segment index' },
  'recording.none': {
    'zh-CN': (p: Id) => `确认代理程序正在运行，并在其日志中查找摄像机 ${p.id} 的录像错误`,
    en: (p: Id) => `check that the agent runs and look in its log for recorder errors of ${p.id}`,
  },
  'recording.stopped': {
    'zh-CN': (p: Id) => `摄像机 ${p.id} 的录像已停止：确认代理程序正在运行（\`systemctl status cea\`），查看其日志中的录像错误，并检查摄像机码流`,
    en: (p: Id) => `recording of ${p.id} has stopped: check that the agent runs (\`systemctl status cea\`), its log for recorder errors, and the camera's stream`,
  },
  'recording.stalling': {
    'zh-CN': (p: Id) => `摄像机 ${p.id} 的录像可能出现停滞：查看代理程序日志`,
    en: (p: Id) => `recording of ${p.id} may be stalling: look at the agent log`,
  },
  'rtsp.noFfprobe': { 'zh-CN': '安装 ffmpeg（`apt install ffmpeg`），以便诊断程序检测码流', en: 'install ffmpeg (`apt install ffmpeg`) so diagnose can probe the streams' },
  'rtsp.failed': {
    'zh-CN': (p: Id) => `确认摄像机 ${p.id} 已启用 RTSP，且录像主机能访问其 554 端口；否则无法录像`,
    en: (p: Id) => `check that RTSP is enabled on ${p.id} and port 554 is reachable from the box; the recorder cannot record without it`,
  },
} satisfies Catalog;

export type DiagnoseCode = keyof typeof diagnoseDetails;
type ParamOf<E> = E extends { en: (p: infer P) => string } ? P : Record<never, never>;
/** The params a code's texts need (its detail's and its advice's). */
export type DiagnoseParams<K extends DiagnoseCode> = ParamOf<(typeof diagnoseDetails)[K]> &
  (K extends keyof typeof diagnoseAdvice ? ParamOf<(typeof diagnoseAdvice)[K]> : unknown);

type AnyEntry = { 'zh-CN': string | ((p: unknown) => string); en: string | ((p: unknown) => string) };

function renderEntry(entry: AnyEntry | undefined, lang: Language, params: unknown): string | undefined {
  if (entry === undefined) return undefined;
  const v = entry[lang];
  return typeof v === 'function' ? v(params ?? {}) : v;
}

export function isDiagnoseCode(code: unknown): code is DiagnoseCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(diagnoseDetails, code);
}

/** A code's detail and advice in one language; null for a code this catalog does not know. */
export function renderDiagnose(code: string, params: unknown, lang: Language): { detail: string; advice: string | undefined } | null {
  if (!isDiagnoseCode(code)) return null;
  try {
    const detail = renderEntry(diagnoseDetails[code] as AnyEntry, lang, params) as string;
    const advice = Object.prototype.hasOwnProperty.call(diagnoseAdvice, code)
      ? renderEntry((diagnoseAdvice as Record<string, AnyEntry>)[code], lang, params)
      : undefined;
    return { detail, advice };
  } catch {
    return null; // params of another version that do not fit: the stored English stands
  }
}

type Counts = { total: number; pass: number; warn: number; fail: number };

/** The `cea diagnose` / `cea inspections` human output around the checks. */
export const diagnoseCliTexts = {
  summary: {
    'zh-CN': (p: Counts) => `共 ${p.total} 项检查：通过 ${p.pass} 项，警告 ${p.warn} 项，失败 ${p.fail} 项`,
    en: (p: Counts) => `${p.total} checks: ${p.pass} pass, ${p.warn} warn, ${p.fail} fail`,
  },
  reportAt: { 'zh-CN': (p: { dir: string }) => `报告：${p.dir}`, en: (p: { dir: string }) => `report: ${p.dir}` },
  progress: {
    'zh-CN': (p: { done: number; total: number; name: string }) => `[${p.done}/${p.total}] ${p.name} 完成`,
    en: (p: { done: number; total: number; name: string }) => `[${p.done}/${p.total}] ${p.name} done`,
  },
  configErrors: {
    'zh-CN': (p: { n: number; file: string }) => `cea diagnose：${p.file} 中有 ${p.n} 处错误`,
    en: (p: { n: number; file: string }) => `cea diagnose: ${p.n} error(s) in ${p.file}`,
  },
  reportNotWritten: {
    'zh-CN': (p: { dir: string; message: string }) => `cea diagnose：无法将报告写入 ${p.dir}：${p.message}`,
    en: (p: { dir: string; message: string }) => `cea diagnose: the report could not be written to ${p.dir}: ${p.message}`,
  },
  notRecorded: {
    'zh-CN': (p: { problem: string }) => `cea diagnose：本次检查未记入检查记录：${p.problem}`,
    en: (p: { problem: string }) => `cea diagnose: the inspection was not recorded: ${p.problem}`,
  },
  noDatabaseAt: { 'zh-CN': (p: { file: string }) => `${p.file} 处没有数据库（请先启动一次代理程序）`, en: (p: { file: string }) => `no database at ${p.file} (start the agent once)` },
  dbLocked: { 'zh-CN': '数据库被其他进程锁定', en: 'the database is locked by another process' },
  dbReadonly: { 'zh-CN': '当前用户对数据库只有读权限', en: 'the database is read-only for this user' },
  dbOld: {
    'zh-CN': '数据库中还没有检查记录表（旧版结构）：请先启动一次本版本的代理程序',
    en: 'the database has no inspection history yet (an older schema): start this version of the agent once',
  },
  reportNeedsDir: { 'zh-CN': '--report 需要一个目录', en: '--report needs a directory' },
  noConfig: { 'zh-CN': '没有配置：请用 --config FILE 指定（或创建 config/agent.yaml）', en: 'no config: give --config FILE (or create config/agent.yaml)' },
  unknownCamera: {
    'zh-CN': (p: { id: string; file: string; cameras: string }) => `--camera：${p.file} 中没有摄像机 "${p.id}"（摄像机：${p.cameras || '无'}）`,
    en: (p: { id: string; file: string; cameras: string }) => `--camera: no camera "${p.id}" in ${p.file} (cameras: ${p.cameras || 'none'})`,
  },
  // cea inspections
  badLimit: {
    'zh-CN': (p: { value: string }) => `--limit："${p.value}" 不是正整数`,
    en: (p: { value: string }) => `--limit: "${p.value}" is not a positive whole number`,
  },
  historyUnreadable: {
    'zh-CN': (p: Msg) => `无法读取检查记录：${p.message}（请先启动一次代理程序以更新数据库）`,
    en: (p: Msg) => `the inspection history cannot be read: ${p.message} (start the agent once so it updates the database)`,
  },
  noInspection: { 'zh-CN': '尚无检查记录（运行 `cea diagnose`）', en: 'no inspection recorded yet (run `cea diagnose`)' },
  colTime: { 'zh-CN': (p: { tz: string }) => `时间（${p.tz}）`, en: (p: { tz: string }) => `time (${p.tz})` },
  colSource: { 'zh-CN': '来源', en: 'source' },
  colRequester: { 'zh-CN': '执行人', en: 'requester' },
  colCamera: { 'zh-CN': '摄像机', en: 'camera' },
  colResult: { 'zh-CN': '结果', en: 'result' },
  colCounts: { 'zh-CN': '通过/警告/失败', en: 'pass/warn/fail' },
  colReport: { 'zh-CN': '报告', en: 'report' },
  allCameras: { 'zh-CN': '全部', en: 'all' },
  source_cli: { 'zh-CN': '命令行', en: 'cli' },
  source_verb: { 'zh-CN': '平台请求', en: 'verb' },
  source_console: { 'zh-CN': '控制台', en: 'console' },
  status_pass: { 'zh-CN': '通过', en: 'pass' },
  status_warn: { 'zh-CN': '警告', en: 'warn' },
  status_fail: { 'zh-CN': '失败', en: 'fail' },
} satisfies Catalog;
