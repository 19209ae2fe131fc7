// A whole chat in two browsers against the real server: a visitor on the demo shop page opens
// the widget (in Chinese), is told nobody is available yet, gives a name and phone in the
// pre-chat form, picks a topic and sends HTML; an agent (in English) sees it arrive
// live in Waiting, takes it, writes a note and a reply; the visitor gets the reply live, never
// the note, and sees the HTML as text; files go both ways (a PNG thumbnail, a PDF download);
// a send that fails on the network is retried with the
// same client_msg_id; the agent resolves, the visitor rates 5, and after a reload the history
// is still there. Screenshots of both screens go to e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;
const HOSTILE = "<img src=x onerror=alert(1)>你好";
const REPLY = "您好，请问有什么可以帮您？";
const AGAIN = "还在吗";
const NOTE = "内部备注：老客户，优先处理";

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let server;
const contexts = [];
const dialogs = [];

/** The demo's web inbox, as the demo admin sees it. */
async function demoInbox(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: "kefu-demo-2026" }),
  });
  assert.equal(login.status, 200, "the demo admin signs in");
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const inboxes = await (await fetch(`${url}/api/v1/inboxes`, { headers: { cookie } })).json();
  const web = inboxes.find((i) => i.channel === "web");
  assert.ok(web, `a web inbox in the demo tenant: ${JSON.stringify(inboxes)}`);
  return web.id;
}

/** A GET as the demo admin, parsed. */
async function adminGet(url, path) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: "kefu-demo-2026" }),
  });
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const res = await fetch(`${url}${path}`, { headers: { cookie } });
  assert.equal(res.status, 200, path);
  return res.json();
}

