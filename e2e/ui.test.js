// The admin screens in a real browser against the real server: sign-in in both languages,
// errors, users, customers with identities and merge, roles, text-only rendering, sign-out,
// and the workforce page's staffing, blocking and schedule answers.
import { describe, it, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { start, expectText } from "./server.js";

const PASSWORD = "kefu-demo-2026";
const ADMIN = "admin@demo.kefu.dev";
const SUPERVISOR = "supervisor@demo.kefu.dev";
const WAIT_MS = 10_000;
// Unique per run, so names never collide with the demo data or each other.
const RUN = Date.now().toString(36);

let server;
let context;
let page;
let dialogs;

async function openPage(locale) {
  context = await server.browser.newContext({ locale, baseURL: server.url });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.goto("/");
}

async function signIn(email, { password = PASSWORD, labels = ["Email", "Password", "Sign in"] } = {}) {
  const [emailLabel, passwordLabel, submit] = labels;
  await page.getByLabel(emailLabel, { exact: true }).fill(email);
  await page.getByLabel(passwordLabel, { exact: true }).fill(password);
  await page.getByRole("button", { name: submit }).click();
}

const nav = () => page.getByRole("navigation");

describe("kefu web UI", { timeout: 120_000 }, () => {
  before(async () => {
    server = await start();
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => openPage("en-US"));
  afterEach(async () => {
    await context?.close();
  });

  it("signs the admin in, in English", async () => {
    await expectText(page.getByRole("heading", { level: 1 }), "Sign in to kefu");
    await signIn(ADMIN);
    await expectText(page.locator("header"), "Demo Shop / 演示商城");
    await expectText(nav(), /Customers[\s\S]*Users & agents[\s\S]*Audit log/);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  });

  it("signs the admin in, in Chinese, and the switcher changes and remembers the language", async () => {
    await context.close();
    await openPage("zh-CN");
    await expectText(page.getByRole("heading", { level: 1 }), "登录客服系统");
    await signIn(ADMIN, { labels: ["邮箱", "密码", "登录"] });
    await expectText(nav(), /客户[\s\S]*用户与坐席[\s\S]*审计日志/);
    await page.getByRole("button", { name: "退出登录" }).waitFor();

    await page.getByRole("banner").getByLabel("语言").selectOption("en");
    await expectText(nav(), /Customers[\s\S]*Audit log/);
    await page.reload();
    await expectText(nav(), /Customers[\s\S]*Audit log/);
  });

  it("says so when the password is wrong", async () => {
    await signIn("emma@demo.kefu.dev", { password: "not-the-password" });
    await expectText(page.getByRole("alert"), "Wrong email or password.");
    assert.equal(await nav().count(), 0, "still on the sign-in page");
  });

  it("creates an agent with a skill and a capacity and lists it", async () => {
    const name = `E2E Agent ${RUN}`;
    await signIn(ADMIN);
    await nav().getByRole("link", { name: "Users & agents" }).click();
    await page.getByRole("link", { name: "New user" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.locator("input[name=email]").fill(`agent-${RUN}@e2e.kefu.dev`);
    await page.getByLabel("Role").selectOption("agent");
    await page.getByLabel("Password").fill("e2e-password-1");
    await page.getByRole("button", { name: "Add a skill" }).click();
    await page.getByLabel("Skill, e.g. billing").fill("Billing");
    await page.getByLabel("Proficiency").selectOption("4");
    await page.locator("input[name=capacity-chat]").fill("3");
    await page.getByLabel("售后 After-sales").check();
    await page.getByRole("button", { name: "Create" }).click();

    await page.waitForURL(/#\/users$/);
    await page.getByPlaceholder("Name or email").fill(name);
    const row = page.getByRole("row").filter({ hasText: name });
    await expectText(row, /billing 4/);
    await expectText(row, /Chat 3/);
    await expectText(row, /售后 After-sales/);
  });

  it("finds an identity conflict and merges one customer into another", async () => {
    const first = `E2E Alice ${RUN}`;
    const second = `E2E Alicia ${RUN}`;
    const phone = `+86 139 ${String(Date.now()).slice(-8)}`;
    await signIn(ADMIN);

    const createCustomer = async (name, kind, value) => {
      await nav().getByRole("link", { name: "Customers" }).click();
      await page.getByRole("button", { name: "New customer" }).click();
      const form = page.getByRole("form", { name: "New customer" });
      await form.getByLabel("Name", { exact: true }).fill(name);
      await form.getByLabel("Kind").selectOption(kind);
      await form.getByLabel("Value").fill(value);
      await form.getByRole("button", { name: "Create" }).click();
      await expectText(page.getByRole("heading", { level: 1 }), name);
      return page.url();
    };
    const firstUrl = await createCustomer(first, "phone", phone);
    await createCustomer(second, "email", `alicia-${RUN}@e2e.kefu.dev`);

    const identities = page.getByRole("region", { name: "Identities" });
    await identities.getByLabel("Kind").selectOption("phone");
    await identities.getByLabel("Value").fill(phone);
    await identities.getByRole("button", { name: "Add identity" }).click();
    const conflict = identities.getByRole("alert");
    await expectText(conflict, "already belongs to another customer");
    await expectText(conflict, first);

    await page.goto(firstUrl);
    const merge = page.getByRole("region", { name: "Merge another customer into this one" });
    await merge.getByLabel("Find the customer to merge in").fill(second);
    await merge.getByRole("button", { name: "Merge into this customer" }).click();
    await merge.getByRole("button", { name: "Yes, Merge into this customer" }).click();
    await expectText(merge.getByRole("status"), `${second} was merged into this customer.`);
    await expectText(page.getByRole("region", { name: "Identities" }).locator("ul"),
      /Phone: \+86139\d{8}[\s\S]*Email: alicia-/);
  });

  it("shows an agent only the screens an agent can use", async () => {
    await signIn("lina@demo.kefu.dev");
    await expectText(nav(), "Customers");
    const links = await nav().getByRole("link").allInnerTexts();
    // Agents read the knowledge base (kb:read) that backs their suggestions; they do not edit it,
    // and see their own scorecard.
    assert.deepEqual(links, ["Conversations", "Tickets", "Canned responses", "Knowledge", "Customers", "My scorecard"]);
    await page.goto("/#/audit");
    await expectText(page.getByRole("alert"), "This page is not available to your role.");
  });

  it("keeps the workforce page from agents", async () => {
    await signIn("lina@demo.kefu.dev");
    await expectText(nav(), "Customers");
    assert.equal(await nav().getByRole("link", { name: "Workforce" }).count(), 0);
    await page.goto("/#/wfm");
    await expectText(page.getByRole("alert"), "This page is not available to your role.");
    assert.equal(await page.getByRole("button", { name: "Calculate" }).count(), 0);
  });

  it("staffs the worked example by Erlang C and A and puts a bad volume next to its field", async () => {
    await signIn(SUPERVISOR);
    await nav().getByRole("link", { name: "Workforce" }).click();
    const staffing = page.getByRole("form", { name: "Staffing calculator" });
    const result = staffing.getByRole("status", { name: "Result" });
    await staffing.getByRole("button", { name: "Calculate" }).click();
    await expectText(result, /^Agents needed\s+14\s+Agents to schedule\s+20\s+Service level\s+88\.8 %\s/);
    await expectText(result, /Average speed of answer\s+7\.8 s\s+Occupancy\s+71\.4 %\s+/);
    await expectText(result, /Probability of waiting\s+17\.4 %/);
    assert.doesNotMatch(await result.innerText(), /abandon/i, "Erlang C has no abandonment");

    await staffing.getByLabel("Model").selectOption("erlang-a");
    await staffing.getByLabel("Mean patience (s)").fill("120");
    await staffing.getByRole("button", { name: "Calculate" }).click();
    await expectText(result, /Agents needed\s+12\s[\s\S]*Probability of abandoning\s+6\.2 %/);

    await staffing.getByLabel("Calls per interval").fill("-5");
    await staffing.getByRole("button", { name: "Calculate" }).click();
    const calls = staffing.locator(".field").filter({ has: page.locator("input[name=calls]") });
    await expectText(calls.locator(".field-error"), "Must be a positive number of contacts.");
    await expectText(staffing.getByRole("alert"), /calls must be a positive/);
    assert.equal(await result.count(), 0, "no stale answer beside the error");
  });

  it("gives the Erlang B blocking", async () => {
    await signIn(SUPERVISOR);
    await page.goto("/#/wfm");
    const erlangB = page.getByRole("form", { name: "Erlang B (blocking)" });
    await erlangB.getByLabel("Traffic (Erlangs)").fill("10");
    await erlangB.getByLabel("Lines").fill("15");
    await erlangB.getByRole("button", { name: "Calculate" }).click();
    await expectText(erlangB.getByRole("status", { name: "Result" }), /Blocking\s+3\.6 %/);
  });

  it("forecasts from the tenant's own history and scores the forecast on a held-back week", async () => {
    await signIn(SUPERVISOR);
    await page.goto("/#/wfm");
    const form = page.getByRole("form", { name: "Forecast" });
    await form.getByLabel("Weeks of history").fill("4");
    await form.getByRole("button", { name: "Forecast" }).click();
    const result = form.getByRole("status", { name: "Result" });
    // The demo's log holds today's contacts only; whole past days are what a forecast reads.
    await expectText(result, /History\s+28 days, \d+ contacts/);
    await expectText(result, /Forecast wMAPE\s+[\d.]+ %[\s\S]*Last-week wMAPE\s+[\d.]+ %/);
    const days = form.getByRole("table", { name: "Forecast by day" });
    assert.equal(await days.locator("tbody tr").count(), 7, "one row per forecast day");
  });

  it("solves the example schedule, marks short periods and says when none is possible", async () => {
    await signIn(SUPERVISOR);
    await page.goto("/#/wfm");
    const form = page.getByRole("form", { name: "Shift schedule" });
    const result = form.getByRole("status", { name: "Result" });
    const question = form.getByLabel("Question (JSON)");
    await form.getByRole("button", { name: "Solve" }).click();
    await expectText(result, /Optimal schedule found · total cost 91 · off the requirement by 21/);
    await expectText(result.getByRole("row", { name: /^Day 1\b/ }).first(), /Day 1\s+5\s+3\s+3/);
    assert.equal(await result.locator("td.short").count(), 0, "min-cost covers every period");

    await form.getByLabel("Objective").selectOption("min-abs-difference");
    await form.getByRole("button", { name: "Solve" }).click();
    await expectText(result, /total cost 66 · off the requirement by 11/);
    // 08, 09, 14, 15, 18 and 19 o'clock get one or two agents fewer than they need.
    assert.equal(await result.locator("td.short").count(), 6);

    await form.getByLabel("Objective").selectOption("min-cost");
    const example = JSON.parse(await question.inputValue());
    await question.fill(JSON.stringify({ ...example, max_period_concurrency: 2 }));
    await form.getByRole("button", { name: "Solve" }).click();
    await expectText(form.getByRole("status"), "No schedule meets these constraints.");
    assert.equal(await form.getByRole("alert").count(), 0, "infeasible is an answer, not an error");

    await question.fill("{ \"days\": 1,");
    await form.getByRole("button", { name: "Solve" }).click();
    await expectText(form.locator(".field-error"), "This is not valid JSON");
  });

  it("renders a customer's name as text, never as HTML", async () => {
    const name = "<img src=x onerror=alert(1)>";
    await signIn(ADMIN);
    await page.getByRole("button", { name: "New customer" }).click();
    const form = page.getByRole("form", { name: "New customer" });
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByRole("button", { name: "Create" }).click();
    await expectText(page.getByRole("heading", { level: 1 }), name);
    await nav().getByRole("link", { name: "Customers" }).click();
    await page.getByPlaceholder("Name, company, phone, email…").fill("onerror");
    await expectText(page.getByRole("table"), name);
    // Give a broken image time to fire its onerror, had one been created.
    await page.waitForTimeout(300);
    assert.equal(await page.locator("main img").count(), 0, "no <img> element was created");
    assert.deepEqual(dialogs, [], "no dialog opened");
  });

  it("signs out back to the sign-in page", async () => {
    await signIn(ADMIN);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expectText(page.getByRole("heading", { level: 1 }), "Sign in to kefu");
    await page.reload();
    await expectText(page.getByRole("heading", { level: 1 }), "Sign in to kefu");
    assert.equal(await nav().count(), 0);
  });
});
