// Tickets (工单) in a real browser against the real server: with an SLA policy set, an agent
// creates a ticket for a demo customer (the first-reply warning pops up for her, and the SLA
// panel follows the ticket), @mentions the supervisor in a note (it pops up for her), finds it
// by #1001, takes it, sets it pending-internal, writes an internal note and a
// public reply, is not offered closed from an open status, sees a colleague's solve arrive
// without a reload (the page follows the event stream), reopens and solves it and finds it
// among the solved;
// then a widget conversation becomes a ticket whose description is the transcript; an admin adds
// a webhook on the settings page, a receiver on this machine gets the next ticket signed, and the
// delivery log says delivered; two ticked tickets are changed together from the list; an agent
// saves a view, and a customer follows a ticket by its status link and answers it, which the
// agent sees arrive live.
// Screenshots go to e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");

const PASSWORD = "kefu-demo-2026";
const WAIT_MS = 10_000;
const SUBJECT = "发票抬头开错了 Wrong invoice title";
const NOTE = "财务在核对，明天回复";
const REPLY = "您好，新的发票已开出，请查收。";
const HOSTILE = "<img src=x onerror=alert(1)>发票要重开";

let server;
const contexts = [];
const dialogs = [];

async function newPage(locale) {
  const context = await server.browser.newContext({ locale, baseURL: server.url, viewport: { width: 1280, height: 900 } });
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

async function signIn(page, email) {
  await page.goto("/");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Tickets" }).waitFor();
}

/** The demo admin's session cookie, for changes made behind the browser's back. */
async function adminCookie(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: PASSWORD }),
  });
  assert.equal(login.status, 200, "the demo admin signs in");
  return login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/** The demo's web inbox id, asked as the demo admin. */
async function demoInbox(url) {
  const cookie = await adminCookie(url);
  const inboxes = await (await fetch(`${url}/api/v1/inboxes`, { headers: { cookie } })).json();
  const web = inboxes.find((i) => i.channel === "web");
  assert.ok(web, "a web inbox in the demo tenant");
  return web.id;
}

const optionValues = (select) => select.locator("option").evaluateAll((os) => os.map((o) => o.value));

