// The reports page in a real browser against the real server (demo tenant): a supervisor runs
// a report and sees the chart and tables, downloads the CSV (BOM, SL in the header); agents
// are kept out.
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

const nav = () => page.getByRole("navigation");

describe("kefu reports page", { timeout: 120_000 }, () => {
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

  it("shows a supervisor the chart, the tables and a CSV with BOM", async () => {
    await signIn(SUPERVISOR);
    await nav().getByRole("link", { name: "Reports" }).click();
    const form = page.getByRole("form", { name: "Report parameters" });
    await form.getByLabel("Service level definition").selectOption("2");
    await form.getByRole("button", { name: "Show report" }).click();
    await expectText(page.getByRole("status"), /definition 2: answered <= T \/ answered, T = 20 s/);
    await page.getByRole("img", { name: /Offered and answered per bucket/ }).waitFor();
    await page.getByRole("table", { name: "All contacts" }).waitFor();
    const rows = await page.getByRole("table", { name: "All contacts" }).locator("tbody tr").count();
    assert.equal(rows, 7, "a week of days");

    const href = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    assert.match(href, /format=csv/);
    assert.match(href, /service_level=2/);
    const response = await page.request.get(href);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()["content-type"], "text/csv; charset=utf-8");
    const body = await response.body();
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(body.toString("utf8"), /service_level \(SL2: answered <= T \/ answered; T = 20 s\)/);
  });

  it("keeps the reports page from agents", async () => {
    await signIn("lina@demo.kefu.dev");
    await expectText(nav(), "Customers");
    assert.equal(await nav().getByRole("link", { name: "Reports" }).count(), 0);
    await page.goto("/#/reports");
    await expectText(page.getByRole("alert"), "This page is not available to your role.");
  });
});