async function newPage(locale) {
  const context = await server.browser.newContext({ locale, baseURL: server.url, viewport: { width: 1200, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  return page;
}

describe("a chat from the widget to an agent and back", { timeout: 60_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("visitor and agent chat live; the visitor rates it and keeps the history", async () => {
    const inboxId = await demoInbox(server.url);

    // The agent is on the Conversations page first, so the new conversation must arrive live.
    const agent = await newPage("en-US");
    await agent.goto("/");
    await agent.getByLabel("Email", { exact: true }).fill("lina@demo.kefu.dev");
    await agent.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.getByRole("navigation").getByRole("link", { name: "Conversations" }).click();
    const waiting = agent.getByRole("region", { name: "Waiting" });
    const mine = agent.getByRole("region", { name: "Mine" });
    await expectText(waiting, "No conversations.");
    await expectText(agent.locator(".page-head [role=status]"), "Live");

    // The visitor, in Chinese, on the shop page.
    const visitor = await newPage("zh-CN");
    await visitor.goto(`/demo.html?inbox=${inboxId}`);
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    const chat = visitor.getByRole("dialog");
    const log = chat.getByRole("log");
    await expectText(log, "欢迎来到演示商城");
    // Nobody is available yet (and the demo may be out of hours): the widget invites a message.
    await expectText(chat.getByRole("status"), "请留言");
    await chat.getByLabel("您的称呼").fill("王芳");
    await chat.getByLabel("手机号").fill("138 0000 1111");
    await chat.getByRole("button", { name: "售前咨询 Pre-sales" }).click();
    await chat.getByLabel("输入消息").fill(HOSTILE);
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(log, HOSTILE);
    await expectText(chat.getByRole("status"), "正在为您接入人工客服");
    // The pre-chat details named the customer and gave them a phone identity.
    const found = await adminGet(server.url, `/api/v1/customers?q=${encodeURIComponent("13800001111")}`);
    assert.equal(found.items.length, 1, JSON.stringify(found));
    assert.equal(found.items[0].name, "王芳");

    // A send that fails on the network shows "not sent"; the retry reuses its client_msg_id.
    const sent = [];
    const messagesUrl = /\/api\/v1\/widget\/conversations\/[^/]+\/messages$/;
    visitor.on("request", (r) => {
      if (r.method() === "POST" && messagesUrl.test(r.url())) sent.push(JSON.parse(r.postData()).client_msg_id);
    });
    await visitor.route(messagesUrl, (route) => route.abort("internetdisconnected"), { times: 1 });
    await chat.getByLabel("输入消息").fill(AGAIN);
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(log.locator(".msg.failed"), new RegExp(`${AGAIN}\\s*发送失败`));
    await log.getByRole("button", { name: "重试" }).click();
    await expectText(log.locator(".msg.customer").last(), AGAIN);
    assert.equal(await log.locator(".msg.failed").count(), 0, "the retried message is no longer marked failed");
    assert.equal(await log.getByText(AGAIN).count(), 1, "the retried message is shown once");
    assert.equal(sent.length, 2, `two attempts: ${JSON.stringify(sent)}`);
    assert.equal(sent[0], sent[1], "the retry reuses the client_msg_id");

    // The agent sees it waiting without reloading, opens it, and takes it.
    await waiting.getByRole("button").first().click({ timeout: WAIT_MS });
    const thread = agent.getByRole("region", { name: "Conversation" });
    await expectText(thread.getByRole("list", { name: "Messages" }), new RegExp(`${escape(HOSTILE)}[\\s\\S]*${AGAIN}`));
    assert.equal(await thread.getByText(AGAIN).count(), 1, "the retried message is stored once");
    await expectText(thread, "Waiting");
    await thread.getByRole("button", { name: "Take" }).click();
    await expectText(thread, "In progress");
    await expectText(mine, "王芳");
    await expectText(waiting, "No conversations.");

    // An internal note, then the reply.
    await thread.getByLabel("Internal note", { exact: true }).check();
    await thread.getByLabel("Internal note (agents only)").fill(NOTE);
    await thread.getByRole("button", { name: "Add note" }).click();
    await expectText(thread.locator(".msg-note"), NOTE);
    await thread.getByLabel("Internal note", { exact: true }).uncheck();
    await thread.getByLabel("Reply to the customer").fill(REPLY);
    await thread.getByRole("button", { name: "Send", exact: true }).click();
    await expectText(thread.getByRole("list", { name: "Messages" }), REPLY);

    // The visitor gets the reply live; the note never; the HTML stayed text.
    await expectText(chat.getByRole("status"), "客服已接入");
    await expectText(log, REPLY);
    assert.ok(!(await log.innerText()).includes(NOTE), "the visitor never sees an internal note");
    assert.equal(await visitor.locator("[data-kefu-widget] img").count(), 0, "no <img> made from the message");
    assert.equal(await agent.locator("main img").count(), 0, "no <img> on the agent's page either");

    // Files both ways: the visitor's PNG shows as a thumbnail for the agent, the agent's PDF as
    // a download link for the visitor, and both really download.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    await chat.locator('input[type="file"]').setInputFiles({ name: "receipt.png", mimeType: "image/png", buffer: png });
    const thumb = thread.locator('img.thumb[alt="receipt.png"]');
    await thumb.waitFor();
    await thumb.evaluate((img) => (img.complete ? null : new Promise((done) => (img.onload = img.onerror = done))));
    assert.equal(await thumb.evaluate((img) => img.naturalWidth), 1, "the agent's browser loads the image");
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
    await thread.locator('.reply input[type="file"]').setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: pdf });
    await expectText(thread.locator(".reply .chip"), "invoice.pdf");
    await thread.getByRole("button", { name: "Send", exact: true }).click();
    const link = log.locator("a.file", { hasText: "invoice.pdf" });
    await link.waitFor();
    const [download] = await Promise.all([visitor.waitForEvent("download"), link.click()]);
    assert.equal(download.suggestedFilename(), "invoice.pdf");
    const saved = await download.createReadStream();
    const chunks = [];
    for await (const chunk of saved) chunks.push(chunk);
    assert.ok(Buffer.concat(chunks).equals(pdf), "the visitor downloads the agent's file byte for byte");

    // The agent resolves; the visitor rates.
    await thread.getByRole("button", { name: "Resolve" }).click();
    const closing = thread.getByRole("group", { name: "Close the conversation" });
    await closing.getByLabel("Disposition").selectOption("follow_up");
    await closing.getByRole("button", { name: "Resolve now" }).click();
    await expectText(thread, "Resolved");
    await expectText(thread, "Closed as: Needs follow-up");
    await expectText(chat.getByRole("status"), "本次会话已结束");
    const rating = chat.getByRole("group", { name: "请对本次服务进行评价：" });
    await rating.getByRole("button", { name: "5 星" }).click();
    await rating.getByLabel("评价内容（选填）").fill("很快，谢谢");
    await rating.getByRole("button", { name: "提交评价" }).click();
    await expectText(chat, "感谢您的评价：5 星。");

    await visitor.screenshot({ path: join(ARTIFACTS, "chat-visitor.png") });
    await agent.screenshot({ path: join(ARTIFACTS, "chat-agent.png") });

    // After a reload the widget finds the same visitor and conversation.
    await visitor.reload();
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    await expectText(log, new RegExp(`${escape(HOSTILE)}[\\s\\S]*${escape(REPLY)}`));
    await expectText(chat, "感谢您的评价：5 星。");
    assert.equal(await visitor.locator("[data-kefu-widget] img:not(.thumb)").count(), 0, "only file thumbnails are images");

    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });
});

describe("a message left while nobody can answer", { timeout: 60_000 }, () => {
  let left;
  before(async () => {
    left = await start({ env: { KEFU_LEFT_MESSAGE_TICKET_SECS: "2" } });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await left?.stop();
  });

  it("becomes a ticket, the visitor reads its number, and an agent finds it in Tickets", async () => {
    const inboxId = await demoInbox(left.url);
    const context = await left.browser.newContext({ locale: "zh-CN", baseURL: left.url });
    const visitor = await context.newPage();
    visitor.setDefaultTimeout(WAIT_MS);
    await visitor.goto(`/demo.html?inbox=${inboxId}`);
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    const chat = visitor.getByRole("dialog");
    const log = chat.getByRole("log");
    await expectText(chat.getByRole("status"), "请留言");
    await chat.getByLabel("您的称呼").fill("赵敏");
    await chat.getByLabel("邮箱").fill("zhaomin@example.com");
    await chat.getByRole("button", { name: "售后服务 After-sales" }).click();
    const subject = "发票抬头开错了，需要重开";
    await chat.getByLabel("输入消息").fill(subject);
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(log, subject);

    // Nobody signs in: two quiet seconds later the message is a ticket, and the chat says so.
    await expectText(log.locator(".msg.system"), /工单 #(\d+)/, 15_000);
    const number = (await log.locator(".msg.system").last().innerText()).match(/#(\d+)/)[1];
    await expectText(chat.getByRole("status"), "您的留言已转为工单");
    assert.equal(await chat.getByRole("group", { name: "请对本次服务进行评价：" }).count(), 0, "nothing to rate");
    assert.ok(await chat.getByLabel("输入消息").isVisible(), "the visitor may still add to it");
    await visitor.screenshot({ path: join(ARTIFACTS, "left-message-visitor.png") });

    const agentContext = await left.browser.newContext({ locale: "en-US", baseURL: left.url });
    const agent = await agentContext.newPage();
    agent.setDefaultTimeout(WAIT_MS);
    await agent.goto("/");
    await agent.getByLabel("Email", { exact: true }).fill("lina@demo.kefu.dev");
    await agent.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.getByRole("navigation").getByRole("link", { name: "Tickets" }).click();
    await agent.getByRole("tab", { name: "Unassigned" }).click();
    await expectText(agent.locator("main table"), new RegExp(`#${number}\\s+${escape(subject)}\\s+赵敏\\s+New`));
    await agent.screenshot({ path: join(ARTIFACTS, "left-message-agent.png") });
    await context.close();
    await agentContext.close();
  });
});
