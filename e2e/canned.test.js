// Canned responses in two browsers against the real server: an agent (in English) creates one on
// the Canned responses page (an unclosed {{ is refused first), a visitor writes in from the shop
// page, and in the reply box "/" lists the agent's responses: Esc closes the list, a click and
// then arrows and Enter insert the response filled with the customer's name and attributes and
// the agent's name; the agent sends it and the visitor receives it. Screenshots in e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;
const SHORTCUT = "order-shipped";
const TEMPLATE = "{{customer.name}}您好，我是{{agent.name}}。您的订单 {{customer.attributes.order_no}} 已发货。";
const CUSTOMER = "王芳";
const ORDER = "SO-2026-0042";
const RENDERED = `${CUSTOMER}您好，我是李娜 Li Na。您的订单 ${ORDER} 已发货。`;

let server;
const contexts = [];
const dialogs = [];

/** Signs the demo admin in over HTTP: a function for authenticated JSON requests. */
async function adminApi(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: "kefu-demo-2026" }),
  });
  assert.equal(login.status, 200, "the demo admin signs in");
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return async (method, path, body) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { cookie, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
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

describe("canned responses from the / list to the customer", { timeout: 60_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("an agent creates one, inserts it filled in with /, and the visitor receives it", async () => {
    const api = await adminApi(server.url);
    const inbox = (await api("GET", "/inboxes")).find((i) => i.channel === "web");
    assert.ok(inbox, "the demo has a web inbox");

    // The agent creates a canned response of their own on its page.
    const agent = await newPage("en-US");
    await agent.goto("/");
    await agent.getByLabel("Email", { exact: true }).fill("lina@demo.kefu.dev");
    await agent.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.getByRole("navigation").getByRole("link", { name: "Canned responses" }).click();
    await agent.getByRole("link", { name: "New canned response" }).click();
    const form = agent.locator("form");
    await form.getByLabel("Shortcut").fill(SHORTCUT);
    await form.getByLabel("Title").fill("Order shipped");
    await form.getByLabel("Text", { exact: true }).fill("{{customer.name}}您好 {{agent.name");
    assert.ok(await form.getByLabel("Shared with the whole team").isDisabled(), "agents make their own only");
    await form.getByRole("button", { name: "Create" }).click();
    await expectText(form.locator(".field-error"), "A {{ is not closed with }}.");
    await form.getByLabel("Text", { exact: true }).fill(TEMPLATE);
    await form.getByRole("button", { name: "Create" }).click();
    const row = agent.getByRole("row").filter({ hasText: `/${SHORTCUT}` });
    await expectText(row, /Order shipped[\s\S]*Mine/);
    await agent.screenshot({ path: join(ARTIFACTS, "canned-page.png") });

    // A visitor writes in; the admin names the customer and records their order.
    const visitor = await newPage("zh-CN");
    await visitor.goto(`/demo.html?inbox=${inbox.id}`);
    await visitor.getByRole("button", { name: "在线客服", exact: true }).click();
    const chat = visitor.getByRole("dialog");
    const log = chat.getByRole("log");
    await chat.getByRole("button", { name: "售前咨询 Pre-sales" }).click();
    await chat.getByLabel("输入消息").fill("我的订单发货了吗？");
    await chat.getByRole("button", { name: "发送" }).click();
    await expectText(chat.getByRole("status"), "正在为您接入人工客服");
    const [conversation] = (await api("GET", "/conversations?status=queued")).items;
    await api("PATCH", `/customers/${conversation.customer_id}`, { name: CUSTOMER, attributes: { order_no: ORDER } });

    // The agent takes the conversation.
    await agent.getByRole("navigation").getByRole("link", { name: "Conversations" }).click();
    const waiting = agent.getByRole("region", { name: "Waiting" });
    await waiting.getByRole("button", { name: new RegExp(CUSTOMER) }).click();
    const thread = agent.getByRole("region", { name: "Conversation" });
    await thread.getByRole("button", { name: "Take" }).click();
    await expectText(thread, "In progress");

    // "/" opens the list, Esc closes it, typing on opens it again.
    const reply = thread.getByLabel("Reply to the customer");
    const list = thread.getByRole("listbox", { name: "Canned responses" });
    await reply.pressSequentially("/");
    await expectText(list, `/${SHORTCUT}`);
    await reply.press("Escape");
    await list.waitFor({ state: "detached" });
    await reply.pressSequentially("ord");
    const option = list.getByRole("option", { name: new RegExp(SHORTCUT) });
    await expectText(option, "Order shipped");
    await agent.screenshot({ path: join(ARTIFACTS, "canned-picker.png") });

    // A click inserts it, filled in for this conversation.
    await option.click();
    await list.waitFor({ state: "detached" });
    await waitForValue(reply, RENDERED);

    // Again with the keyboard: the arrows move over the list, Enter picks.
    await reply.fill("");
    await reply.pressSequentially(`/${SHORTCUT.slice(0, 5)}`);
    await expectText(option, "Order shipped");
    await reply.press("ArrowDown");
    await reply.press("ArrowUp");
    assert.equal(await option.getAttribute("aria-selected"), "true");
    await reply.press("Enter");
    await waitForValue(reply, RENDERED);
    assert.equal(await list.count(), 0, "the list closed");

    // Sent, it reaches the visitor with the customer's name in it.
    await thread.getByRole("button", { name: "Send", exact: true }).click();
    await expectText(thread.getByRole("list", { name: "Messages" }), RENDERED);
    await expectText(log, RENDERED);
    assert.ok(!(await log.innerText()).includes("{{"), "no variable reaches the customer");

    await agent.screenshot({ path: join(ARTIFACTS, "canned-agent.png") });
    assert.deepEqual(dialogs, [], "no browser dialog opened");
  });
});

/** Polls a text box's value until it is `expected`. */
async function waitForValue(locator, expected, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let value = "";
  while (Date.now() < deadline) {
    value = await locator.inputValue();
    if (value === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(value, expected);
}
