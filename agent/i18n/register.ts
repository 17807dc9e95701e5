// The register export's human texts: the CSV header labels (the spreadsheet the filing
// authority or the operator opens), the kind and state of a row in that spreadsheet, and
// the `cea register` command's human lines. The JSON export and `--headers keys` keep
// the stable English keys of REGISTER_COLUMNS (machine contract).
// Terms: 备案 (filing), 变更报告 (change report), 调取、查阅登记 (access register,
// Liaoning Art. 14 (iv), Art. 18 (iv)), 回执编号 (receipt number).
import type { Catalog } from './index.js';

export const registerCatalog = {
  // One label per REGISTER_COLUMNS key (agent/register/rows.ts); the test checks none is missing.
  'column.kind': { 'zh-CN': '类别', en: 'Kind' },
  'column.id': { 'zh-CN': '编号', en: 'ID' },
  'column.number': { 'zh-CN': '序号', en: 'No.' },
  'column.time': { 'zh-CN': '时间', en: 'Time' },
  'column.cameras': { 'zh-CN': '摄像机', en: 'Cameras' },
  'column.summary': { 'zh-CN': '摘要', en: 'Summary' },
  'column.deadline': { 'zh-CN': '期限', en: 'Deadline' },
  'column.state': { 'zh-CN': '状态', en: 'State' },
  'column.reportedAt': { 'zh-CN': '报告时间', en: 'Reported at' },
  'column.acknowledgedAt': { 'zh-CN': '确认时间', en: 'Acknowledged at' },
  'column.receiptNo': { 'zh-CN': '回执编号', en: 'Receipt no.' },
  'column.detail': { 'zh-CN': '详细数据（JSON）', en: 'Detail (JSON)' },

  'kind.change_report': { 'zh-CN': '变更报告', en: 'change report' },
  'kind.dossier': { 'zh-CN': '备案', en: 'filing dossier' },
  'kind.access': { 'zh-CN': '调取查阅登记', en: 'access' },

  // Change reports (agent/changes/policy.ts ReportState).
  'state.pending': { 'zh-CN': '待报告', en: 'pending' },
  'state.reported': { 'zh-CN': '已报告', en: 'reported' },
  'state.overdue': { 'zh-CN': '已逾期', en: 'overdue' },
  'state.acknowledged': { 'zh-CN': '已确认', en: 'acknowledged' },
  // The filing (agent/filing/policy.ts FilingStatus).
  'state.not_due': { 'zh-CN': '未到备案期', en: 'not due' },
  'state.due': { 'zh-CN': '待备案', en: 'due' },
  'state.filed': { 'zh-CN': '已备案', en: 'filed' },
  // Accesses (agent/access/register.ts AccessResult; refused:<reason> keeps its reason).
  'state.granted': { 'zh-CN': '已准许', en: 'granted' },
  'state.refused': { 'zh-CN': (p: { reason: string }) => `已拒绝：${p.reason}`, en: (p: { reason: string }) => `refused: ${p.reason}` },

  'verify.intact': {
    'zh-CN': (p: { rows: number; note: string | null }) => `调取查阅登记：${p.rows} 条，哈希链完整${p.note ? `（${p.note}）` : ''}`,
    en: (p: { rows: number; note: string | null }) => `access register: ${p.rows} row(s), chain intact${p.note ? ` (${p.note})` : ''}`,
  },
  'verify.tampered': {
    'zh-CN': (p: { message: string; firstBad: number | null; rows: number }) =>
      `调取查阅登记已被篡改：${p.message}${p.firstBad !== null ? `（共 ${p.rows} 条，第一条异常为第 ${p.firstBad} 条）` : ''}`,
    en: (p: { message: string; firstBad: number | null; rows: number }) =>
      `access register TAMPERED: ${p.message}${p.firstBad !== null ? ` (first bad row ${p.firstBad} of ${p.rows})` : ''}`,
  },
  'export.noDatabase': {
    'zh-CN': (p: { problem: string }) => `cea register：${p.problem}；没有可导出的变更报告或调取查阅登记`,
    en: (p: { problem: string }) => `cea register: ${p.problem}; no change reports or accesses to export`,
  },
} satisfies Catalog;
