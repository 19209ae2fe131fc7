// The ACD in the browser against the real server: an agent who is available gets an offer
// pop-up with a countdown, accepts it (Enter) and replies, typing showing on both sides; a
// rejected offer (Esc) pops up for the next agent, a lapsed one closes by itself and the router
// sets that agent away; while nobody is available the widget shows the queue position and the
// supervisor's live view the queue (amber past 20 s); a pending offer survives a reload;
// keyboard shortcuts walk the lists; a transfer with a note reaches a colleague; a supervisor
// sees the customer panel, whispers to the agent and takes the conversation over.
// Each describe has its own server, so who is available and what waits is known.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const PASSWORD = "kefu-demo-2026";
const WAIT_MS = 10_000;
const OFFER_SECS = 8;
const PRESALES = "售前咨询 Pre-sales";

let server;
let contexts = [];
let dialogs = [];

async function demoInbox(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: PASSWORD }),
  });
  assert.equal(login.status, 200, "the demo admin signs in");
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const inboxes = await (await fetch(`${url}/api/v1/inboxes`, { headers: { cookie } })).json();
  const web = inboxes.find((i) => i.channel === "web");
  assert.ok(web, "a web inbox in the demo tenant");
  return web.id;
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

/** A signed-in staff page (English unless `locale` says otherwise). */
async function staff(email, locale = "en-US") {
  const page = await newPage(locale);
  await page.goto("/");
  const zh = locale.startsWith("zh");
  await page.getByLabel(zh ? "邮箱" : "Email", { exact: true }).fill(email);
  await page.getByLabel(zh ? "密码" : "Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: zh ? "登录" : "Sign in" }).click();
  await page.locator("header").getByRole("combobox").first().waitFor();
  return page;
}

const statusSelect = (page) => page.locator("header .presence-switch select");

/** Picks a presence in the header and waits until the server's answer is shown. */
async function setPresence(page, value) {
  await statusSelect(page).selectOption(value);
  await page.locator(`header .presence-switch select[data-state="${value.split(":")[0]}"]:enabled`).waitFor();
}

/** A visitor on the demo shop who opens the widget, picks pre-sales and writes `text`. */
async function visitorWrites(inboxId, locale, text) {
  const page = await newPage(locale);
  await page.goto(`/demo.html?inbox=${inboxId}`);
  const zh = locale.startsWith("zh");
  await page.getByRole("button", { name: zh ? "在线客服" : "Chat with us", exact: true }).click();
  const chat = page.getByRole("dialog");
  await chat.getByRole("button", { name: PRESALES }).click();
  await chat.getByRole("textbox", { name: zh ? "输入消息" : "Message" }).fill(text);
  await chat.getByRole("button", { name: zh ? "发送" : "Send" }).click();
  await expectText(chat.getByRole("log"), text);
  return { page, chat };
}

const offerDialog = (page, name = "New chat for you") => page.getByRole("dialog", { name });

/** Seconds shown on the offer's countdown. */
async function secondsLeft(dialog) {
  const text = await dialog.locator(".countdown .secs").innerText();
  const n = Number(text.match(/\d+/)?.[0]);
  assert.ok(Number.isFinite(n), `a countdown in ${JSON.stringify(text)}`);
  return n;
}

/** Waits until one of the pages shows an offer; returns its index. */
async function whoIsOffered(pages, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const [i, [page, name]] of pages.entries()) {
      if (await offerDialog(page, name).isVisible()) return i;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("nobody was offered the conversation");
}

function startServer(env) {
  return async () => {
    server = await start({ env });
    contexts = [];
    dialogs = [];
    mkdirSync(ARTIFACTS, { recursive: true });
  };
}

async function stopServer() {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
}

describe("offers to available agents", { timeout: 90_000 }, () => {
  before(startServer({ KEFU_OFFER_TIMEOUT_SECS: String(OFFER_SECS), KEFU_MAX_MISSED_OFFERS: "1" }));
  after(stopServer);
  let inboxId;
  let lina;

  it("an available agent is offered a new chat with a countdown, accepts with Enter and replies", async () => {
    inboxId = await demoInbox(server.url);
    lina = await staff("lina@demo.kefu.dev");
    // After a (re)start every agent is offline until they say otherwise.
    assert.equal(await statusSelect(lina).inputValue(), "offline");
    await setPresence(lina, "available");

    const first = "我想咨询一下价格 <b>急</b>";
    const visitor = await visitorWrites(inboxId, "zh-CN", first);
    const offer = offerDialog(lina);
    await offer.waitFor();
    await expectText(offer, PRESALES);
    await expectText(offer, first);
    await expectText(offer.locator(".offer-customer"), /\S/);
    assert.equal(await lina.locator(".overlay b").count(), 0, "the customer's text is not HTML");
    const before = await secondsLeft(offer);
    assert.ok(before >= 1 && before <= OFFER_SECS, `countdown starts at ${before}`);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await secondsLeft(offer);
    assert.ok(later < before, `the countdown runs: ${before} then ${later}`);
    await lina.screenshot({ path: join(ARTIFACTS, "routing-offer.png") });

    await lina.keyboard.press("Enter");
    await offer.waitFor({ state: "detached" });
    const thread = lina.getByRole("region", { name: "Conversation" });
    await expectText(thread, "In progress");
    await expectText(thread.getByRole("list", { name: "Messages" }), first);
    assert.match(lina.url(), /#\/conversations\/[0-9a-f-]+$/);
    await expectText(lina.getByRole("region", { name: "Mine" }).locator("h2 .badge"), "1");

    // Typing shows on the other side, both ways, and ends when the message is sent.
    await visitor.chat.getByRole("textbox", { name: "输入消息" }).fill("还有一个问题");
    await expectText(thread.locator(".typing"), "is typing…");
    await thread.getByLabel("Reply to the customer").fill("您好，我是李娜，很高兴为您服务");
    await expectText(visitor.chat.getByRole("status"), "客服正在输入…");
    await thread.getByRole("button", { name: "Send", exact: true }).click();
    await expectText(visitor.chat.getByRole("status"), "客服已接入");
    await expectText(visitor.chat.getByRole("log"), "我是李娜");
  });

  it("a rejected offer goes to the next agent; a lapsed one closes by itself and the agent is set away", async () => {
    const emma = await staff("emma@demo.kefu.dev", "zh-CN");
    await setPresence(emma, "available");
    await visitorWrites(inboxId, "en-US", "Do you ship to Hong Kong?");

    // Both are available; whoever the router picks says no (Esc), and the other is offered it.
    const agents = [
      [lina, "New chat for you"],
      [emma, "新会话待接入"],
    ];
    const firstPick = await whoIsOffered(agents);
    const [rejecter, rejecterDialog] = agents[firstPick];
    const [next, nextDialog] = agents[1 - firstPick];
    await expectText(offerDialog(rejecter, rejecterDialog), "Do you ship to Hong Kong?");
    await rejecter.keyboard.press("Escape");
    await offerDialog(rejecter, rejecterDialog).waitFor({ state: "detached" });
    const offer = offerDialog(next, nextDialog);
    await offer.waitFor();
    await expectText(offer, "Do you ship to Hong Kong?");

    // The second agent lets it lapse: the dialog goes by itself, and (one missed offer being
    // the limit on this server) the router sets them away, which their header shows.
    await offer.waitFor({ state: "detached", timeout: (OFFER_SECS + 5) * 1000 });
    const missed = next === lina ? "Away · missed offers" : "离开 · 未接会话";
    await expectText(next.locator("header .presence-switch select option:checked"), missed);
    assert.equal(await statusSelect(next).inputValue(), "away:missed");
    assert.equal(await statusSelect(rejecter).inputValue(), "available", "rejecting is not missing");

    // The rejecter goes to a meeting, so nobody takes it: it waits, and past 20 s the
    // supervisor's live view marks it amber.
    await setPresence(rejecter, "away:meeting");
    const supervisor = await staff("supervisor@demo.kefu.dev");
    await supervisor.goto("/#/live");
    const row = supervisor.getByRole("table", { name: "Queues" }).getByRole("row").filter({ hasText: PRESALES });
    await expectText(row, /Pre-sales\s+1\s/);
    const agentRows = supervisor.getByRole("table", { name: "Agents" }).getByRole("row");
    const rejecterName = rejecter === lina ? "Li Na" : "Emma Clark";
    await expectText(agentRows.filter({ hasText: rejecterName }), "Away · meeting");
    await supervisor.locator("table.live-queues tr.wait-amber", { hasText: PRESALES }).waitFor({ timeout: 30_000 });
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });
});

describe("queue, live view, reload and transfer", { timeout: 120_000 }, () => {
  before(startServer({ KEFU_OFFER_TIMEOUT_SECS: "60" }));
  after(stopServer);

  it("while nobody is available the widget shows the place in the queue and the supervisor the queue", async () => {
    const inboxId = await demoInbox(server.url);
    const p = await visitorWrites(inboxId, "zh-CN", "第一位客户：发票怎么开？");
    await expectText(p.chat.getByRole("status"), "下一位就是您");
    const q = await visitorWrites(inboxId, "en-US", "Second customer: where is my parcel?");
    await expectText(q.chat.getByRole("status"), "1 ahead of you");

    const supervisor = await staff("supervisor@demo.kefu.dev");
    await supervisor.getByRole("navigation").getByRole("link", { name: "Live view" }).click();
    const queues = supervisor.getByRole("table", { name: "Queues" });
    const row = queues.getByRole("row").filter({ hasText: PRESALES });
    await expectText(row, /Pre-sales\s+2\s+\d+:\d\d/);
    const agents = supervisor.getByRole("table", { name: "Agents" });
    await expectText(agents.getByRole("row").filter({ hasText: "Li Na" }), /Offline\s+\d+:\d\d(:\d\d)?\s+0 \/ 5\s+No/);

    // Lina comes: both are offered to her (capacity 5); the live view follows.
    const lina = await staff("lina@demo.kefu.dev");
    await setPresence(lina, "available");
    await expectText(agents.getByRole("row").filter({ hasText: "Li Na" }), /Available/);
    await expectText(row, /Pre-sales\s+0\s/);
    const offer = offerDialog(lina);
    await offer.waitFor();
    await expectText(offer, "1 more offered to you");
    await expectText(offer, "第一位客户");

    // The page is reloaded with both offers pending: they pop up again from the list.
    await lina.reload();
    await offer.waitFor();
    await expectText(offer, "第一位客户");
    await offer.getByRole("button", { name: /Accept/ }).click();
    await expectText(offer, "Second customer");
    await lina.keyboard.press("Enter");
    await offer.waitFor({ state: "detached" });
    const thread = lina.getByRole("region", { name: "Conversation" });
    await expectText(thread.getByRole("list", { name: "Messages" }), "Second customer");
    await expectText(lina.getByRole("region", { name: "Mine" }).locator("h2 .badge"), "2");
    // Keyboard: Alt+↓ / Alt+↑ walk the lists, Alt+N switches the reply box to a note and back.
    await lina.keyboard.press("Alt+ArrowDown");
    await expectText(thread.getByRole("list", { name: "Messages" }), "第一位客户");
    await lina.keyboard.press("Alt+ArrowUp");
    await expectText(thread.getByRole("list", { name: "Messages" }), "Second customer");
    await thread.getByLabel("Reply to the customer").focus();
    await lina.keyboard.press("Alt+n");
    assert.equal(await thread.getByRole("checkbox", { name: "Internal note" }).isChecked(), true);
    await lina.keyboard.press("Alt+n");
    assert.equal(await thread.getByRole("checkbox", { name: "Internal note" }).isChecked(), false);

    // The visitors no longer wait: the place in the queue is gone.
    await expectText(p.chat.getByRole("status"), "客服已接入");
    assert.ok(!(await p.chat.getByRole("status").innerText()).includes("下一位"), "no queue position once served");
    await expectText(q.chat.getByRole("status"), "An agent has joined");
    // Today's service level (from the report rollups) is shown against the tenant's goal.
    await expectText(supervisor.locator("main"), "Goal: 80% answered within 20 s");
    const sl = row.locator("span.sl");
    await sl.waitFor({ timeout: 15_000 });
    assert.match(await sl.innerText(), /^\d+(\.\d)?%$/);
    assert.match(await sl.getAttribute("class"), /\bsl-(green|amber|red)\b/);
    await supervisor.screenshot({ path: join(ARTIFACTS, "routing-live.png") });

    // Transfer to Emma with a note: she is offered it and finds the note in the thread.
    const emma = await staff("emma@demo.kefu.dev");
    await setPresence(emma, "available");
    await thread.getByRole("button", { name: "Transfer" }).click();
    const transfer = lina.getByRole("dialog", { name: "Transfer the conversation" });
    const agentSelect = transfer.getByRole("combobox");
    const emmaOption = agentSelect.locator("option", { hasText: "Emma Clark" });
    assert.match(await emmaOption.textContent(), /Emma Clark · Available/, "agents are listed with their presence");
    await agentSelect.selectOption(await emmaOption.getAttribute("value"));
    await transfer.getByLabel("Note for the next agent (optional)").fill("客户要开发票，请跟进");
    await transfer.getByRole("button", { name: "Transfer" }).click();
    await transfer.waitFor({ state: "detached" });

    const emmaOffer = offerDialog(emma);
    await emmaOffer.waitFor();
    await expectText(emmaOffer, "Second customer");
    await emmaOffer.getByRole("button", { name: /Accept/ }).click();
    const emmaThread = emma.getByRole("region", { name: "Conversation" });
    await expectText(emmaThread.locator(".msg-note"), "客户要开发票，请跟进");
    await expectText(agents.getByRole("row").filter({ hasText: "Emma Clark" }), /1 \/ 6/);

    // The supervisor follows Emma's conversation, sees the customer beside it, whispers to
    // Emma (the customer never sees it) and then takes it over.
    await supervisor.goto("/#/conversations");
    const others = supervisor.getByRole("region", { name: "Other agents' conversations" });
    await others.getByRole("button").filter({ hasText: /\S/ }).first().waitFor();
    const emmaId = (await emma.evaluate(() => location.hash)).split("/").pop();
    await supervisor.goto(`/#/conversations/${emmaId}`);
    const watched = supervisor.getByRole("region", { name: "Conversation", exact: true });
    await expectText(watched.getByRole("list", { name: "Messages" }), "Second customer");
    const panel = supervisor.getByRole("complementary", { name: "Customer" });
    await expectText(panel, "First contact");
    await panel.getByRole("button", { name: "Add an attribute" }).click();
    await panel.getByLabel("Key").last().fill("order_no");
    await panel.getByLabel("Value").last().fill("A1001");
    await panel.getByRole("button", { name: "Save" }).click();
    await expectText(panel, "Saved.");
    await expectText(watched, "whispered to the agent");
    await watched.getByLabel("Internal note (agents only)").fill("先确认订单号 A1001");
    await watched.getByRole("button", { name: "Add note" }).click();
    await expectText(emmaThread.locator(".msg-note").last(), "先确认订单号 A1001");
    await watched.getByRole("button", { name: "Take over" }).click();
    await expectText(watched, "Resolve");
    await watched.getByLabel("Reply to the customer").fill("I am the supervisor; your parcel left today.");
    await watched.getByRole("button", { name: "Send", exact: true }).click();
    await expectText(q.chat.getByRole("log"), "your parcel left today");
    assert.ok(!(await q.chat.getByRole("log").innerText()).includes("A1001"), "whispers stay internal");
    await supervisor.screenshot({ path: join(ARTIFACTS, "routing-supervisor.png") });
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });
});