describe("tickets", { timeout: 150_000 }, () => {
  before(async () => {
    // The webhook receiver of the last test listens on loopback.
    server = await start({ env: { KEFU_WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("an agent creates a ticket, finds it by number, works it and solves it", async () => {
    const page = await newPage("en-US");
    await signIn(page, "lina@demo.kefu.dev");
    const nav = page.getByRole("navigation");
    assert.deepEqual((await nav.getByRole("link").allInnerTexts()).slice(0, 2), ["Conversations", "Tickets"]);
    await nav.getByRole("link", { name: "Tickets" }).click();
    await expectText(page.getByRole("tab", { selected: true }), "My open tickets");

    // The tenant's SLA: first reply within 4 business hours, resolution within 2 days.
    const policies = await fetch(`${server.url}/api/v1/sla-policies`, {
      method: "PUT",
      headers: { "content-type": "application/json", cookie: await adminCookie(server.url) },
      // The warning comes at once (240 minutes before due) and is for Li Na.
      body: JSON.stringify({
        policies: [{
          name: "标准 Standard",
          targets: { first_reply_minutes: 240, resolution_minutes: 2880 },
          warn_before: { minutes: 240 },
          escalations: [{ on: "warning", targets: ["first_reply"], action: { type: "notify", to: [{ user: "lina@demo.kefu.dev" }] } }],
        }],
      }),
    });
    assert.equal(policies.status, 200, await policies.text());

    // A new ticket for the demo customer 张伟, found by searching.
    await page.getByRole("button", { name: "New ticket" }).click();
    const form = page.getByRole("form", { name: "New ticket" });
    await form.getByLabel("Subject").fill(SUBJECT);
    await form.getByLabel("Description").fill("客户说抬头应为“演示科技有限公司”。");
    await form.getByRole("button", { name: "Create" }).click();
    await expectText(form.locator(".field-error"), "Required.");
    await form.getByLabel("Find a customer").fill("张伟");
    await form.getByRole("button", { name: "Choose 张伟" }).click();
    await form.getByLabel("Priority").selectOption("high");
    await form.getByLabel("Type").selectOption("incident");
    await form.getByLabel("Group").selectOption({ label: "售后 After-sales" });
    await form.getByRole("button", { name: "Create" }).click();
    await expectText(page.getByRole("heading", { level: 1 }), `#1001 ${SUBJECT}`);
    // The first-reply warning pops up for Li Na wherever she is, linking to the ticket.
    const alert = page.getByRole("list", { name: "Ticket alerts" }).getByRole("alert");
    await expectText(alert, "Ticket #1001: First reply is due soon");
    await alert.getByRole("button", { name: "Close" }).click();
    assert.equal(await alert.count(), 0);

    // Found by its number from the list, whatever the view.
    await nav.getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("searchbox", { name: "Search" }).fill("#1001");
    const row = page.getByRole("row").filter({ hasText: "#1001" });
    await expectText(row, new RegExp(`#1001\\s+${SUBJECT}\\s+张伟\\s+New\\s+High\\s+Unassigned\\s+售后 After-sales`));
    await row.getByRole("link", { name: "#1001" }).click();
    await expectText(page.getByRole("heading", { level: 1 }), "#1001");

    const side = page.getByRole("complementary", { name: "Ticket details" });
    const status = side.getByLabel("Status");
    await expectText(side, "张伟");
    await side.getByRole("button", { name: "Assign to me" }).click();
    await expectText(side.getByRole("status"), "Saved.");
    assert.equal(await side.getByLabel("Assignee").locator("option:checked").innerText(), "李娜 Li Na");
    // Taking a new ticket opens it; from open there is no "closed" (it is solved first).
    await page.waitForFunction(() => document.querySelector("aside select[name=status]").value === "open");
    assert.deepEqual(await optionValues(status), ["open", "pending_customer", "pending_internal", "on_hold", "solved"]);

    await status.selectOption("pending_internal");
    await expectText(page.locator(".page-head .ticket-status"), "Pending internal");
    assert.deepEqual(await optionValues(status), ["pending_internal", "open", "pending_customer", "on_hold", "solved"]);

    // An internal note by default, sent with Ctrl+Enter, @mentioning the supervisor (who is
    // told at once, on whatever page she has open); then a public reply.
    const supervisor = await newPage("en-US");
    await signIn(supervisor, "supervisor@demo.kefu.dev");
    const composer = page.getByRole("form", { name: "Add a comment" });
    assert.ok(await composer.getByLabel("Internal note", { exact: true }).isChecked(), "an internal note unless said otherwise");
    await composer.getByLabel("Internal note (agents only)").fill(`@周敏 Zhou Min ${NOTE}`);
    await composer.getByLabel("Internal note (agents only)").press("Control+Enter");
    const mention = supervisor.getByRole("list", { name: "Ticket alerts" }).getByRole("alert");
    await expectText(mention, "You were mentioned on ticket #1001");
    await mention.getByRole("link").click();
    await expectText(supervisor.getByRole("heading", { level: 1 }), "#1001");
    const comments = page.getByRole("region", { name: "Comments" });
    await expectText(comments.locator(".comment-note"), new RegExp(`You\\s+Internal note[\\s\\S]*${NOTE}`));
    await composer.getByLabel("Public reply").check();
    await composer.getByLabel("Reply to the customer (they will see it)").fill(REPLY);
    await composer.getByRole("button", { name: "Send reply" }).click();
    await expectText(comments.locator(".comment-public"), new RegExp(`Sent to customer[\\s\\S]*${REPLY}`));
    // The public reply met the first-reply target; resolution still runs, with its due time.
    const sla = page.getByRole("region", { name: "Service level" });
    await expectText(sla.locator('[data-target="first_reply"]'), /First reply\s+Met/);
    await expectText(sla.locator('[data-target="resolution"]'), /Resolution\s+Running[\s\S]*due in \d+ min/);
    await expectText(comments.locator("ol"), new RegExp(`${NOTE}[\\s\\S]*${REPLY}`), WAIT_MS);
    const noteColour = await comments.locator(".comment-note").evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(noteColour, "rgb(255, 248, 225)", "notes are yellow like the conversation notes");

    await page.screenshot({ path: join(ARTIFACTS, "ticket-detail.png"), fullPage: true });
    // A colleague solves it meanwhile: the page follows the event stream, so it shows the
    // ticket as it is now, and offers only the moves a solved ticket has, without a reload.
    const ticketId = page.url().split("/").pop();
    const solved = await fetch(`${server.url}/api/v1/tickets/${ticketId}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", cookie: await adminCookie(server.url) },
      body: JSON.stringify({ status: "solved" }),
    });
    assert.equal(solved.status, 200);
    await expectText(page.locator(".page-head .ticket-status"), "Solved");
    const deadline = Date.now() + WAIT_MS;
    while ((await status.inputValue()) !== "solved" && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(await status.inputValue(), "solved");
    assert.deepEqual(await optionValues(status), ["solved", "open", "closed"]);
    // She reopens it, and solves it herself.
    await status.selectOption("open");
    await expectText(page.locator(".page-head .ticket-status"), "Open");
    await status.selectOption("solved");
    await expectText(page.locator(".page-head .ticket-status"), "Solved");
    assert.deepEqual(await optionValues(status), ["solved", "open", "closed"]);

    await nav.getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("tab", { name: "Solved / closed" }).click();
    await expectText(page.getByRole("table"), new RegExp(`#1001\\s+${SUBJECT}[\\s\\S]*Solved`));
    await page.screenshot({ path: join(ARTIFACTS, "ticket-list.png") });
    await page.getByRole("tab", { name: "My open tickets" }).click();
    await expectText(page.locator(".list-foot"), "Nothing here yet.");
    // The solved ticket's clocks stopped: nothing is breaching.
    await page.getByRole("tab", { name: "Breaching soon" }).click();
    await expectText(page.getByRole("tab", { selected: true }), "Breaching soon");
    await expectText(page.locator(".list-foot"), "Nothing here yet.");
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });

  it("turns a widget conversation into a ticket with its transcript", async () => {
    const inboxId = await demoInbox(server.url);
    const visitor = await newPage("zh-CN");
    await visitor.goto(`/demo.html?inbox=${inboxId}`);
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    const chat = visitor.getByRole("dialog");
    await chat.getByLabel("您的称呼").fill("刘芳");
    await chat.getByLabel("手机号").fill("138 0000 2222");
    await chat.getByRole("button", { name: "售后服务 After-sales" }).click();
    await chat.getByLabel("输入消息").fill(`${HOSTILE}\n订单号 SO-20260101`);
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(chat.getByRole("status"), "正在为您接入人工客服");

    const agent = await newPage("en-US");
    await signIn(agent, "lina@demo.kefu.dev");
    await agent.getByRole("navigation").getByRole("link", { name: "Conversations" }).click();
    await agent.getByRole("region", { name: "Waiting" }).getByRole("button").first().click();
    const thread = agent.getByRole("region", { name: "Conversation" });
    await expectText(thread, "SO-20260101");
    assert.equal(await thread.getByRole("button", { name: "Create ticket" }).count(), 0, "not for a waiting one");
    await thread.getByRole("button", { name: "Take" }).click();
    await thread.getByLabel("Reply to the customer").fill("好的，我为您登记工单。");
    await thread.getByRole("button", { name: "Send", exact: true }).click();
    await expectText(thread.getByRole("list", { name: "Messages" }), "我为您登记工单");
    await thread.getByRole("button", { name: "Create ticket" }).click();

    await expectText(agent.getByRole("heading", { level: 1 }), `#1002 ${HOSTILE}`);
    const description = agent.getByRole("region", { name: "Description" });
    await expectText(description, new RegExp(`Customer: ${HOSTILE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[\\s\\S]*SO-20260101[\\s\\S]*Agent: 好的，我为您登记工单。`));
    const side = agent.getByRole("complementary", { name: "Ticket details" });
    await expectText(side.getByRole("link", { name: "刘芳" }), "刘芳");
    await agent.screenshot({ path: join(ARTIFACTS, "ticket-from-chat.png"), fullPage: true });
    await side.getByRole("link", { name: "Open the conversation" }).click();
    await expectText(agent.getByRole("region", { name: "Conversation" }), "SO-20260101");
    assert.equal(await agent.locator("main img").count(), 0, "the customer's HTML stayed text");
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });

  it("an admin adds a webhook and the next ticket reaches the receiver, signed", async () => {
    const received = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise((done) => receiver.listen(0, "127.0.0.1", done));
    const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
    try {
      const page = await newPage("en-US");
      await signIn(page, "admin@demo.kefu.dev");
      await page.goto("/#/settings");
      const hooks = page.getByRole("region", { name: "Webhooks" });
      await hooks.getByLabel("Receiver URL").fill(url);
      await hooks.getByLabel("Events", { exact: true }).fill("ticket.created");
      await hooks.getByRole("button", { name: "Add webhook" }).click();
      await expectText(hooks.getByRole("status"), "copy it now");
      const secret = (await hooks.locator("code.secret").innerText()).trim();
      assert.match(secret, /^whsec_[0-9a-f]{48}$/);

      const cookie = await adminCookie(server.url);
      const customers = await (await fetch(`${server.url}/api/v1/customers?q=${encodeURIComponent("张伟")}`, { headers: { cookie } })).json();
      const created = await fetch(`${server.url}/api/v1/tickets`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ subject: "Webhook 测试", requester_id: customers.items[0].id }),
      });
      assert.equal(created.status, 201);
      const deadline = Date.now() + WAIT_MS;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(received.length, 1, "the receiver got the ticket.created event");
      const { headers, body } = received[0];
      assert.equal(headers["x-kefu-event"], "ticket.created");
      const [, t, v1] = headers["x-kefu-signature"].match(/^t=(\d+),v1=([0-9a-f]{64})$/);
      assert.equal(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"), v1, "the signature verifies");
      assert.equal(JSON.parse(body).event.payload.ticket.subject, "Webhook 测试");

      await hooks.getByRole("button", { name: "Deliveries" }).click();
      const log = hooks.getByRole("table", { name: "Deliveries" });
      await expectText(log, /ticket\.created[\s\S]*Delivered\s+1\s+204/);
      await page.screenshot({ path: join(ARTIFACTS, "settings-webhooks.png"), fullPage: true });
      assert.deepEqual(dialogs, [], "no browser dialog opened");
    } finally {
      receiver.close();
    }
  });

  it("changes ticked tickets together and names the one it cannot change", async () => {
    const cookie = await adminCookie(server.url);
    const customers = await (await fetch(`${server.url}/api/v1/customers?q=${encodeURIComponent("张伟")}`, { headers: { cookie } })).json();
    const numbers = [];
    for (const subject of ["批量一 Bulk one", "批量二 Bulk two"]) {
      const res = await fetch(`${server.url}/api/v1/tickets`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ subject, requester_id: customers.items[0].id }),
      });
      numbers.push((await res.json()).number);
    }
    const page = await newPage("en-US");
    await signIn(page, "lina@demo.kefu.dev");
    await page.getByRole("navigation").getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("tab", { name: "All open" }).click();
    for (const n of numbers) await page.getByRole("checkbox", { name: `Tick #${n}` }).check();
    const bar = page.getByRole("group", { name: "Change the ticked tickets" });
    await expectText(bar, "2 ticked");
    await bar.getByLabel("Priority").selectOption("urgent");
    await bar.getByLabel("Assign to me").check();
    await bar.getByRole("button", { name: "Apply to all" }).click();
    await expectText(page.getByRole("status").filter({ hasText: "changed" }), "2 changed.");
    for (const n of numbers) {
      await expectText(page.getByRole("row").filter({ hasText: `#${n}` }), /Urgent\s+李娜 Li Na/);
    }
    assert.equal(await bar.count(), 0, "the bar goes once nothing is ticked");
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });

  it("an agent saves a view, and the customer follows and answers the ticket by its status link", async () => {
    const cookie = await adminCookie(server.url);
    const customers = await (await fetch(`${server.url}/api/v1/customers?q=${encodeURIComponent("张伟")}`, { headers: { cookie } })).json();
    const res = await fetch(`${server.url}/api/v1/tickets`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ subject: "保修卡丢了 Lost warranty card", requester_id: customers.items[0].id,
        priority: "high", tags: ["warranty"] }),
    });
    const { number } = await res.json();

    const page = await newPage("en-US");
    await signIn(page, "lina@demo.kefu.dev");
    await page.getByRole("navigation").getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("button", { name: "+ New view" }).click();
    const form = page.getByRole("form", { name: "Saved view" });
    await form.getByLabel("View name").fill("保修 Warranty");
    await form.getByRole("checkbox", { name: "High", exact: true }).check();
    await form.getByLabel("Tag").fill("warranty");
    await form.getByRole("button", { name: "Save" }).click();
    const tab = page.getByRole("tab", { name: "保修 Warranty" });
    await tab.waitFor();
    assert.equal(await tab.getAttribute("aria-selected"), "true", "the new view is the one shown");
    await expectText(page.locator("table.tickets tbody"), `#${number}`);
    assert.equal(await page.locator("table.tickets tbody tr").count(), 1, "only the high warranty ticket");

    await page.getByRole("link", { name: `#${number}` }).click();
    const link = await page.getByRole("textbox", { name: "Customer's status link" }).inputValue();
    assert.match(link, /\/t\/[0-9a-f]{64}$/);
    await page.getByRole("radio", { name: "Public reply" }).check();
    await page.getByRole("textbox", { name: "Reply to the customer (they will see it)" }).fill("已补寄保修卡，请留意快递。");
    await page.getByRole("button", { name: "Send reply" }).click();
    await expectText(page.getByRole("region", { name: "Comments" }), "已补寄保修卡");

    // The customer, with no account, opens the link in a Chinese browser.
    const customer = await newPage("zh-CN");
    await customer.goto(link);
    await expectText(customer.getByRole("heading", { level: 1 }), `您的工单 #${number}`);
    await expectText(customer.locator("main"), "保修卡丢了");
    await expectText(customer.locator(".status-replies"), "已补寄保修卡，请留意快递。");
    await customer.getByLabel("您的回复").fill("收到，谢谢！<b>不是粗体</b>");
    await customer.getByRole("button", { name: "发送" }).click();
    await expectText(customer.locator(".status-replies"), "收到，谢谢！<b>不是粗体</b>");
    assert.equal(await customer.locator(".status-replies b").count(), 0, "the customer's text stays text");
    await customer.screenshot({ path: join(ARTIFACTS, "ticket-status-link.png"), fullPage: true });

    // The agent's open page shows the answer without a reload.
    await expectText(page.getByRole("region", { name: "Comments" }), "收到，谢谢！");
    await page.screenshot({ path: join(ARTIFACTS, "ticket-live.png"), fullPage: true });
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });

  it("adds a sub-task that blocks solving the parent, and merges a duplicate into it", async () => {
    const cookie = await adminCookie(server.url);
    const customers = await (await fetch(`${server.url}/api/v1/customers?q=${encodeURIComponent("张伟")}`, { headers: { cookie } })).json();
    const created = [];
    for (const subject of ["退款未到账 Refund missing", "重复：退款 Duplicate refund"]) {
      const res = await fetch(`${server.url}/api/v1/tickets`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ subject, requester_id: customers.items[0].id }),
      });
      assert.equal(res.status, 201);
      created.push(await res.json());
    }
    const [parent, duplicate] = created;
    // A page of its own, which accepts the merge confirmation (the shared ones dismiss dialogs).
    const context = await server.browser.newContext({ locale: "en-US", baseURL: server.url, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const confirmations = [];
    page.on("dialog", (d) => {
      confirmations.push(d.message());
      d.accept().catch(() => {});
    });
    await signIn(page, "lina@demo.kefu.dev");
    await page.goto(`/#/tickets/${parent.id}`);
    await expectText(page.getByRole("heading", { level: 1 }), `#${parent.number}`);

    const links = page.getByRole("region", { name: "Linked tickets" });
    await links.locator("summary", { hasText: "Add sub-task" }).click();
    const subForm = links.getByRole("form", { name: "Add sub-task" });
    await subForm.getByLabel("Sub-task subject").fill("财务核实退款 Finance to check");
    await subForm.getByRole("button", { name: "Add sub-task" }).click();
    const child = links.locator(".children li");
    await expectText(child, new RegExp(`#${parent.number + 2}\\s+财务核实退款 Finance to check\\s+New\\s+Sub-task`));

    // Solving the parent is refused while the sub-task is open, naming it.
    const side = page.getByRole("complementary", { name: "Ticket details" });
    await side.getByLabel("Status").selectOption("solved");
    await expectText(side.getByRole("alert"), `Open sub-tasks must be solved first: #${parent.number + 2}.`);
    await expectText(page.locator(".page-head .ticket-status"), "New");

    // The duplicate is merged into the parent; its page then says where it went.
    await page.goto(`/#/tickets/${duplicate.id}`);
    await expectText(page.getByRole("heading", { level: 1 }), `#${duplicate.number}`);
    await links.locator("summary", { hasText: "Merge into" }).click();
    const mergeForm = links.getByRole("form", { name: "Merge into" });
    await mergeForm.getByLabel("Number of the ticket to merge into").fill(`#${parent.number}`);
    await mergeForm.getByRole("button", { name: "Merge into" }).click();
    const banner = page.locator(".merged-banner");
    await expectText(banner, `This ticket was merged into #${parent.number} 退款未到账 Refund missing`);
    assert.deepEqual(confirmations, [`Merge #${duplicate.number} into #${parent.number}? #${duplicate.number} will be closed and its history moved.`]);
    await expectText(page.locator(".page-head .ticket-status"), "Closed");
    await page.screenshot({ path: join(ARTIFACTS, "ticket-merged.png"), fullPage: true });
    await banner.getByRole("link").click();
    await expectText(page.getByRole("heading", { level: 1 }), `#${parent.number}`);
    // The demo tenant speaks Chinese: the system note is in its language.
    await expectText(page.getByRole("region", { name: "Comments" }), `#${duplicate.number} 已合并到 #${parent.number}`);
  });

  it("an agent follows a ticket and copies an address on it; a reload shows both", async () => {
    const page = await newPage("en-US");
    await signIn(page, "lina@demo.kefu.dev");
    await page.getByRole("navigation").getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("searchbox", { name: "Search" }).fill("#1001");
    await page.getByRole("row").filter({ hasText: "#1001" }).getByRole("link", { name: "#1001" }).click();
    await expectText(page.getByRole("heading", { level: 1 }), "#1001");
    // Li Na follows #1001 already: she was assigned and wrote on it. She stops, then follows again.
    const followers = page.getByRole("region", { name: "Followers" });
    await expectText(followers.locator("ul"), "You");
    await followers.getByRole("button", { name: "Unfollow" }).click();
    await followers.getByRole("button", { name: "Follow", exact: true }).waitFor();
    assert.ok(!(await followers.locator("ul").innerText()).includes("You"), "unfollowed");
    await followers.getByRole("button", { name: "Follow", exact: true }).click();
    await followers.getByRole("button", { name: "Unfollow" }).waitFor();

    const cc = page.getByRole("region", { name: "CC", exact: true });
    await cc.getByLabel("Email addresses").fill("not-an-address");
    await cc.getByRole("button", { name: "Save" }).click();
    await cc.getByRole("alert").waitFor();
    await cc.getByLabel("Email addresses").fill("Finance@Example.com");
    await cc.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction(() => document.querySelector("[aria-label=CC] textarea").value === "finance@example.com");

    await page.reload();
    await expectText(page.getByRole("heading", { level: 1 }), "#1001");
    await expectText(page.getByRole("region", { name: "Followers" }).locator("ul"), "You");
    await page.waitForFunction(() => document.querySelector("[aria-label=CC] textarea")?.value === "finance@example.com");
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });
});
