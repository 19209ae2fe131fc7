// The service bot as a new user meets it: a visitor on the demo's bot chat page asks a Chinese
// question and gets the knowledge base's answer (and says it helped), asks something vague and
// is offered choices, picks one and gets its answer, then types 转人工; an agent who is
// available is offered the conversation, accepts, sees the whole transcript with the bot's
// messages marked and the bot's best guesses, and clicks a knowledge suggestion into the reply
// box (not sent); the admin adds the missed question to the bot's best guess. Screenshots of both screens go to e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText, expectValue } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;
const PASSWORD = "kefu-demo-2026";
// From the demo knowledge base: a clear question, and a vague one close to several FAQs.
const CLEAR = "我想退货，怎么申请？";
const VAGUE = "退货和退款";
const HANDOFF = "转人工，我还是想问退款的事";

let server;
const contexts = [];

/** The demo's inboxes, as the demo admin sees them. */
async function inboxes(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return (await fetch(`${url}/api/v1/inboxes`, { headers: { cookie } })).json();
}

async function newPage(locale) {
  const context = await server.browser.newContext({ locale, baseURL: server.url, viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  return page;
}

describe("the service bot answers, offers choices and hands off with context", { timeout: 90_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("bot answers, choices, 转人工, the agent sees the transcript, guesses and suggestions", async () => {
    const all = await inboxes(server.url);
    const bot = all.find((i) => i.settings.bot_enabled);
    assert.ok(bot, `the demo has a bot inbox: ${JSON.stringify(all.map((i) => i.name))}`);
    assert.ok(!all.find((i) => i.channel === "web").settings.bot_enabled, "the first web inbox stays people-first");

    // An agent is signed in and available before the visitor comes.
    const agent = await newPage("en-US");
    await agent.goto("/");
    await agent.getByLabel("Email", { exact: true }).fill("lina@demo.kefu.dev");
    await agent.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.locator("header .presence-switch select").selectOption("available");
    await agent.locator('header .presence-switch select[data-state="available"]:enabled').waitFor();

    const visitor = await newPage("zh-CN");
    await visitor.goto(`/demo.html?inbox=${bot.id}`);
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    const chat = visitor.getByRole("dialog");
    const log = chat.getByRole("log");
    await expectText(chat.getByRole("status"), "智能助手为您服务");

    // A clear Chinese question: the answer from the knowledge base, and "was this helpful?".
    await chat.getByLabel("输入消息").fill(CLEAR);
    await chat.getByRole("button", { name: "发送" }).click();
    const botReply = log.locator(".msg.bot").last();
    await expectText(botReply, "退货");
    const feedback = botReply.getByRole("group", { name: "这个回答对您有帮助吗？" });
    await feedback.getByRole("button", { name: "有帮助" }).click();
    await expectText(botReply, "感谢您的反馈");

    // A vague one: choices; picking one answers that FAQ.
    await chat.getByLabel("输入消息").fill(VAGUE);
    await chat.getByRole("button", { name: "发送" }).click();
    const choices = log.locator(".msg.bot .choices").last();
    await choices.waitFor();
    const buttons = choices.getByRole("button");
    assert.ok((await buttons.count()) >= 2, "at least two choices");
    const picked = await buttons.first().innerText();
    await buttons.first().click();
    await expectText(log.locator(".msg.customer").last(), picked);
    await expectText(log.locator(".msg.bot").last().getByRole("group"), "这个回答对您有帮助吗？");

    // 转人工: the bot hands off, the visitor waits for a person.
    await chat.getByLabel("输入消息").fill(HANDOFF);
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(log.locator(".msg.bot").last(), "正在为您转接人工客服");
    await expectText(chat.getByRole("status"), "正在为您接入人工客服");

    // The agent is offered it, accepts, and sees everything the bot did.
    const offer = agent.getByRole("dialog", { name: "New chat for you" });
    await offer.waitFor();
    await offer.getByRole("button", { name: /Accept/ }).click();
    const thread = agent.getByRole("region", { name: "Conversation" });
    const messages = thread.getByRole("list", { name: "Messages" });
    await expectText(messages, HANDOFF);
    assert.ok((await messages.locator('[data-sender="bot"]').count()) >= 3, "the bot's messages are in the transcript");
    await expectText(messages.locator('[data-sender="bot"]').first(), "Bot");
    const guesses = thread.getByRole("complementary", { name: "Bot's best guesses" });
    await expectText(guesses, "the customer asked for a person");
    assert.ok((await guesses.getByRole("listitem").count()) >= 1, "at least one guess");

    // Suggestions for the latest customer message; one click fills the reply box, unsent.
    const suggestions = thread.getByRole("region", { name: "Knowledge suggestions" });
    await suggestions.waitFor();
    const answer = await suggestions.locator(".suggestion-answer").first().innerText();
    const before = await messages.locator("li.msg").count();
    await suggestions.getByRole("button", { name: "Insert answer" }).first().click();
    const box = thread.getByLabel("Reply to the customer");
    await expectValue(box, answer);
    assert.equal(await messages.locator("li.msg").count(), before, "inserting sends nothing");

    await visitor.screenshot({ path: join(ARTIFACTS, "bot-visitor.png") });
    await agent.screenshot({ path: join(ARTIFACTS, "bot-agent.png") });

    // The learning loop: the admin sees what the bot missed and teaches it in one click.
    const admin = await newPage("en-US");
    await admin.goto("/");
    await admin.getByLabel("Email", { exact: true }).fill("admin@demo.kefu.dev");
    await admin.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    const missed = admin.getByRole("region", { name: "Questions the bot missed" });
    const group = missed.getByRole("listitem").filter({ hasText: HANDOFF });
    await expectText(group, "Best guess");
    await group.getByRole("button", { name: "Add as similar question" }).click();
    await expectText(missed.getByRole("status"), "Added as a similar question");
    const match = await admin.evaluate(async (question) => {
      const res = await fetch("/api/v1/kb/match", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question, limit: 1 }),
      });
      return res.json();
    }, HANDOFF);
    assert.ok(match.matches[0].confidence > 0.5, `now the bot knows it: ${JSON.stringify(match.matches[0])}`);
    await admin.screenshot({ path: join(ARTIFACTS, "bot-unanswered.png"), fullPage: true });
  });
});
