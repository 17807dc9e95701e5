// Texts of the console's login page and of the pages the console server itself answers
// with (refusals and errors). The console's other pages have their own catalog (console.ts).
import type { Catalog } from './index.js';

export const consoleAuthTexts = {
  product: { 'zh-CN': '视频图像信息系统合规代理', en: 'Camera edge agent' },
  loginTitle: { 'zh-CN': '登录控制台', en: 'Sign in to the console' },
  userName: { 'zh-CN': '用户名', en: 'User name' },
  password: { 'zh-CN': '密码', en: 'Password' },
  signIn: { 'zh-CN': '登录', en: 'Sign in' },
  signOut: { 'zh-CN': '退出登录', en: 'Sign out' },
  wrongCredentials: { 'zh-CN': '用户名或密码不正确。', en: 'Wrong user name or password.' },
  tooManyAttempts: {
    'zh-CN': (p: { minutes: number }) => `登录失败次数过多，请 ${p.minutes} 分钟后再试。`,
    en: (p: { minutes: number }) => `Too many failed sign-ins. Try again in ${p.minutes} minute${p.minutes === 1 ? '' : 's'}.`,
  },
  busy: { 'zh-CN': '正在处理其他登录请求，请稍后再试。', en: 'Other sign-ins are being checked; try again in a moment.' },
  loggedOut: { 'zh-CN': '已退出登录。', en: 'You have signed out.' },
  noUsers: {
    'zh-CN': '尚无控制台账户。请在本机以管理员身份创建一个：',
    en: 'There is no console account yet. Create one on this box:',
  },
  noUsersAfter: {
    'zh-CN': '然后输入密码（至少 10 个字符）并回车。',
    en: 'then type the password (at least 10 characters) and press Enter.',
  },
  switchLanguage: { 'zh-CN': 'English', en: '中文' },
  backHome: { 'zh-CN': '返回首页', en: 'Back to the overview' },
  toLogin: { 'zh-CN': '前往登录', en: 'Go to the sign-in page' },
  badRequestTitle: { 'zh-CN': '请求无效', en: 'Bad request' },
  badRequest: { 'zh-CN': '请求格式不正确。', en: 'The request is malformed.' },
  forbiddenTitle: { 'zh-CN': '无权访问', en: 'Forbidden' },
  forbiddenRole: {
    'zh-CN': (p: { role: string }) => `此页面需要“${p.role}”或更高权限。`,
    en: (p: { role: string }) => `This page needs the role "${p.role}" or higher.`,
  },
  forbiddenCsrf: {
    'zh-CN': '表单已过期或来自其他网站，请求已被拒绝。请重新打开页面后再提交。',
    en: 'The form has expired or came from another site, so the request was refused. Open the page again and resubmit.',
  },
  forbiddenSignedOut: { 'zh-CN': '登录已失效，请重新登录。', en: 'Your session has ended; please sign in again.' },
  notFoundTitle: { 'zh-CN': '未找到', en: 'Not found' },
  notFound: { 'zh-CN': '没有这个页面。', en: 'There is no such page.' },
  methodTitle: { 'zh-CN': '方法不允许', en: 'Method not allowed' },
  method: { 'zh-CN': '此地址不接受这种请求。', en: 'This address does not accept this kind of request.' },
  tooLargeTitle: { 'zh-CN': '请求过大', en: 'Request too large' },
  tooLarge: { 'zh-CN': '提交的内容超过 64 KiB。', en: 'The submitted data is larger than 64 KiB.' },
  unsupportedTitle: { 'zh-CN': '不支持的内容类型', en: 'Unsupported content type' },
  unsupported: { 'zh-CN': '表单必须以 application/x-www-form-urlencoded 提交。', en: 'Forms must be sent as application/x-www-form-urlencoded.' },
  tooManyTitle: { 'zh-CN': '请求过多', en: 'Too many requests' },
  misdirectedTitle: { 'zh-CN': '地址不符', en: 'Misdirected request' },
  misdirected: {
    'zh-CN': '请使用控制台的本机地址访问。',
    en: 'Open the console at its own address.',
  },
  internalTitle: { 'zh-CN': '内部错误', en: 'Internal error' },
  internal: { 'zh-CN': '页面生成失败，错误已记入代理日志。', en: 'The page could not be made; the error is in the agent\'s log.' },
  roleViewer: { 'zh-CN': '查看员', en: 'viewer' },
  roleOperator: { 'zh-CN': '操作员', en: 'operator' },
  roleAdmin: { 'zh-CN': '管理员', en: 'admin' },
  // `cea user` (its human output; --json is the same in every language).
  'cli.added': {
    'zh-CN': (p: { name: string; role: string }) => `已添加控制台用户 ${p.name}（${p.role}）`,
    en: (p: { name: string; role: string }) => `added console user ${p.name} (${p.role})`,
  },
  'cli.updated': {
    'zh-CN': (p: { name: string; role: string }) => `已更新控制台用户 ${p.name}（${p.role}）；其已登录的会话按新角色继续`,
    en: (p: { name: string; role: string }) => `updated console user ${p.name} (${p.role}); their open sessions keep going with the new role`,
  },
  'cli.removed': {
    'zh-CN': (p: { name: string }) => `已删除控制台用户 ${p.name}；其已登录的会话在下一次请求时结束`,
    en: (p: { name: string }) => `removed console user ${p.name}; their open sessions end at their next request`,
  },
  'cli.none': {
    'zh-CN': '尚无控制台用户（添加：cea user add admin --role admin --password-stdin）',
    en: 'no console users (add one: cea user add admin --role admin --password-stdin)',
  },
  'cli.noAdminLeft': {
    'zh-CN': '警告：已没有管理员账户（添加：cea user add 用户名 --role admin --password-stdin）',
    en: 'warning: no admin account is left (add one: cea user add NAME --role admin --password-stdin)',
  },
  'cli.headers': { 'zh-CN': '用户名|角色|语言|更新时间', en: 'name|role|language|updated' },
  'cli.consoleDefault': { 'zh-CN': '（控制台默认）', en: '(console default)' },
  'cli.prompt': { 'zh-CN': '密码（不显示）：', en: 'Password (not shown): ' },
  'cli.passwordEmpty': { 'zh-CN': '密码为空，未做任何更改', en: 'the password is empty; nothing changed' },
  'cli.passwordShort': {
    'zh-CN': (p: { min: number }) => `密码少于 ${p.min} 个字符，未做任何更改`,
    en: (p: { min: number }) => `the password is shorter than ${p.min} characters; nothing changed`,
  },
  'cli.passwordLong': { 'zh-CN': '密码超过 1024 个字符，未做任何更改', en: 'the password is longer than 1024 characters; nothing changed' },
} satisfies Catalog;
