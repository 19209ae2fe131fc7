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
  "nav.conversations": ["Conversations", "会话"],
  "nav.canned": ["Canned responses", "快捷回复"],
  "nav.customers": ["Customers", "客户"],
  "nav.users": ["Users & agents", "用户与坐席"],
  "nav.groups": ["Service groups", "客服分组"],
  "nav.wfm": ["Workforce", "排班与人力"],
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
  "scope.wfm:compute": ["compute workforce plans", "计算人力排班"],

  "wfm.staffing": ["Staffing calculator", "人力需求计算"],
  "wfm.model": ["Model", "模型"],
  "wfm.erlang_c": ["Erlang C (callers wait)", "Erlang C（客户一直等待）"],
  "wfm.erlang_a": ["Erlang A (callers may hang up)", "Erlang A（客户可能放弃）"],
  "wfm.model_c_hint": [
    "Assumes every caller waits until answered.",
    "假设每位客户都会等到接通。",
  ],
  "wfm.model_a_hint": [
    "Callers hang up after their patience runs out; the service level counts contacts leaving the queue within T.",
    "客户耐心耗尽后会挂断；服务水平按在 T 秒内离开队列（接通或放弃）的来电计算。",
  ],
  "wfm.calls": ["Calls per interval", "每时段来电量"],
  "wfm.interval_min": ["Interval length (minutes)", "时段长度（分钟）"],
  "wfm.aht_secs": ["Average handle time (s)", "平均处理时长（秒）"],
  "wfm.sl_pct": ["Service level target (%)", "服务水平目标（%）"],
  "wfm.target_secs": ["Answered within T (s)", "接通时限 T（秒）"],
  "wfm.patience_secs": ["Mean patience (s)", "平均耐心时长（秒）"],
  "wfm.max_occupancy_pct": ["Max occupancy (%, optional)", "最高占用率（%，可选）"],
  "wfm.shrinkage_pct": ["Shrinkage (%, optional)", "缩减率（%，可选）"],
  "wfm.calculate": ["Calculate", "计算"],
  "wfm.result": ["Result", "计算结果"],
  "wfm.agents": ["Agents needed", "所需坐席"],
  "wfm.scheduled_agents": ["Agents to schedule", "需排班人数"],
  "wfm.service_level": ["Service level", "服务水平"],
  "wfm.asa": ["Average speed of answer", "平均应答时间"],
  "wfm.secs": ["{n} s", "{n} 秒"],
  "wfm.occupancy": ["Occupancy", "占用率"],
  "wfm.waiting": ["Probability of waiting", "排队概率"],
  "wfm.abandon": ["Probability of abandoning", "放弃概率"],
  "wfm.erlang_b": ["Erlang B (blocking)", "Erlang B（呼损）"],
  "wfm.erlang_b_hint": [
    "The share of calls that find every line busy, for trunks or agents without a queue.",
    "无排队时来电遇到全部线路占线的比例，用于中继线或坐席数估算。",
  ],
  "wfm.traffic": ["Traffic (Erlangs)", "话务量（爱尔兰）"],
  "wfm.lines": ["Lines", "线路数"],
  "wfm.blocking": ["Blocking", "呼损率"],
  "wfm.schedule": ["Shift schedule", "班次排班"],
  "wfm.question": ["Question (JSON)", "排班问题（JSON）"],
  "wfm.question_hint": [
    "days, periods_per_day, required[day][period], shifts {name: {coverage: 0/1 per period, cost}}; optional max_period_concurrency, max_shift_concurrency. The objective comes from the picker below.",
    "days、periods_per_day、required[天][时段]、shifts {班次名: {coverage: 每时段 0/1, cost}}；可选 max_period_concurrency、max_shift_concurrency。优化目标以下方选择为准。",
  ],
  "wfm.bad_json": ["This is not valid JSON: {reason}", "不是有效的 JSON：{reason}"],
  "wfm.not_an_object": ["The question must be a JSON object { … }.", "排班问题须为 JSON 对象 { … }。"],
  "wfm.objective": ["Objective", "优化目标"],
  "wfm.min_cost": ["Lowest cost covering every period", "满足各时段需求的最低成本"],
  "wfm.min_abs_difference": ["Closest to the requirement", "最贴近需求"],
  "wfm.solve": ["Solve", "求解"],
  "wfm.reset_example": ["Restore the example", "恢复示例"],
  "wfm.infeasible": [
    "No schedule meets these constraints. Relax the concurrency limits or add shifts that cover the uncovered periods.",
    "没有满足这些约束的排班。请放宽并发上限，或增加能覆盖空缺时段的班次。",
  ],
  "wfm.optimal": ["Optimal schedule found", "已求得最优排班"],
  "wfm.total_cost": ["total cost {cost}", "总成本 {cost}"],
  "wfm.abs_difference": ["off the requirement by {n} agent-periods", "与需求相差 {n} 人·时段"],
  "wfm.agents_per_shift": ["Agents per shift", "各班次人数"],
  "wfm.day": ["Day", "日期"],
  "wfm.day_n": ["Day {n}", "第 {n} 天"],
  "wfm.coverage": ["On duty / required per period", "各时段在岗 / 需求人数"],
  "wfm.coverage_hint": ["Periods under the requirement are marked red.", "低于需求的时段以红色标出。"],
  "wfm.on_duty_of": ["{on} on duty, {need} required", "在岗 {on} 人，需求 {need} 人"],

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


  "conversations.waiting": ["Waiting", "排队中"],
  "conversations.attachments": ["Attachments", "附件"],
  "conversations.attach": ["Attach files", "添加附件"],
  "conversations.uploading": ["Uploading…", "上传中…"],
  "conversations.remove_file": ["Remove {name}", "移除 {name}"],
  "conversations.mine": ["Mine", "我的会话"],
  "conversations.none": ["No conversations.", "暂无会话。"],
  "conversations.pick": ["Open a conversation from the lists.", "请从左侧列表打开一个会话。"],
  "conversations.live": ["Live", "实时"],
  "conversations.connecting": ["Connecting…", "连接中…"],
  "conversations.thread": ["Conversation", "会话"],
  "conversations.messages": ["Messages", "消息"],
  "conversations.take": ["Take", "接入"],
  "conversations.resolve": ["Resolve", "结束会话"],
  "conversations.reply": ["Reply", "回复"],
  "conversations.reply_placeholder": ["Reply to the customer", "回复客户"],
  "conversations.note_placeholder": ["Internal note (agents only)", "内部备注（仅坐席可见）"],
  "conversations.as_note": ["Internal note", "内部备注"],
  "conversations.note": ["Note", "备注"],
  "conversations.send": ["Send", "发送"],
  "conversations.add_note": ["Add note", "添加备注"],
  "conversations.rating": ["Rated {n}/5", "评分 {n}/5"],
  "conversations.sender.customer": ["Customer", "客户"],
  "conversations.sender.agent": ["Agent", "坐席"],
  "conversations.sender.you": ["You", "我"],
  "conversations.sender.bot": ["Bot", "机器人"],
  "conversations.sender.system": ["System", "系统"],
  "conversations.status.bot": ["With the bot", "机器人接待中"],
  "conversations.status.queued": ["Waiting", "排队中"],
  "conversations.status.offered": ["Offered", "已分配待接受"],
  "conversations.status.assigned": ["In progress", "服务中"],
  "conversations.status.wrap_up": ["Wrap-up", "话后处理"],
  "conversations.status.resolved": ["Resolved", "已结束"],

  "canned.picker": ["Canned responses", "快捷回复"],
  "canned.slash_hint": ["Type / at the start for canned responses.", "在开头输入 / 使用快捷回复。"],
  "canned.no_match": ["No canned response matches {q}.", "没有与 {q} 匹配的快捷回复。"],
  "canned.manage": ["Manage canned responses", "管理快捷回复"],
  "canned.intro": [
    "Type / and a shortcut in a reply to insert one of these, filled in for the conversation.",
    "在回复框中输入 / 加快捷指令即可插入，变量会按当前会话自动填写。",
  ],
  "canned.new": ["New canned response", "新建快捷回复"],
  "canned.search": ["Shortcut, title or text", "快捷指令、标题或内容"],
  "canned.scope": ["Show", "显示范围"],
  "canned.scope.visible": ["Shared and mine", "共享的和我的"],
  "canned.scope.shared": ["Shared only", "仅共享"],
  "canned.scope.own": ["Mine only", "仅我的"],
  "canned.shortcut": ["Shortcut", "快捷指令"],
  "canned.shortcut_hint": [
    "Lowercase letters, digits, - and _, up to 32, e.g. refund-policy; typed as /refund-policy.",
    "小写字母、数字、- 和 _，最多 32 个，如 refund-policy；使用时输入 /refund-policy。",
  ],
  "canned.title": ["Title", "标题"],
  "canned.body": ["Text", "内容"],
  "canned.body_hint": [
    "Variables: {{customer.name}}, {{agent.name}}, {{conversation.id}}, {{customer.attributes.KEY}}. Ones that cannot be filled are left as written.",
    "可用变量：{{customer.name}}、{{agent.name}}、{{conversation.id}}、{{customer.attributes.KEY}}。无法填写的变量将原样保留。",
  ],
  "canned.language": ["Language (optional)", "语言（可选）"],
  "canned.language_hint": ["A tag such as zh-CN or en.", "语言代码，如 zh-CN 或 en。"],
  "canned.whose": ["Scope", "范围"],
  "canned.shared": ["Shared", "共享"],
  "canned.mine": ["Mine", "我的"],
  "canned.shared_label": ["Shared with the whole team", "全团队共享"],
  "canned.shared_hint": ["Shared ones are offered to every agent; only supervisors and up change them.", "共享的快捷回复对所有坐席可用，仅主管及以上可修改。"],
  "canned.shared_supervisors": ["Yours only; supervisors create shared ones.", "仅自己可用；共享的快捷回复由主管创建。"],
  "canned.scope_fixed": ["Whether it is shared cannot be changed.", "共享范围创建后不可更改。"],
  "canned.read_only": ["Only supervisors and up change shared canned responses.", "仅主管及以上可修改共享的快捷回复。"],
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
  "error.attachment_too_large": ["The file is larger than this inbox accepts.", "文件超过了允许的大小。"],
  "error.unsupported_type": [
    "This type of file cannot be sent (images, PDF, text, CSV, Office documents and ZIP can).",
    "不支持此类型的文件（可发送图片、PDF、文本、CSV、Office 文档和 ZIP）。",
  ],
  "error.attachment_already_sent": ["This file was already sent; attach it again.", "该文件已发送过，请重新添加。"],
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
  "error.duplicate_shortcut": ["This shortcut is already in use here.", "该快捷指令已被使用。"],
  "error.customer_merged": ["This customer has already been merged.", "该客户已被合并。"],
  "error.too_many_agents": [
    "No realistic number of agents meets this target: check the volume and handle time.",
    "任何合理的坐席数都无法达到该目标，请检查来电量和处理时长。",
  ],
  "error.not_converged": [
    "Erlang A cannot be computed for this patience and volume.",
    "在此耐心时长和来电量下无法计算 Erlang A。",
  ],
  "error.invalid_schedule_shape": [
    "The question's sizes disagree (days, periods_per_day, required, coverage).",
    "排班问题的维度不一致（days、periods_per_day、required、coverage）。",
  ],
  "error.invalid_requirement": ["A requirement must be a number from 0 to 1,000,000.", "需求人数须为 0 到 1,000,000 之间的数。"],
  "error.invalid_shift": ["A shift template is unusable.", "某个班次模板无法使用。"],
  "error.no_shifts": ["Name at least one shift template.", "请至少定义一个班次模板。"],
  "error.solver_error": ["The schedule solver failed.", "排班求解器出错。"],
  "error.invalid_field": [
    "A field has the wrong type, is unknown, or is missing.",
    "有字段类型错误、无法识别或缺失。",
  ],
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
  "field.duplicate_shortcut": ["This shortcut is already in use here.", "该快捷指令已被使用。"],
  "field.invalid_shortcut": [
    "1–32 lowercase letters, digits, - or _, starting with a letter or digit.",
    "1–32 个小写字母、数字、- 或 _，须以字母或数字开头。",
  ],
  "field.unclosed_variable": ["A {{ is not closed with }}.", "有 {{ 未用 }} 闭合。"],
  "field.empty_variable": ["A variable {{ }} has no name.", "有变量 {{ }} 缺少名称。"],
  "field.invalid_variable": ["A variable name may not contain {, } or a line break.", "变量名不能包含 {、} 或换行。"],
  "field.invalid_tier": ["Not one of the configured tiers.", "不是已配置的客户等级。"],
  "field.weak_password": ["A password has 8 to 256 characters.", "密码长度须为 8 到 256 个字符。"],
  "field.invalid_volume": ["Must be a positive number of contacts.", "须为正数。"],
  "field.invalid_duration": [
    "Must be a positive number (the threshold T may be 0).",
    "须为正数（时限 T 可为 0）。",
  ],
  "field.invalid_service_level": ["Must be above 0 and below 100 %.", "须大于 0 且小于 100%。"],
  "field.invalid_occupancy": ["Must be above 0 and at most 100 %.", "须大于 0 且不超过 100%。"],
  "field.invalid_shrinkage": ["Must be at least 0 and below 100 %.", "须不小于 0 且小于 100%。"],
  "field.invalid_traffic": ["Must be a positive number of Erlangs.", "须为正数。"],
  "field.email_taken": ["Another user already has this email.", "该邮箱已被其他用户使用。"],
};
