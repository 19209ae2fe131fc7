// Settings → Support mailboxes in a real browser against the real server: an admin sets up IMAP
// for the demo's support mailbox (refused first without a password, then saved), sees it as
// "Password: set" and never the password itself, changes the folder without retyping the
// password, gets a bad host refused under its field, reads the same in Chinese, and stops IMAP.
// Screenshots go to e2e/artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const PASSWORD = "kefu-demo-2026";
const IMAP_PASSWORD = "imap-secret-e2e-42";
const ADDRESS = "support@demo.kefu.dev";
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
  await page.locator("input[name=email]").fill(email);
  await page.locator("input[type=password]").fill(PASSWORD);
  await page.locator("button[type=submit]").click();
  await page.getByRole("navigation").waitFor();
}

/** The demo mailbox as the API shows it to the admin. */
async function demoMailbox() {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.kefu.dev", password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { token } = await login.json();
  const res = await fetch(`${server.url}/api/v1/mailboxes`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  assert.ok(!text.includes(IMAP_PASSWORD), "the API never answers with the IMAP password");
  return JSON.parse(text).items.find((m) => m.address === ADDRESS);
}

describe("support mailboxes", { timeout: 90_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
  });

  it("an admin sets, edits and stops a mailbox's IMAP settings; the password is write-only", async () => {
    const page = await newPage("en-US");
    await signIn(page, "admin@demo.kefu.dev");
    await page.goto("/#/settings");
    const mailboxes = page.getByRole("region", { name: "Support mailboxes" });
    const row = mailboxes.getByRole("row").filter({ hasText: ADDRESS });
    await row.getByRole("button", { name: `Set up IMAP ${ADDRESS}` }).click();

    // Without a password the server refuses it, under the password field.
    const editor = mailboxes.getByRole("form", { name: `IMAP for ${ADDRESS}` });
    await editor.getByLabel("IMAP server").fill("127.0.0.1");
    await editor.getByLabel("Security").selectOption("none");
    await editor.getByLabel("Port").fill("1");
    await editor.getByLabel("IMAP user name").fill("kefu");
    await editor.getByRole("button", { name: "Save IMAP settings" }).click();
    await expectText(editor.locator(".field.invalid"), "IMAP password");
    assert.equal((await demoMailbox()).imap, null, "nothing was stored");

    await editor.getByLabel("IMAP password").fill(IMAP_PASSWORD);
    await editor.getByRole("button", { name: "Save IMAP settings" }).click();
    await expectText(row, /kefu@127\.0\.0\.1:1 \(none\) \/ INBOX[\s\S]*Password: set/);
    assert.equal(await editor.count(), 0, "the editor closes once saved");
    let stored = await demoMailbox();
    assert.equal(stored.imap.password_set, true);
    assert.equal(stored.imap.security, "none");

    // Editing again shows only that a password is set; leaving it empty keeps it.
    await row.getByRole("button", { name: `Edit IMAP ${ADDRESS}` }).click();
    assert.equal(await editor.getByLabel("IMAP password").inputValue(), "");
    await expectText(editor, "Password: set · leave empty to keep it");
    assert.equal(await editor.getByLabel("IMAP server").inputValue(), "127.0.0.1");
    await editor.getByLabel("Folder").fill("Support");
    await editor.getByRole("button", { name: "Save IMAP settings" }).click();
    await expectText(row, "kefu@127.0.0.1:1 (none) / Support");
    stored = await demoMailbox();
    assert.equal(stored.imap.folder, "Support");
    assert.equal(stored.imap.password_set, true, "the stored password was kept");

    // A bad host is refused with the field named.
    await row.getByRole("button", { name: `Edit IMAP ${ADDRESS}` }).click();
    await editor.getByLabel("IMAP server").fill("not a host!");
    await editor.getByRole("button", { name: "Save IMAP settings" }).click();
    await expectText(editor.locator(".field.invalid"), "IMAP server");
    assert.equal((await demoMailbox()).imap.host, "127.0.0.1");
    await page.screenshot({ path: join(ARTIFACTS, "settings-mailbox-imap.png"), fullPage: true });
    await editor.getByRole("button", { name: "Cancel" }).click();

    // The same in Chinese.
    const zh = await newPage("zh-CN");
    await signIn(zh, "admin@demo.kefu.dev");
    await zh.goto("/#/settings");
    const zhRow = zh.getByRole("region", { name: "客服邮箱" }).getByRole("row").filter({ hasText: ADDRESS });
    await expectText(zhRow, "密码：已设置");
    await zhRow.getByRole("button", { name: `编辑 IMAP ${ADDRESS}` }).click();
    await expectText(zh.getByRole("form", { name: `${ADDRESS} 的 IMAP 收取` }), "留空则保持不变");

    // Stopping IMAP forgets the settings.
    await row.getByRole("button", { name: "Stop IMAP" }).click();
    await row.getByRole("button", { name: "Yes, Stop IMAP" }).click();
    await row.getByRole("button", { name: `Set up IMAP ${ADDRESS}` }).waitFor();
    assert.equal((await demoMailbox()).imap, null);
  });
});
