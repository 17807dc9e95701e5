// The `cea` command line's human texts: the top-level help, the usage framing, and the
// human (non --json) output of deadline, retention, hold, discover, validate-config,
// score, clarity and run. --json output never goes through here (machine contract).
// Terms follow the Chinese public-security video regulations: 公共安全视频图像信息系统,
// 备案, 存储期限, 调取, 查阅, 工作日, 重要价值.
import type { Catalog } from './index.js';

const n = (k: number, one: string, many: string) => (k === 1 ? one : many);

export const cliCatalog = {
  // --- dispatcher (scripts/cea.ts) ---
  'usage.head': { 'zh-CN': '用法：cea <命令> [选项]   （每个命令都接受 --json 和 --lang zh-CN|en）', en: 'usage: cea <command> [options]   (every command takes --json and --lang zh-CN|en)' },
  'usage.commands': { 'zh-CN': '命令：', en: 'commands:' },
  'usage.more': { 'zh-CN': 'cea <命令> --help 显示该命令的选项。', en: 'cea <command> --help shows the options of one command.' },
  'usage.line': { 'zh-CN': (p: { usage: string }) => `用法：cea ${p.usage}`, en: (p: { usage: string }) => `usage: cea ${p.usage}` },
  'usage.unknown': { 'zh-CN': (p: { name: string }) => `cea：未知命令“${p.name}”`, en: (p: { name: string }) => `cea: unknown command '${p.name}'` },

  // --- command summaries (top-level help); a command without one shows its English summary ---
  'summary.run': { 'zh-CN': '运行代理程序（不带 --config 时：若有 config/agent.yaml 则使用之，否则运行内置演示）', en: 'run the agent (without --config: config/agent.yaml if present, else the built-in demo)' },
  'summary.discover': { 'zh-CN': '发现 ONVIF 摄像机（WS-Discovery）并查询其设备信息', en: 'find ONVIF cameras (WS-Discovery) and interrogate them' },
  'summary.validate-config': { 'zh-CN': '检查配置文件（格式、法定存储期限、密钥、文件），按 文件:行:列 报告问题', en: 'check a config file (schema, legal floor, secrets, files) and report file:line:col' },
  'summary.simulate': { 'zh-CN': '在 127.0.0.1 上运行模拟 ONVIF 摄像机，直到 Ctrl-C', en: 'run simulated ONVIF cameras on 127.0.0.1 until Ctrl-C' },
  'summary.dossier': { 'zh-CN': '备案材料：ONVIF 读取的设备信息、附件文件及其 SHA-256、备案期限与状态', en: 'the filing dossier: equipment from ONVIF, documents with SHA-256, filing deadline and status' },
  'summary.register': { 'zh-CN': '导出登记台账：变更报告、调取查阅登记及备案状态（JSON 或 CSV）；校验调取查阅登记', en: 'export the register: change reports, accesses and the filing dossier state (JSON or CSV); verify the access register' },
  'summary.deadline': { 'zh-CN': '变更后第 N 个工作日（默认 3：辽宁办法第十二条变更报告时限）', en: 'the Nth working day after a change (default 3: Liaoning Art. 12 change reports)' },
  'summary.score': { 'zh-CN': '静态图像的清晰度判定（模糊、曝光、对比度、偏色、噪声、条纹、遮挡、信号丢失）', en: 'clarity verdict of still images (blur, exposure, contrast, colour cast, noise, stripes, occlusion, signal loss)' },
  'summary.clarity': { 'zh-CN': '清晰度监测的操作（摄像机调整角度后重新学习正常画面）', en: "operator actions on clarity monitoring (relearn a camera's normal picture after re-aiming it)" },
  'summary.retention': { 'zh-CN': '录像轮转：核对索引与磁盘，然后显示（plan）或执行（sweep）删除', en: 'recordings rotation: reconcile index and disk, then show (plan) or perform (sweep) the deletions' },
  'summary.hold': { 'zh-CN': '保护某摄像机一段时间的录像：重要价值资料（按办法保存一年）或法律保全（直至解除）', en: "protect a time range of a camera's recordings: vital (the profile's period, 1 year) or legal (until released)" },
  'summary.diagnose': { 'zh-CN': '技术人员检查清单：配置、数据库、存储、时间、消息服务器、密钥、各摄像机、主机', en: 'technician checklist: config, database, storage, time, broker, keys, each camera, host' },
  'summary.inspections': { 'zh-CN': '检查记录：每次 diagnose 检查的结果及报告目录', en: 'the inspection history: every diagnose run with its result and report directory' },
  'summary.user': { 'zh-CN': '操作员控制台账户：添加（密码从标准输入读取）、列出、删除', en: 'operator accounts of the web console: add (password from stdin), list, remove' },

  // --- usage errors (scripts/cli/lang.ts usageError) ---
  'err.lang': { 'zh-CN': (p: { value: string }) => `--lang 只能是 zh-CN 或 en，而不是“${p.value}”`, en: (p: { value: string }) => `--lang must be zh-CN or en, not "${p.value}"` },
  'err.noConfig': { 'zh-CN': '没有配置文件：请用 --config FILE 指定（或创建 config/agent.yaml）', en: 'no config: give --config FILE (or create config/agent.yaml)' },
  'err.now': {
    'zh-CN': (p: { value: string }) => `--now：“${p.value}”不是 ISO 日期时间（例如 2024-06-01T09:00:00+08:00）`,
    en: (p: { value: string }) => `--now: "${p.value}" is not an ISO date-time (e.g. 2024-06-01T09:00:00+08:00)`,
  },
  'err.bound': {
    'zh-CN': (p: { option: string; value: string }) => `--${p.option}：“${p.value}”既不是日期 YYYY-MM-DD，也不是 ISO 日期时间`,
    en: (p: { option: string; value: string }) => `--${p.option}: "${p.value}" is neither a date YYYY-MM-DD nor an ISO date-time`,
  },
  'err.missingSub': {
    'zh-CN': (p: { expected: string }) => `缺少子命令（${p.expected}）`,
    en: (p: { expected: string }) => `missing sub-command (${p.expected})`,
  },
  'err.unknownSub': {
    'zh-CN': (p: { value: string; expected: string }) => `未知子命令“${p.value}”（应为 ${p.expected}）`,
    en: (p: { value: string; expected: string }) => `unknown sub-command "${p.value}" (expected ${p.expected})`,
  },
  'err.required': { 'zh-CN': (p: { option: string }) => `必须给出 ${p.option}`, en: (p: { option: string }) => `${p.option} is required` },
  'err.holdKind': { 'zh-CN': '--kind 只能是 vital（重要价值资料）或 legal（法律保全）', en: '--kind must be vital or legal' },
  'err.holdReason': { 'zh-CN': '必须给出 --reason（谁提出、哪个案件）', en: '--reason is required (who asked, which case)' },
  'err.releaseReason': { 'zh-CN': '必须给出 --reason：解除记录留作审计', en: '--reason is required: the release is kept for the audit' },
  'err.missingDatetime': { 'zh-CN': '缺少 DATETIME（变更时间）', en: 'missing DATETIME' },
  'err.oneDatetime': { 'zh-CN': '只能给出一个 DATETIME', en: 'expected exactly one DATETIME' },
  'err.workingDays': {
    'zh-CN': (p: { max: number; value: string }) => `--working-days 必须是 1 到 ${p.max} 的整数，而不是“${p.value}”`,
    en: (p: { max: number; value: string }) => `--working-days must be a whole number from 1 to ${p.max}, got "${p.value}"`,
  },
  'err.timezone': {
    'zh-CN': (p: { value: string }) => `--timezone：“${p.value}”不是 IANA 时区（例如 Asia/Shanghai）`,
    en: (p: { value: string }) => `--timezone: "${p.value}" is not an IANA time zone (e.g. Asia/Shanghai)`,
  },
  'err.notDate': { 'zh-CN': (p: { value: string }) => `“${p.value}”不是有效日期`, en: (p: { value: string }) => `"${p.value}" is not a date` },
  'err.notDateTime': {
    'zh-CN': (p: { value: string; needsOffset: boolean }) =>
      `“${p.value}”不是带时区偏移的 ISO 8601 日期时间（例如 2026-02-13T17:30:00Z），也不是日期（YYYY-MM-DD）${p.needsOffset ? '（请加上时区偏移，例如 +08:00 或 Z）' : ''}`,
    en: (p: { value: string; needsOffset: boolean }) =>
      `"${p.value}" is not an ISO 8601 date-time with offset (e.g. 2026-02-13T17:30:00Z) or a date (YYYY-MM-DD)${p.needsOffset ? ' (add the offset, e.g. +08:00, or Z)' : ''}`,
  },
  'err.invalidDateTime': { 'zh-CN': (p: { value: string }) => `“${p.value}”不是有效的日期时间`, en: (p: { value: string }) => `"${p.value}" is not a valid date-time` },
  'err.badOffset': { 'zh-CN': (p: { value: string }) => `“${p.value}”的 UTC 偏移无效`, en: (p: { value: string }) => `"${p.value}" has an invalid UTC offset` },
  'err.missingImg': { 'zh-CN': '缺少 IMG：请给出一个或多个 JPEG 文件', en: 'missing IMG: give one or more JPEG files' },
  'err.nameCameras': { 'zh-CN': '请列出摄像机，或使用 --all', en: 'name the cameras, or --all' },
  'err.noSuchCamera': { 'zh-CN': (p: { ids: string }) => `配置中没有这些摄像机：${p.ids}`, en: (p: { ids: string }) => `no such camera in the config: ${p.ids}` },
  'err.fromBeforeTo': { 'zh-CN': '--from 必须早于 --to', en: '--from must be before --to' },
  'err.timeout': { 'zh-CN': '--timeout 必须是 0 到 120 之间的秒数', en: '--timeout must be a number of seconds between 0 and 120' },
  'err.credentials': { 'zh-CN': '--username 和 --password 必须同时给出', en: '--username and --password go together' },
  'err.missingFile': { 'zh-CN': '缺少 FILE（配置文件）', en: 'missing FILE' },
  'err.oneFile': { 'zh-CN': '只能给出一个 FILE', en: 'expected exactly one FILE' },
  'err.format': {
    'zh-CN': (p: { allowed: string; value: string }) => `--format 只能是 ${p.allowed}，而不是“${p.value}”`,
    en: (p: { allowed: string; value: string }) => `--format must be ${p.allowed}, not "${p.value}"`,
  },
  'err.headers': {
    'zh-CN': (p: { value: string }) => `--headers 只能是 labels（按语言的列名）或 keys（固定英文键名），而不是“${p.value}”`,
    en: (p: { value: string }) => `--headers must be labels or keys, not "${p.value}"`,
  },

  // --- shared framing ---
  'config.errors': {
    'zh-CN': (p: { name: string; count: number; file: string }) => `cea ${p.name}：${p.file} 中有 ${p.count} 处错误`,
    en: (p: { name: string; count: number; file: string }) => `cea ${p.name}: ${p.count} error(s) in ${p.file}`,
  },
  warning: { 'zh-CN': '警告：', en: 'warning: ' },

  // --- deadline ---
  'deadline.line': {
    'zh-CN': (p: { deadline: string; n: number; changeDate: string; zone: string }) => `报告期限 ${p.deadline}：${p.changeDate} 之后第 ${p.n} 个工作日（${p.zone}）`,
    en: (p: { deadline: string; n: number; changeDate: string; zone: string }) =>
      `deadline ${p.deadline}: ${p.n} working ${n(p.n, 'day', 'days')} after ${p.changeDate} (${p.zone})`,
  },
  'deadline.skippedNothing': { 'zh-CN': '未跳过任何日期', en: 'skipped nothing' },
  'deadline.skipped': { 'zh-CN': (p: { list: string }) => `跳过 ${p.list}`, en: (p: { list: string }) => `skipped ${p.list}` },
  'deadline.makeUp': {
    'zh-CN': (p: { dates: string; count: number }) => `计入调休上班日 ${p.dates}`,
    en: (p: { dates: string; count: number }) => `counted make-up working ${n(p.count, 'day', 'days')} ${p.dates}`,
  },
  'deadline.unknownYears': {
    'zh-CN': (p: { years: string }) => `${p.years} 年无节假日数据：仅按周一至周五计算`,
    en: (p: { years: string }) => `no holiday data for ${p.years}: weekdays only`,
  },
  'deadline.range': { 'zh-CN': (p: { first: string; last: string }) => `${p.first} 至 ${p.last}`, en: (p: { first: string; last: string }) => `${p.first} to ${p.last}` },
  'deadline.weekend': { 'zh-CN': '周末', en: 'weekend' },
  'deadline.holiday': { 'zh-CN': '节假日', en: 'holiday' },
  'deadline.sep': { 'zh-CN': '；', en: '; ' },
  'deadline.listSep': { 'zh-CN': '，', en: ', ' },

  // --- retention ---
  'retention.wouldDelete': {
    'zh-CN': (p: { count: number; size: string }) => `将删除：${p.count} 个录像片段，${p.size}`,
    en: (p: { count: number; size: string }) => `would delete: ${p.count} segment(s), ${p.size}`,
  },
  'retention.deleted': {
    'zh-CN': (p: { count: number; size: string }) => `已删除：${p.count} 个录像片段，${p.size}`,
    en: (p: { count: number; size: string }) => `deleted: ${p.count} segment(s), ${p.size}`,
  },
  'retention.reason.past_ceiling': { 'zh-CN': '超过最长保存天数', en: 'past_ceiling' },
  'retention.reason.disk_pressure': { 'zh-CN': '磁盘空间不足', en: 'disk_pressure' },
  'retention.reasonLine': {
    'zh-CN': (p: { reason: string; count: number; size: string }) => `  ${p.reason}：${p.count} 个（${p.size}）`,
    en: (p: { reason: string; count: number; size: string }) => `  ${p.reason}: ${p.count} (${p.size})`,
  },
  'retention.skipped': {
    'zh-CN': (p: { count: number; path: string; reason: string }) => `未删除：${p.count} 个（第一个：${p.path}：${p.reason}）`,
    en: (p: { count: number; path: string; reason: string }) => `skipped: ${p.count} (first: ${p.path}: ${p.reason})`,
  },
  'retention.kept': {
    'zh-CN': (p: { floor: number; hold: number; other: number }) => `保留：${p.floor} 个在存储期限内，${p.hold} 个被保全，${p.other} 个其他`,
    en: (p: { floor: number; hold: number; other: number }) => `kept: ${p.floor} inside the floor, ${p.hold} held, ${p.other} other`,
  },
  'retention.index': {
    'zh-CN': (p: { adopted: number; missing: number }) => `索引：纳入 ${p.adopted} 个文件，缺失 ${p.missing} 个`,
    en: (p: { adopted: number; missing: number }) => `index: ${p.adopted} file(s) adopted, ${p.missing} missing`,
  },
  'retention.forecastUnknown': { 'zh-CN': '未知（近期无录像）', en: 'unknown (no recent recordings)' },
  'retention.forecastDays': { 'zh-CN': (p: { days: number }) => `可保存 ${p.days} 天`, en: (p: { days: number }) => `${p.days} days retainable` },
  'retention.forecast': {
    'zh-CN': (p: { what: string; floor: number; margin: number; ok: boolean }) =>
      `容量预测：${p.what}（存储期限 ${p.floor} 天 + 余量 ${p.margin} 天）：${p.ok ? '满足' : '不足'}`,
    en: (p: { what: string; floor: number; margin: number; ok: boolean }) =>
      `forecast: ${p.what} (floor ${p.floor} d + ${p.margin} d margin): ${p.ok ? 'ok' : 'SHORT'}`,
  },
  'severity.critical': { 'zh-CN': '严重', en: 'CRITICAL' },
  'severity.warning': { 'zh-CN': '警告', en: 'WARNING' },
  'severity.info': { 'zh-CN': '提示', en: 'INFO' },

  // --- hold ---
  'hold.kind.vital': { 'zh-CN': '重要价值资料', en: 'vital' },
  'hold.kind.legal': { 'zh-CN': '法律保全', en: 'legal' },
  'hold.released': {
    'zh-CN': (p: { at: string; by: string }) => `已于 ${p.at} 由 ${p.by} 解除`,
    en: (p: { at: string; by: string }) => `released ${p.at} by ${p.by}`,
  },
  'hold.until': { 'zh-CN': (p: { until: string }) => `保存至 ${p.until}`, en: (p: { until: string }) => `until ${p.until}` },
  'hold.untilReleased': { 'zh-CN': '直至解除', en: 'until released' },
  'hold.expired': { 'zh-CN': (p: { until: string }) => `已于 ${p.until} 到期`, en: (p: { until: string }) => `expired ${p.until}` },
  'hold.none': { 'zh-CN': '没有录像保全', en: 'no holds' },
  'hold.added': { 'zh-CN': '已保全', en: 'hold' },
  'hold.releasedHead': { 'zh-CN': '已解除', en: 'released' },
  'hold.headers': { 'zh-CN': '编号|摄像机|起|止|类别|状态|事由（登记人）', en: 'id|camera|from|to|kind|state|reason (by)' },

  // --- discover ---
  'discover.probing': { 'zh-CN': (p: { s: number }) => `正在探测 ONVIF 设备（${p.s} 秒）…`, en: (p: { s: number }) => `probing for ONVIF devices (${p.s} s)…` },
  'discover.found': { 'zh-CN': (p: { count: number }) => `已发现 ${p.count} 台`, en: (p: { count: number }) => `${p.count} found` },
  'discover.interrogating': {
    'zh-CN': (p: { done: number; total: number }) => `正在查询 ${p.done}/${p.total}…`,
    en: (p: { done: number; total: number }) => `interrogating ${p.done}/${p.total}…`,
  },
  'discover.none': {
    'zh-CN': (p: { where: string; s: number }) => `${p.s} 秒内 ${p.where} 上没有 ONVIF 设备应答。`,
    en: (p: { where: string; s: number }) => `No ONVIF device answered on ${p.where} within ${p.s} s.`,
  },
  'discover.anyInterface': { 'zh-CN': '任何网络接口', en: 'any interface' },
  'discover.headers': { 'zh-CN': '地址|厂商|型号|固件|序列号|认证|主码流', en: 'address|manufacturer|model|firmware|serial|auth|main stream' },
  'discover.count': {
    'zh-CN': (p: { count: number; where: string }) => `${p.where} 上共 ${p.count} 台设备。`,
    en: (p: { count: number; where: string }) => `${p.count} device(s) on ${p.where}.`,
  },
  'discover.addCredentials': { 'zh-CN': '加上 --username/--password 可读取设备标识和码流配置。', en: 'Add --username/--password to read identity and profiles.' },
  'discover.auth.ok': { 'zh-CN': '成功', en: 'ok' },
  'discover.auth.unauthorized': { 'zh-CN': '认证失败', en: 'unauthorized' },
  'discover.auth.not_tried': { 'zh-CN': '未尝试', en: 'not_tried' },
  'discover.auth.error': { 'zh-CN': '出错', en: 'error' },

  // --- validate-config ---
  'validate.valid': {
    'zh-CN': (p: { file: string; errors: number; warnings: number }) => `${p.file}：有效（${p.errors} 处错误，${p.warnings} 条警告）`,
    en: (p: { file: string; errors: number; warnings: number }) => `${p.file}: valid (${p.errors} error(s), ${p.warnings} warning(s))`,
  },
  'validate.invalid': {
    'zh-CN': (p: { file: string; errors: number; warnings: number }) => `${p.file}：无效（${p.errors} 处错误，${p.warnings} 条警告）`,
    en: (p: { file: string; errors: number; warnings: number }) => `${p.file}: invalid (${p.errors} error(s), ${p.warnings} warning(s))`,
  },

  // --- score ---
  'score.headers': { 'zh-CN': '文件|尺寸|故障|清晰度|亮度|动态范围|噪声|相似度|耗时(毫秒)', en: 'FILE|SIZE|FAULTS|SHARP|BRIGHT|RANGE|NOISE|SIMILAR|MS' },
  'score.ok': { 'zh-CN': '正常', en: 'ok' },
  'score.summary': {
    'zh-CN': (p: { count: number; bad: number; reference: string | null }) =>
      `共 ${p.count} 张图像，${p.bad} 张有故障${p.reference !== null ? `（与 ${p.reference} 比较）` : ''}`,
    en: (p: { count: number; bad: number; reference: string | null }) =>
      `${p.count} image${p.count === 1 ? '' : 's'}, ${p.bad} with faults${p.reference !== null ? ` (compared with ${p.reference})` : ''}`,
  },

  // --- clarity ---
  'clarity.relearn': {
    'zh-CN': (p: { cameras: string }) => `代理程序将根据后续采样重新学习 ${p.cameras} 的正常画面。`,
    en: (p: { cameras: string }) => `The agent will learn the normal picture of ${p.cameras} again from its next samples.`,
  },

  // --- run (startup banner) ---
  'run.nothingStarted': {
    'zh-CN': (p: { count: number; file: string }) => `cea run：${p.file} 中有 ${p.count} 处错误；未启动任何服务`,
    en: (p: { count: number; file: string }) => `cea run: ${p.count} error(s) in ${p.file}; nothing started`,
  },
  'run.demo': {
    'zh-CN': (p: { site: string; cameras: number }) => `  演示站点“${p.site}”正在运行，含 ${p.cameras} 台模拟摄像机。`,
    en: (p: { site: string; cameras: number }) => `  Demo site '${p.site}' is running with ${p.cameras} simulated cameras.`,
  },
  'run.watch': {
    'zh-CN': '  在另一个终端查看公安机关平台收到的内容（只读）：',
    en: '  Watch what the police platform sees (read-only, from another terminal):',
  },
  'run.console': {
    'zh-CN': (p: { url: string; user: string; password: string }) => `  操作员控制台：${p.url}  （用户 ${p.user}，密码 ${p.password}；每次启动重新生成）`,
    en: (p: { url: string; user: string; password: string }) => `  Operator console: ${p.url}  (user ${p.user}, password ${p.password}; new at every start)`,
  },
  'run.stop': { 'zh-CN': '  按 Ctrl-C 停止。', en: '  Stop with Ctrl-C.' },
} satisfies Catalog;

export type CliCatalog = typeof cliCatalog;

/** Column headers stored as one '|'-joined text per table (one entry, both languages side by side). */
export function headerList(text: string): string[] {
  return text.split('|');
}
