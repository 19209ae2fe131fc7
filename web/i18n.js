// The one table of UI strings, English and 简体中文 side by side, and the current language:
// the browser's language picks the default, the header's switcher overrides it (remembered).

export const LANGS = [
  ["en", "English"],
  ["zh-CN", "简体中文"],
];
const STORAGE_KEY = "kefu.lang";

function initialLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (private mode); the browser language still works.
  }
  if (LANGS.some(([code]) => code === saved)) return saved;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  return prefs.some((l) => l.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

let current = initialLang();
const listeners = new Set();
document.documentElement.lang = current;

export const lang = () => current;

export function setLang(code) {
  current = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not remembered, but switched for this page.
  }
  listeners.forEach((fn) => fn(code));
}

/** Calls `fn` on every switch; returns the unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const has = (key) => Object.hasOwn(TABLE, key);

/** The string for `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const entry = TABLE[key];
  if (!entry) return key;
  const text = current === "zh-CN" ? entry[1] : entry[0];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
}

// key: [English, 简体中文]
// Exported for the static test, which checks every entry has both languages.
export const TABLE = {
  "common.add": ["Add", "添加"],
  "common.add_placeholder": ["Type and press Enter", "输入后按回车"],
  "common.back_to_list": ["← Back to the list", "← 返回列表"],
  "common.cancel": ["Cancel", "取消"],
  "common.confirm_x": ["Yes, {x}", "确认{x}"],
  "common.create": ["Create", "创建"],
  "common.delete": ["Delete", "删除"],
  "common.done": ["Done", "完成"],
  "common.empty": ["Nothing here yet.", "暂无内容。"],
  "common.load_more": ["Load more", "加载更多"],
  "common.loading": ["Loading…", "加载中…"],
  "common.remove": ["Remove", "移除"],
  "common.remove_x": ["Remove {x}", "移除 {x}"],
  "common.save": ["Save", "保存"],
  "common.saved": ["Saved.", "已保存。"],
  "common.search": ["Search", "搜索"],

  "login.title": ["Sign in to kefu", "登录客服系统"],
  "login.email": ["Email", "邮箱"],
  "login.password": ["Password", "密码"],
  "login.tenant": ["Organisation", "所属企业"],
  "login.submit": ["Sign in", "登录"],

  "header.language": ["Language", "语言"],
  "header.logout": ["Sign out", "退出登录"],
  "header.presence": ["My status", "我的状态"],

  "nav.label": ["Main", "主导航"],
  "nav.customers": ["Customers", "客户"],
  "nav.users": ["Users & agents", "用户与坐席"],
  "nav.groups": ["Service groups", "客服分组"],
  "nav.settings": ["Settings", "企业设置"],
  "nav.tokens": ["API tokens", "API 令牌"],
  "nav.audit": ["Audit log", "审计日志"],

  "role.agent": ["Agent", "坐席"],
  "role.supervisor": ["Supervisor", "主管"],
  "role.admin": ["Admin", "管理员"],
  "role.owner": ["Owner", "所有者"],

  "presence.available": ["Available", "空闲"],
  "presence.away": ["Away", "离开"],
  "presence.busy": ["Busy", "忙碌"],
  "presence.offline": ["Offline", "离线"],
  "presence.wrap_up": ["Wrap-up", "话后处理"],
  "reason.lunch": ["lunch", "午餐"],
  "reason.meeting": ["meeting", "开会"],
  "reason.training": ["training", "培训"],
  "reason.break": ["break", "小休"],

  "channel.voice": ["Voice", "语音"],
  "channel.chat": ["Chat", "在线聊天"],
  "channel.email": ["Email", "邮件"],
  "channel.ticket": ["Ticket", "工单"],
  "channel.social": ["Social", "社交媒体"],

  "proficiency.1": ["novice", "入门"],
  "proficiency.2": ["basic", "初级"],
  "proficiency.3": ["competent", "熟练"],
  "proficiency.4": ["advanced", "高级"],
  "proficiency.5": ["expert", "专家"],

  "users.search": ["Name or email", "姓名或邮箱"],
  "users.any_role": ["Any role", "全部角色"],
  "users.any_group": ["Any group", "全部分组"],
  "users.include_inactive": ["Show deactivated", "显示已停用"],
  "users.new": ["New user", "新建用户"],
  "users.name": ["Name", "姓名"],
  "users.email": ["Email", "邮箱"],
  "users.role": ["Role", "角色"],
  "users.group": ["Group", "分组"],
  "users.groups": ["Service groups", "客服分组"],
  "users.skills": ["Skills", "技能"],
  "users.skills_hint": ["Proficiency from 1 (novice) to 5 (expert).", "熟练度从 1（入门）到 5（专家）。"],
  "users.skill_name": ["Skill, e.g. billing", "技能，如 billing"],
  "users.add_skill": ["Add a skill", "添加技能"],
  "users.proficiency": ["Proficiency", "熟练度"],
  "users.capacities": ["Capacity per channel", "各渠道并发上限"],
  "users.capacities_hint": [
    "How many interactions at once; leave empty for a channel the agent does not serve.",
    "同时处理的会话数；不服务的渠道请留空。",
  ],
  "users.languages": ["Languages", "语言"],
  "users.languages_hint": ["Language tags such as zh-CN, en, yue.", "语言代码，如 zh-CN、en、yue。"],
  "users.password": ["Password", "密码"],
  "users.new_password": ["New password", "新密码"],
  "users.password_hint_new": [
    "Leave empty to create a user who cannot sign in yet.",
    "留空则该用户暂时无法登录。",
  ],
  "users.password_hint_edit": ["Leave empty to keep the current password.", "留空则保留原密码。"],
  "users.presence": ["Status", "状态"],
  "users.active": ["Active", "启用中"],
  "users.inactive": ["Deactivated", "已停用"],
  "users.deactivate": ["Deactivate", "停用"],
  "users.reactivate": ["Reactivate", "重新启用"],

  "groups.new": ["New group", "新建分组"],
  "groups.name": ["Name", "名称"],
  "groups.description": ["Description", "描述"],
  "groups.members": ["Members", "成员"],

  "customers.new": ["New customer", "新建客户"],
  "customers.search": ["Name, company, phone, email…", "姓名、公司、电话、邮箱…"],
  "customers.any_tier": ["Any tier", "全部等级"],
  "customers.lowest_tier": ["Lowest tier", "最低等级"],
  "customers.tag": ["Tag", "标签"],
  "customers.name": ["Name", "姓名"],
  "customers.company": ["Company", "公司"],
  "customers.tier": ["Tier", "客户等级"],
  "customers.tags": ["Tags", "标签"],
  "customers.identities": ["Identities", "身份标识"],
  "customers.first_identity": ["First identity (optional)", "首个身份标识（可选）"],
  "customers.identity_kind": ["Kind", "类型"],
  "customers.identity_value": ["Value", "值"],

  "identity.phone": ["Phone", "电话"],
  "identity.email": ["Email", "邮箱"],
  "identity.wechat_openid": ["WeChat OpenID", "微信 OpenID"],
  "identity.app_user_id": ["App user ID", "App 用户 ID"],
  "identity.web_visitor_id": ["Web visitor ID", "网站访客 ID"],

  "customer.profile": ["Profile", "基本资料"],
  "customer.attributes": ["Custom attributes", "自定义属性"],
  "customer.attributes_hint": [
    "Values that read as JSON (42, true, [1,2], {\"a\":1}, \"quoted\") are kept as JSON, anything else as text.",
    "可解析为 JSON 的值（42、true、[1,2]、{\"a\":1}、\"带引号\"）按 JSON 保存，其余按文本保存。",
  ],
  "customer.attr_key": ["Key", "键"],
  "customer.attr_value": ["Value", "值"],
  "customer.add_attribute": ["Add an attribute", "添加属性"],
  "customer.add_identity": ["Add identity", "添加身份标识"],
  "customer.identity_taken_by": ["{identity} already belongs to another customer:", "{identity} 已属于另一位客户："],
  "customer.merge": ["Merge another customer into this one", "将其他客户合并到此客户"],
  "customer.merge_hint": [
    "The other customer's identities and history move here; it stays as a pointer to this one.",
    "对方的身份标识和历史记录将并入此客户，原记录保留并指向此客户。",
  ],
  "customer.merge_search": ["Find the customer to merge in", "搜索要合并的客户"],
  "customer.merge_this": ["Merge into this customer", "合并到此客户"],
  "customer.merged_done": ["{name} was merged into this customer.", "已将 {name} 合并到此客户。"],
  "customer.was_merged": ["This customer was merged into another one.", "此客户已被合并到另一位客户。"],
  "customer.open_survivor": ["Open the merged customer", "打开合并后的客户"],
  "customer.history": ["History", "历史记录"],

  "settings.name": ["Organisation name", "企业名称"],
  "settings.timezone": ["Time zone", "时区"],
  "settings.locale": ["Default language", "默认语言"],
  "settings.tiers": ["Customer tiers", "客户等级"],
  "settings.tiers_hint": ["Lowest first; lowercase words such as normal, gold, vip.", "从低到高；使用小写英文，如 normal、gold、vip。"],
  "settings.hours": ["Business hours", "营业时间"],
  "settings.hours_hint": ["For example 09:00-12:00, 13:00-18:00. Empty means closed.", "例如 09:00-12:00, 13:00-18:00；留空表示休息。"],
  "settings.hours_format": ["Write ranges as 09:00-18:00, separated by commas.", "请按 09:00-18:00 的格式填写，多个时段用逗号分隔。"],
  "settings.closed": ["Closed", "休息"],
  "weekday.mon": ["Monday", "周一"],
  "weekday.tue": ["Tuesday", "周二"],
  "weekday.wed": ["Wednesday", "周三"],
  "weekday.thu": ["Thursday", "周四"],
  "weekday.fri": ["Friday", "周五"],
  "weekday.sat": ["Saturday", "周六"],
  "weekday.sun": ["Sunday", "周日"],

  "tokens.new": ["New API token", "新建 API 令牌"],
  "tokens.name": ["Name", "名称"],
  "tokens.scopes": ["Scopes", "权限范围"],
  "tokens.prefix": ["Starts with", "前缀"],
  "tokens.created": ["Created", "创建时间"],
  "tokens.last_used": ["Last used", "最近使用"],
  "tokens.revoke": ["Revoke", "吊销"],
  "tokens.revoked_at": ["Revoked {when}", "已于 {when} 吊销"],
  "tokens.secret": ["Token", "令牌"],
  "tokens.shown_once": [
    "The token \"{name}\" is shown only now: copy it and keep it somewhere safe.",
    "令牌“{name}”仅显示这一次，请立即复制并妥善保存。",
  ],
  "tokens.copy": ["Copy", "复制"],
  "tokens.copied": ["Copied", "已复制"],
  "scope.customers:read": ["read customers", "读取客户"],
  "scope.customers:write": ["change customers", "修改客户"],
  "scope.users:read": ["read users", "读取用户"],
  "scope.users:write": ["change users", "修改用户"],
  "scope.groups:read": ["read groups", "读取分组"],
  "scope.groups:write": ["change groups", "修改分组"],
  "scope.events:read": ["read the event log", "读取事件日志"],

  "audit.order_hint": ["Oldest first; “Load more” shows later entries.", "按时间从早到晚排列；“加载更多”显示更晚的记录。"],
  "audit.when": ["When", "时间"],
  "audit.who": ["Who", "操作人"],
  "audit.what": ["Action", "操作"],
  "audit.record": ["Record", "对象"],
  "audit.changes": ["Changes", "变更"],
  "audit.before_after": ["Before / after", "变更前 / 变更后"],
  "audit.before": ["Before", "变更前"],
  "audit.after": ["After", "变更后"],
  "audit.actor.api_token": ["API token", "API 令牌"],
  "audit.actor.system": ["System", "系统"],

  "error.invalid_credentials": ["Wrong email or password.", "邮箱或密码错误。"],
  "error.rate_limited": ["Too many attempts. Please wait and try again.", "尝试次数过多，请稍后再试。"],
  "error.rate_limited_for": [
    "Too many attempts. Try again in {minutes} min.",
    "尝试次数过多，请 {minutes} 分钟后再试。",
  ],
  "error.tenant_required": [
    "This email belongs to several organisations: choose one.",
    "该邮箱属于多个企业，请选择一个。",
  ],
  "error.invalid_input": ["Please correct the marked fields.", "请修改标出的字段。"],
  "error.forbidden": ["You do not have permission to do this.", "您没有执行此操作的权限。"],
  "error.forbidden_page": [
    "This page is not available to your role.",
    "您的角色无权访问此页面。",
  ],
  "error.unauthorized": ["Your session has ended; please sign in again.", "会话已失效，请重新登录。"],
  "error.not_found": ["This record does not exist (any more).", "该记录不存在或已被删除。"],
  "error.network": ["The server cannot be reached. Check the connection.", "无法连接服务器，请检查网络。"],
  "error.internal": ["Something went wrong on the server; it has been logged.", "服务器出错，已记录日志。"],
  "error.database_unavailable": ["The database is unavailable; try again shortly.", "数据库暂不可用，请稍后重试。"],
  "error.email_taken": ["Another user already has this email.", "该邮箱已被其他用户使用。"],
  "error.name_taken": ["This name is already taken.", "该名称已被使用。"],
  "error.identity_taken": ["This identity already belongs to another customer.", "该身份标识已属于另一位客户。"],
  "error.customer_merged": ["This customer has already been merged.", "该客户已被合并。"],
  "error.cannot_deactivate_self": ["You cannot deactivate yourself.", "不能停用自己的账号。"],

  "field.required": ["Required.", "必填。"],
  "field.too_long": ["Too long.", "内容过长。"],
  "field.out_of_range": ["Out of the allowed range.", "超出允许范围。"],
  "field.invalid_email": ["Not an email address.", "邮箱格式不正确。"],
  "field.invalid_language": ["Not a language tag such as zh-CN or en.", "语言代码无效，应如 zh-CN 或 en。"],
  "field.invalid_identity": [
    "Not valid for this kind (a phone has 5–20 digits; an email needs @).",
    "与类型不符（电话为 5–20 位数字，邮箱需包含 @）。",
  ],
  "field.duplicate": ["Listed twice.", "重复填写。"],
  "field.invalid_tier": ["Not one of the configured tiers.", "不是已配置的客户等级。"],
  "field.weak_password": ["A password has 8 to 256 characters.", "密码长度须为 8 到 256 个字符。"],
  "field.email_taken": ["Another user already has this email.", "该邮箱已被其他用户使用。"],
};
