// Agent scorecards and report schedules in a real browser against the real server (demo
// tenant): a supervisor sorts the scorecard table and downloads it as XLSX, creates a weekly
// schedule and sees it listed; an agent reads their own scorecard.
import { describe, it, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { start, expectText } from "./server.js";

const PASSWORD = "kefu-demo-2026";
const SUPERVISOR = "supervisor@demo.kefu.dev";
const WAIT_MS = 10_000;

let server;
let context;
let page;

async function signIn(email) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const nav = () => page.getByRole("navigation", { name: "Main" });

describe("kefu scorecards and report schedules", { timeout: 120_000 }, () => {
  before(async () => {
    server = await start();
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    context = await server.browser.newContext({ locale: "en-US", baseURL: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto("/");
  });
  afterEach(async () => {
    await context?.close();
  });

  it("shows a supervisor the scorecards, sortable, and an XLSX download", async () => {
    await signIn(SUPERVISOR);
    await nav().getByRole("link", { name: "Reports" }).click();
    await page.getByRole("tab", { name: "Scorecards" }).click();
    await page.getByRole("button", { name: "Show scorecards" }).click();
    const table = page.getByRole("table", { name: "Agent scorecards" });
    await table.waitFor();
    const rows = await table.locator("tbody tr").count();
    assert.ok(rows >= 2, `the demo's agents have cards (${rows})`);
    const names = async () => table.locator("tbody tr td:first-child").allTextContents();
    const byName = await names();
    assert.deepEqual(byName, [...byName].sort((a, b) => a.localeCompare(b)), "sorted by name first");
    await table.getByRole("button", { name: "Agent" }).click();
    await expectText(table.locator("th[aria-sort=descending]"), "Agent");
    assert.deepEqual(await names(), [...byName].reverse(), "a second click reverses the order");
    await table.getByRole("button", { name: "AHT" }).click();
    await expectText(table.locator("th[aria-sort=descending]"), "AHT");

    const href = await page.getByRole("link", { name: "Download XLSX" }).getAttribute("href");
    assert.match(href, /\/api\/v1\/reports\/scorecards\?.*format=xlsx/);
    const response = await page.request.get(href);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const body = await response.body();
    assert.equal(body.subarray(0, 2).toString("latin1"), "PK", "a zip (XLSX) file");
  });

  it("lets a supervisor create a weekly schedule and lists it", async () => {
    await signIn(SUPERVISOR);
    await nav().getByRole("link", { name: "Reports" }).click();
    await page.getByRole("tab", { name: "Schedules" }).click();
    await expectText(page.getByRole("table", { name: "Report schedules" }), "No schedules yet");
    const form = page.getByRole("form", { name: "New schedule" });
    await form.getByLabel("Name").fill("Weekly team scorecards");
    await form.getByLabel("Frequency").selectOption("weekly");
    await form.getByLabel("Weekday").selectOption("5");
    await form.getByLabel("Send time (tenant's time zone)").fill("17:30");
    await form.getByLabel("Recipients").fill("boss@demo.example, lead@demo.example");
    await form.getByLabel("Format").selectOption("csv");
    await form.getByRole("button", { name: "Create schedule" }).click();
    const table = page.getByRole("table", { name: "Report schedules" });
    await expectText(table, "Weekly team scorecards");
    await expectText(table, "Fridays at 17:30");
    await expectText(table, "boss@demo.example, lead@demo.example");
    // A bad address is refused with the field named, nothing created.
    await form.getByLabel("Name").fill("Broken");
    await form.getByLabel("Recipients").fill("not-an-address");
    await form.getByRole("button", { name: "Create schedule" }).click();
    await expectText(form.getByRole("alert"), /not an e-mail address/);
    assert.equal(await table.locator("tbody tr").count(), 1);
  });

  it("shows an agent their own scorecard", async () => {
    await signIn("lina@demo.kefu.dev");
    await nav().getByRole("link", { name: "My scorecard" }).click();
    const figures = page.getByRole("definition").first();
    await figures.waitFor();
    await expectText(page.locator("dl.figures"), "Tickets solved");
    await expectText(page.locator("dl.figures"), "Adherence");
  });
});
