// Help articles from editor to visitor against the real server: the demo admin writes an
// article in the Articles tab (Markdown with a preview) and publishes it; a visitor without an
// account finds it on /help/demo with a Chinese query, sees the match marked, and opens it,
// rendered from Markdown with no markup of the author's taken as HTML; a draft is never found.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;
const TITLE = "礼品包装服务说明";
const BODY = "下单时勾选 **礼品包装**，每件收取 10 元。\n\n- 支持贺卡留言\n- 详见 [包装说明](https://example.com/gift)\n\n<img src=x onerror=alert(1)>";
const DRAFT = "会员日隐藏福利";

let server;
let context;

describe("help center: write, publish, find", { timeout: 90_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
  });

  it("an editor publishes an article and a visitor finds it by a Chinese query", async () => {
    context = await server.browser.newContext({ locale: "en-US", baseURL: server.url, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("dialog", (dialog) => assert.fail(`unexpected dialog: ${dialog.message()}`));
    await page.goto("/");
    await page.getByLabel("Email", { exact: true }).fill("admin@demo.kefu.dev");
    await page.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Knowledge" }).click();
    await page.getByRole("tab", { name: "Articles" }).click();
    const list = page.getByRole("table", { name: "Articles" });
    await expectText(list, "如何申请退货退款");

    // A new article, previewed, created as a draft, then published.
    await page.getByRole("button", { name: "New article" }).click();
    const editor = page.getByRole("form", { name: "Article editor" });
    await editor.getByLabel("Title").fill(TITLE);
    await editor.getByLabel("Body").fill(BODY);
    await editor.getByLabel("Language").selectOption("zh-CN");
    await editor.getByRole("button", { name: "Preview" }).click();
    await expectText(editor.locator(".article-preview strong"), "礼品包装");
    await editor.getByRole("button", { name: "Write" }).click();
    await editor.getByRole("button", { name: "Create" }).click();
    await expectText(editor, "Saved.");
    await editor.getByRole("button", { name: "Publish" }).click();
    await expectText(editor.getByRole("heading"), "Published");
    await editor.getByRole("button", { name: "Close" }).click();

    // A second article stays a draft.
    await page.getByRole("button", { name: "New article" }).click();
    await editor.getByLabel("Title").fill(DRAFT);
    await editor.getByLabel("Body").fill("仅内部可见：会员日赠送礼品包装。");
    await editor.getByRole("button", { name: "Create" }).click();
    await expectText(editor, "Saved.");
    await editor.getByRole("button", { name: "Close" }).click();

    // Agents' search-as-you-type finds both (the admin is an editor: drafts too), marked.
    await page.getByLabel("Search the knowledge base").fill("礼品包装");
    const results = page.getByRole("list", { name: "Search results" });
    await expectText(results, TITLE);
    await expectText(results, DRAFT);
    await expectText(results.locator("mark").first(), "礼品");
    await page.screenshot({ path: join(ARTIFACTS, "articles-editor.png"), fullPage: true });

    // A visitor, signed in nowhere, on the tenant's help center.
    const visitor = await server.browser.newContext({ locale: "zh-CN", baseURL: server.url });
    const help = await visitor.newPage();
    help.setDefaultTimeout(WAIT_MS);
    help.on("dialog", (dialog) => assert.fail(`unexpected dialog: ${dialog.message()}`));
    await help.goto("/help/demo");
    await expectText(help.getByRole("heading", { level: 1 }), "帮助中心");
    await help.getByRole("searchbox", { name: "搜索" }).fill("怎么包装礼品");
    await help.getByRole("button", { name: "搜索" }).click();
    const hits = help.getByRole("list", { name: "搜索结果" });
    await expectText(hits, TITLE);
    await expectText(hits.locator("mark").first(), /礼品|包装/);
    assert.equal(await hits.getByText(DRAFT).count(), 0, "drafts never reach the help center");
    await help.screenshot({ path: join(ARTIFACTS, "help-search.png"), fullPage: true });

    // The article page: Markdown rendered as elements, the author's HTML shown as text.
    await hits.getByRole("link", { name: TITLE }).click();
    await expectText(help.getByRole("heading", { level: 1 }), TITLE);
    const body = help.locator(".help-body");
    await expectText(body.locator("strong"), "礼品包装");
    await expectText(body.locator("li").first(), "支持贺卡留言");
    assert.equal(await body.getByRole("link", { name: "包装说明" }).getAttribute("href"), "https://example.com/gift");
    await expectText(body, "<img src=x onerror=alert(1)>");
    assert.equal(await body.locator("img").count(), 0, "no HTML from the body");
    await help.screenshot({ path: join(ARTIFACTS, "help-article.png"), fullPage: true });

    // The draft, searched for by its own title, is not there.
    await help.goto(`/help/demo?q=${encodeURIComponent(DRAFT)}`);
    await expectText(help.locator("main section").first(), /没有找到|常见问题|文章/);
    assert.equal(await help.getByText(DRAFT).count(), 0);
    await visitor.close();
  });
});
