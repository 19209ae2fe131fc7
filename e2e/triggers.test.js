// Ticket custom fields and triggers in a real browser against the real server: an admin defines
// a select field and a trigger ("created with priority urgent → add tag vip-escalation and notify
// the pre-sales group") on the settings page with selects; an agent of that group creates an
// urgent ticket with the field set, sees the field on the ticket, the tag added by the trigger,
// and the trigger's alert pop up; she changes the field from the side panel.
// Screenshots go to e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const PASSWORD = "kefu-demo-2026";
const WAIT_MS = 10_000;

let server;
const contexts = [];

async function newPage(locale) {
  const context = await server.browser.newContext({ locale, baseURL: server.url, viewport: { width: 1280, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  return page;
}

async function signIn(page, email) {
  await page.goto("/");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Tickets" }).waitFor();
}

describe("ticket fields and triggers", { timeout: 90_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("an admin defines a field and a trigger; an urgent ticket gets the tag and the alert", async () => {
    const admin = await newPage("en-US");
    await signIn(admin, "admin@demo.kefu.dev");
    await admin.getByRole("navigation").getByRole("link", { name: "Settings" }).click();

    // A select field, refused first for a bad key, then added.
    const fields = admin.getByRole("region", { name: "Ticket fields" });
    const addField = fields.getByRole("form", { name: "Add field" });
    await addField.getByLabel("Key").fill("Region!");
    await addField.getByLabel("Label").fill("Region 区域");
    await addField.getByLabel("Type").selectOption("select");
    await addField.getByLabel("Options").fill("East 华东, North 华北");
    await addField.getByRole("button", { name: "Add field" }).click();
    await expectText(addField.locator(".field-error"), "Lowercase letters, digits and _");
    await addField.getByLabel("Key").fill("region");
    await addField.getByRole("button", { name: "Add field" }).click();
    await expectText(fields.getByRole("row").filter({ hasText: "region" }), /region\s+Region 区域\s+Select\s+East 华东, North 华北/);

    // The trigger, built with selects.
    const triggers = admin.getByRole("region", { name: "Triggers" });
    await triggers.getByRole("button", { name: "Add trigger" }).click();
    const editor = triggers.getByRole("form", { name: "Add trigger" });
    await editor.getByLabel("Name").fill("VIP escalation");
    await editor.getByLabel("When").selectOption("ticket_created");
    const all = editor.getByRole("group", { name: "All of these conditions" });
    await all.getByRole("button", { name: "Add condition" }).click();
    await all.getByLabel("Field").selectOption("priority");
    await all.getByLabel("Operator").selectOption("is");
    await all.getByLabel("Value").selectOption("urgent");
    const actions = editor.getByRole("group", { name: "Actions" });
    await actions.getByLabel("Action").first().selectOption("add_tags");
    await actions.getByLabel("Value").first().fill("vip-escalation");
    await actions.getByRole("button", { name: "Add action" }).click();
    await actions.getByLabel("Action").nth(1).selectOption("notify_groups");
    await actions.getByLabel("Value").nth(1).selectOption({ label: "售前 Pre-sales" });
    await editor.getByRole("button", { name: "Save" }).click();
    const listed = triggers.locator("li.trigger");
    await expectText(listed, /VIP escalation\s+Ticket created · 1 conditions · Add tags, Notify groups/);
    await admin.screenshot({ path: join(ARTIFACTS, "triggers-settings.png"), fullPage: true });

    // Li Na (pre-sales) opens an urgent ticket with the field set.
    const agent = await newPage("en-US");
    await signIn(agent, "lina@demo.kefu.dev");
    await agent.getByRole("navigation").getByRole("link", { name: "Tickets" }).click();
    await agent.getByRole("button", { name: "New ticket" }).click();
    const form = agent.getByRole("form", { name: "New ticket" });
    await form.getByLabel("Subject").fill("服务器宕机 Server down");
    await form.getByLabel("Find a customer").fill("张伟");
    await form.getByRole("button", { name: "Choose 张伟" }).click();
    await form.getByLabel("Priority").selectOption("urgent");
    await form.getByLabel("Region 区域").selectOption("East 华东");
    await form.getByRole("button", { name: "Create" }).click();
    await expectText(agent.getByRole("heading", { level: 1 }), "服务器宕机 Server down");

    // The trigger's alert pops up for her (a member of the notified group).
    const alert = agent.getByRole("list", { name: "Ticket alerts" }).getByRole("alert");
    await expectText(alert, /Trigger “VIP escalation” on ticket #\d+/);

    // The tag the trigger added shows once the ticket is read again.
    const side = agent.getByRole("complementary", { name: "Ticket details" });
    for (let i = 0; i < 20 && !(await side.locator(".chip").allInnerTexts()).join(" ").includes("vip-escalation"); i++) {
      await agent.reload();
      await side.waitFor();
    }
    await expectText(side.locator(".chips"), "vip-escalation");
    assert.equal(await side.getByLabel("Region 区域").inputValue(), "East 华东");
    await agent.screenshot({ path: join(ARTIFACTS, "triggers-ticket.png"), fullPage: true });

    // The field is edited from the side panel like the others.
    await side.getByLabel("Region 区域").selectOption("North 华北");
    await expectText(side.getByRole("status"), "Saved.");
    await agent.reload();
    await side.waitFor();
    assert.equal(await side.getByLabel("Region 区域").inputValue(), "North 华北");
  });
});
