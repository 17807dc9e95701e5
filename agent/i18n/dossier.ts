// The filing dossier's texts (agent/filing/render.ts), Simplified Chinese and English.
// Chinese terms as the measures use them: 公共安全视频图像信息系统, 备案, 备案材料,
// 设计方案, 合同, 验收文件, 设备型号、性能和技术参数, 存储期限, 重要价值, 公安机关.
import type { Catalog } from './index.js';

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

export const dossierCatalog = {
  title: { 'zh-CN': (p: { site: string }) => `公共安全视频图像信息系统备案材料：${p.site}`, en: (p: { site: string }) => `Filing dossier: ${p.site}` },
  subtitle: {
    'zh-CN': (p: { regulation: string; profile: string }) => `公共安全视频图像信息系统。适用规定：${p.regulation}（配置 \`${p.profile}\`）。`,
    en: (p: { regulation: string; profile: string }) => `Public security video image information system. Jurisdiction: ${p.regulation} (profile \`${p.profile}\`).`,
  },
  basis: { 'zh-CN': (p: { articles: string }) => `备案依据：${p.articles}。`, en: (p: { articles: string }) => `Filed under ${p.articles}.` },

  'cover.item': { 'zh-CN': '项目', en: 'Item' },
  'cover.value': { 'zh-CN': '内容', en: 'Value' },
  'cover.site': { 'zh-CN': '站点', en: 'Site' },
  'cover.siteValue': {
    'zh-CN': (p: { name: string; id: string; zone: string }) => `${p.name}（${p.id}），时区 ${p.zone}`,
    en: (p: { name: string; id: string; zone: string }) => `${p.name} (${p.id}), time zone ${p.zone}`,
  },
  'cover.operator': { 'zh-CN': '建设使用单位', en: 'Operator' },
  'cover.contact': { 'zh-CN': '联系人', en: 'Contact' },
  'cover.authority': { 'zh-CN': '备案机关', en: 'Filing authority' },
  'cover.acceptedOn': { 'zh-CN': '竣工验收日期', en: 'Accepted on' },
  'cover.inUseSince': { 'zh-CN': '投入使用日期', en: 'In use since' },
  'cover.existingSystem': { 'zh-CN': '办法施行前已建成', en: 'Built before the measures' },
  'cover.period': { 'zh-CN': '备案期限', en: 'Filing period' },
  'cover.deadline': { 'zh-CN': '备案截止日期', en: 'Deadline' },
  'cover.status': { 'zh-CN': '状态', en: 'Status' },
  'cover.generated': { 'zh-CN': '生成时间', en: 'Generated' },
  'cover.generatedValue': {
    'zh-CN': (p: { at: string; zone: string }) => `${p.at}（${p.zone}）`,
    en: (p: { at: string; zone: string }) => `${p.at} (${p.zone})`,
  },
  yes: { 'zh-CN': '是', en: 'yes' },
  colon: { 'zh-CN': '：', en: ': ' },
  no: { 'zh-CN': '否', en: 'no' },
  'period.noDate': {
    'zh-CN': (p: { days: number }) => `${p.days} 日（未配置竣工验收日期或投入使用日期）`,
    en: (p: { days: number }) => `${days(p.days)} (no acceptance or in-use date configured)`,
  },
  'period.fromAcceptance': {
    'zh-CN': (p: { days: number; from: string }) => `自竣工验收之日（${p.from}）起 ${p.days} 日内`,
    en: (p: { days: number; from: string }) => `${days(p.days)} from acceptance (${p.from})`,
  },
  'period.fromUse': {
    'zh-CN': (p: { days: number; from: string }) => `自投入使用之日（${p.from}）起 ${p.days} 日内`,
    en: (p: { days: number; from: string }) => `${days(p.days)} from first use (${p.from})`,
  },

  // describeFilingStatus in both languages
  'status.filed': { 'zh-CN': '已备案', en: 'filed' },
  'status.filedOn': {
    'zh-CN': (p: { date: string; receipt: string | null; lateAfter: string | null }) =>
      `已于 ${p.date} 备案${p.receipt ? `，回执编号 ${p.receipt}` : ''}${p.lateAfter !== null ? `（晚于截止日期 ${p.lateAfter}）` : ''}`,
    en: (p: { date: string; receipt: string | null; lateAfter: string | null }) =>
      `filed on ${p.date}${p.receipt ? `, receipt ${p.receipt}` : ''}${p.lateAfter !== null ? ` (after the deadline ${p.lateAfter})` : ''}`,
  },
  'status.notDueNoDate': { 'zh-CN': '未到备案期：未配置竣工验收日期或投入使用日期', en: 'not due: no acceptance or in-use date configured' },
  'status.notDueYet': { 'zh-CN': (p: { from: string }) => `未到备案期：自 ${p.from} 起算`, en: (p: { from: string }) => `not due yet: counts from ${p.from}` },
  'status.dueToday': { 'zh-CN': '今日到期', en: 'due today' },
  'status.dueIn': { 'zh-CN': (p: { n: number }) => `距截止日期尚余 ${p.n} 日`, en: (p: { n: number }) => `due in ${days(p.n)}` },
  'status.overdue': { 'zh-CN': (p: { n: number }) => `已逾期 ${p.n} 日`, en: (p: { n: number }) => `overdue by ${days(p.n)}` },

  complete: { 'zh-CN': '备案材料齐全', en: 'Dossier complete' },
  completeText: { 'zh-CN': '所需文件均已提供，所有摄像机均已查询设备信息。', en: 'All required documents are present and every camera has been interrogated.' },
  incomplete: { 'zh-CN': (p: { n: number }) => `备案材料不全：缺 ${p.n} 项`, en: (p: { n: number }) => `Dossier INCOMPLETE: ${p.n} item(s) missing` },
  'missing.document': { 'zh-CN': '文件', en: 'document' },
  'missing.inventory': { 'zh-CN': '设备信息', en: 'inventory' },
  'missing.config': { 'zh-CN': '配置', en: 'config' },
  'missing.notListed': {
    'zh-CN': (p: { kind: string }) => `filing.documents 中未列出“${p.kind}”`,
    en: (p: { kind: string }) => `no ${p.kind} document is listed in filing.documents`,
  },
  'missing.noCameras': { 'zh-CN': '未配置任何摄像机：设备清单为空', en: 'no cameras are configured: the equipment table is empty' },
  'missing.neverInterrogated': { 'zh-CN': '从未查询：型号、固件和序列号未知', en: 'never interrogated: model, firmware and serial are unknown' },
  'missing.noOperator': { 'zh-CN': '未填写备案的建设使用单位（filing.operator）', en: 'the organisation filing the system is not named' },

  equipment: {
    'zh-CN': (p: { n: number }) => `设备型号、性能和技术参数（${p.n} 台摄像机）`,
    en: (p: { n: number }) => `Equipment (${p.n} camera${p.n === 1 ? '' : 's'})`,
  },
  equipmentText: { 'zh-CN': '型号、固件和序列号均为各摄像机通过 ONVIF 报告的原始内容。', en: 'Model, firmware and serial exactly as each camera reports them over ONVIF.' },
  'equipment.headers': {
    'zh-CN': '摄像机|名称|安装位置|用途|厂商|型号|固件|序列号|最后在线时间',
    en: 'Camera|Name|Location|Purpose|Manufacturer|Model|Firmware|Serial|Last seen',
  },
  prohibitedPlace: { 'zh-CN': '（禁止安装场所）', en: ' (PROHIBITED PLACE)' },
  neverInterrogated: { 'zh-CN': '从未查询', en: 'never interrogated' },
  encoders: { 'zh-CN': '视频编码参数', en: 'Video encoders' },
  'encoders.headers': { 'zh-CN': '摄像机|码流配置|编码|分辨率|帧率|码率（kbit/s）|GOP', en: 'Camera|Profile|Codec|Resolution|FPS|Bitrate (kbit/s)|GOP' },
  'encoders.none': { 'zh-CN': '尚无编码参数：尚未查询任何摄像机。', en: 'No encoder data yet: no camera has been interrogated.' },

  retention: { 'zh-CN': '录像存储期限', en: 'Retention' },
  'retention.headers': { 'zh-CN': '规则|天数', en: 'Policy|Days' },
  'retention.floor': { 'zh-CN': '至少保存（存储期限）', en: 'Kept at least (floor)' },
  'retention.legal': { 'zh-CN': (p: { basis: string }) => `法定最短存储期限（${p.basis}）`, en: (p: { basis: string }) => `Legal floor (${p.basis})` },
  'retention.ceiling': { 'zh-CN': '超过后删除（最长保存天数，保全的除外）', en: 'Deleted after (ceiling, unless held)' },
  'retention.vital': { 'zh-CN': (p: { basis: string }) => `重要价值资料保存（${p.basis}）`, en: (p: { basis: string }) => `Material of vital value kept (${p.basis})` },

  documents: { 'zh-CN': '备案文件', en: 'Documents' },
  'documents.headers': { 'zh-CN': '类别|标题|文件|大小|SHA-256|修改时间', en: 'Kind|Title|File|Size|SHA-256|Modified' },
  'documents.missing': { 'zh-CN': '缺失', en: 'MISSING' },
  'documents.none': { 'zh-CN': '未列出任何文件（配置 `filing.documents`）。', en: 'No documents are listed (config `filing.documents`).' },
  'doc.design_scheme': { 'zh-CN': '设计方案', en: 'design_scheme' },
  'doc.contract': { 'zh-CN': '合同', en: 'contract' },
  'doc.acceptance_report': { 'zh-CN': '验收文件', en: 'acceptance_report' },
  'doc.equipment_list': { 'zh-CN': '设备型号、性能和技术参数', en: 'equipment_list' },
  'doc.other': { 'zh-CN': '其他有关资料', en: 'other' },
  'problem.does not exist': { 'zh-CN': '文件不存在', en: 'does not exist' },
  'problem.is not readable (permission denied)': { 'zh-CN': '无权读取', en: 'is not readable (permission denied)' },
  'problem.is a directory': { 'zh-CN': '是目录而非文件', en: 'is a directory' },
  'problem.is not a regular file': { 'zh-CN': '不是普通文件', en: 'is not a regular file' },
  'problem.not examined': { 'zh-CN': '未检查', en: 'not examined' },
  bytes: { 'zh-CN': (p: { size: string; n: number }) => `${p.size}（${p.n} 字节）`, en: (p: { size: string; n: number }) => `${p.size} (${p.n} bytes)` },

  unconfigured: { 'zh-CN': '网络上未配置的设备', en: 'Devices on the network that are not configured' },
  'unconfigured.headers': { 'zh-CN': 'URN|地址|首次发现|最后发现', en: 'URN|Addresses|First seen|Last seen' },

  notes: { 'zh-CN': '说明', en: 'Notes' },
  'note.configOnly': {
    'zh-CN': (p: { problem: string }) => `设备信息仅来自配置文件（${p.problem}）：代理程序查询摄像机之前，设备标识和编码参数未知。`,
    en: (p: { problem: string }) =>
      `Equipment from the config alone (${p.problem}): identity and encoder fields are unknown until the agent has interrogated the cameras.`,
  },
  'note.noDatabase': { 'zh-CN': '无数据库', en: 'no database' },
  'note.acceptanceFirst': {
    'zh-CN': '备案期限自竣工验收之日起算，取两个日期中较早者（大同办法第十五条）；辽宁办法第十二条自投入使用之日起算，不会更早。',
    en: 'The deadline counts from acceptance, the earlier of the two dates (Datong Art. 15); Liaoning Art. 12 counts from use, which is never earlier.',
  },
  'note.existing': {
    'zh-CN': (p: { days: number; from: 'in_use' | 'acceptance' }) =>
      `办法施行前已建成的系统：法定 ${p.days} 日自办法施行之日起算；配置中没有该日期，故自本系统${p.from === 'in_use' ? '投入使用' : '竣工验收'}之日起算，不会晚于法定期限。`,
    en: (p: { days: number; from: 'in_use' | 'acceptance' }) =>
      `Existing system: the law counts the ${p.days} days from the measures' entry into force; the profile does not record that date, so the deadline is counted from the system's own ${p.from === 'in_use' ? 'in-use' : 'acceptance'} date, which is no later.`,
  },
  'note.prohibited': {
    'zh-CN': (p: { id: string; kind: string }) => `摄像机 ${p.id} 配置在禁止安装的场所（${p.kind}）；不录像、不传输图像（辽宁办法第九条、大同办法第九条）。`,
    en: (p: { id: string; kind: string }) =>
      `Camera ${p.id} is configured in a prohibited place (${p.kind}); it is neither recorded nor streamed (Liaoning Art. 9, Datong Art. 9).`,
  },
  'note.unconfigured': {
    'zh-CN': (p: { n: number }) => `${p.n} 台设备应答了 WS-Discovery 但未配置；属于本系统的摄像机也须备案。`,
    en: (p: { n: number }) => `${p.n} device(s) answered WS-Discovery but are not configured; a camera of the system must be filed too.`,
  },

  signature: { 'zh-CN': '签章', en: 'Signatures' },
  'signature.operator': { 'zh-CN': '建设使用单位（盖章）：', en: 'Operator (seal):' },
  'signature.authority': { 'zh-CN': '备案机关（盖章）：', en: 'Filing authority (seal):' },
  'signature.date': { 'zh-CN': '日期：', en: 'Date:' },
  page: { 'zh-CN': '页', en: 'page' },

  // Where a profile's rules come from; an unknown profile shows its own name and no article.
  'regulation.liaoning-2008': { 'zh-CN': '《辽宁省公共安全视频图像信息系统管理办法》（省政府令第211号）', en: 'Liaoning Province public-security video image information system measures (Decree No. 211, 2008)' },
  'regulation.datong': { 'zh-CN': '《大同市公共安全视频图像信息系统管理办法》', en: 'Datong Municipality public security video image information system measures' },
  'articles.liaoning-2008': {
    'zh-CN': '《辽宁省公共安全视频图像信息系统管理办法》第十二条（投入使用之日起 30 日内向县级公安机关备案；变更于 3 个工作日内报告）',
    en: 'Liaoning Province measures, Art. 12 (file with the county-level public security organ within 30 days of use; report changes within 3 working days)',
  },
  'articles.datong': {
    'zh-CN': '《大同市公共安全视频图像信息系统管理办法》第十五条（竣工验收之日起 30 日内备案设计方案、合同、验收文件及设备型号、性能和技术参数）',
    en: 'Datong Municipality measures, Art. 15 (file the design scheme, contract, acceptance documents and the equipment models, performance and technical parameters within 30 days of acceptance)',
  },
  'retentionBasis.liaoning-2008': { 'zh-CN': '辽宁办法第十四条第（七）项', en: 'Liaoning Art. 14 (vii)' },
  'retentionBasis.datong': { 'zh-CN': '大同配置的假定值，现有办法文本未规定', en: 'Datong profile assumption: not in the available text' },
  'retentionBasis.other': { 'zh-CN': (p: { profile: string }) => `配置 ${p.profile}`, en: (p: { profile: string }) => `profile ${p.profile}` },

  // location.kind, the known ones; others print as written.
  'place.street': { 'zh-CN': '道路', en: 'street' },
  'place.road': { 'zh-CN': '道路', en: 'road' },
  'place.square': { 'zh-CN': '广场', en: 'square' },
  'place.parking': { 'zh-CN': '停车场', en: 'parking' },
  'place.entrance': { 'zh-CN': '出入口', en: 'entrance' },
  'place.lobby': { 'zh-CN': '大堂', en: 'lobby' },
  'place.corridor': { 'zh-CN': '走廊', en: 'corridor' },
  'place.perimeter': { 'zh-CN': '周界', en: 'perimeter' },
  'place.residence': { 'zh-CN': '住宅', en: 'residence' },
  'place.hotel_room': { 'zh-CN': '旅馆客房', en: 'hotel_room' },
  'place.bathroom': { 'zh-CN': '浴室', en: 'bathroom' },
  'place.toilet': { 'zh-CN': '卫生间', en: 'toilet' },
  'place.changing_room': { 'zh-CN': '更衣室', en: 'changing_room' },
  'place.dormitory': { 'zh-CN': '宿舍', en: 'dormitory' },

  'cli.incomplete': {
    'zh-CN': (p: { n: number }) => `cea dossier：备案材料不全，缺 ${p.n} 项：`,
    en: (p: { n: number }) => `cea dossier: incomplete, ${p.n} item(s) missing:`,
  },
} satisfies Catalog;

export type DossierCatalog = typeof dossierCatalog;
