// Bot scenarios against the real server: the demo admin (in English) sees the demo's
// integration, builds a two-step scenario (ask with a pattern, then say with the slot) in the
// Scenarios tab, and walks it in "Try the bot": a wrong answer is asked again, a right one
// is filled into the reply; an FAQ gets a business action. Screenshots in artifacts/.
import { describe, it, before, after } from "node:test";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;

let server;
let context;

describe("bot scenarios: build one and walk it", { timeout: 60_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
  });

  it("builds a scenario in the editor and walks it in Try the bot", async () => {
    context = await server.browser.newContext({ locale: "en-US", baseURL: server.url, viewport: { width: 1200, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto("/");
    await page.getByLabel("Email", { exact: true }).fill("admin@demo.kefu.dev");
    await page.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Knowledge" }).click();

    // The demo's order system, its secret never shown.
    await page.getByRole("tab", { name: "Integrations" }).click();
    const integrations = page.getByRole("table", { name: "Integrations" });
    await expectText(integrations, "订单系统 Orders");
    await expectText(integrations, "X-Api-Key · set");

    // The demo's scenarios, then a new one.
    await page.getByRole("tab", { name: "Scenarios" }).click();
    const list = page.getByRole("table", { name: "Scenarios" });
    await expectText(list, "查询订单 Order status");
    await page.getByRole("button", { name: "New scenario" }).click();
    const editor = page.getByRole("form", { name: "Scenario editor" });
    await editor.getByLabel("Name", { exact: true }).fill("Gift card balance");
    await editor.getByLabel("Trigger questions").fill("check my gift card balance\ngift card balance\nhow much is left on my gift card");
    const first = editor.getByRole("listitem", { name: "Step 1" });
    await first.getByLabel("Slot name (e.g. order_id)").fill("card");
    await first.getByLabel("Question", { exact: true }).fill("Your 4-digit gift card number?");
    await first.getByLabel("Validation pattern (regex, optional)").fill("[0-9]{4}");
    await editor.getByRole("button", { name: "Add a step" }).click();
    const second = editor.getByRole("listitem", { name: "Step 2" });
    await second.getByLabel("Kind of step").selectOption("say");
    await second.getByLabel("Message", { exact: true }).fill("Gift card {card} has ¥50 left.");
    await editor.getByRole("button", { name: "Save" }).click();
    await editor.waitFor({ state: "detached" });
    await expectText(list, "Gift card balance");

    // Walk it as a customer would.
    const tryBot = page.getByRole("form", { name: "Try the bot" });
    const input = tryBot.getByLabel("Question to the bot");
    const reply = tryBot.getByRole("status", { name: "The bot's reply" });
    await input.fill("what is my gift card balance");
    await tryBot.getByRole("button", { name: "Ask" }).click();
    await expectText(reply, "Your 4-digit gift card number?");
    await expectText(reply, "Walks a scenario");
    await input.fill("12");
    await tryBot.getByRole("button", { name: "Ask" }).click();
    await expectText(reply, "Sorry, that doesn't look right. Your 4-digit gift card number?");
    await input.fill("1234");
    await tryBot.getByRole("button", { name: "Ask" }).click();
    await expectText(reply, "Gift card 1234 has ¥50 left.");
    await page.screenshot({ path: join(ARTIFACTS, "scenarios-try.png"), fullPage: true });

    // An FAQ can run a business action: the editor offers the integrations; a wrong pattern is
    // refused on its field, a right one saved.
    await page.getByRole("tab", { name: "FAQs" }).click();
    await page.getByRole("button", { name: "我的快递到哪了", exact: true }).first().click();
    const action = page.getByRole("form", { name: "Business action" });
    await action.getByLabel("Integration").selectOption({ label: "订单系统 Orders" });
    await action.getByLabel("Values to ask for").fill("order_id | Your order number? | [0-9]{6");
    await action.getByLabel("Reply template").fill("Order {order_id}: {result.status}");
    await action.getByRole("button", { name: "Save" }).click();
    await expectText(action, "not a valid regular expression");
    await action.getByLabel("Values to ask for").fill("order_id | Your order number? | [0-9]{6}");
    await action.getByRole("button", { name: "Save" }).click();
    await expectText(action, "Saved.");
    await expectText(action, "Remove the action");
  });
});
