// The knowledge base screen against the real server: the demo admin (in English) creates an FAQ
// in the editor, finds it with "Try the bot" (a question worded differently), and imports a CSV
// with a bad line: the line's error is shown and nothing is imported. Screenshots in artifacts/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { start, expectText } from "./server.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT_MS = 10_000;
const QUESTION = "Do you offer gift wrapping?";

let server;
let context;

describe("knowledge base: edit, try the bot, import", { timeout: 60_000 }, () => {
  before(async () => {
    server = await start();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
  });

  it("creates an FAQ, the bot finds it, and a bad import line is reported", async () => {
    context = await server.browser.newContext({ locale: "en-US", baseURL: server.url, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto("/");
    await page.getByLabel("Email", { exact: true }).fill("admin@demo.kefu.dev");
    await page.getByLabel("Password", { exact: true }).fill("kefu-demo-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Knowledge" }).click();

    // The demo's FAQs are listed.
    const faqs = page.locator(".card").filter({ has: page.getByRole("heading", { name: "FAQs" }) });
    await expectText(faqs, "我的快递到哪了");

    // A new FAQ from the editor.
    await page.getByRole("button", { name: "New FAQ" }).click();
    const editor = page.getByRole("form", { name: "FAQ editor" });
    await editor.getByLabel("Standard question").fill(QUESTION);
    await editor.getByLabel("Similar questions").fill("Can you wrap my order as a present?\ngift wrap");
    await editor.getByLabel("Answer", { exact: true }).fill("Yes: choose **gift wrapping** at checkout (¥10).");
    await editor.getByRole("button", { name: "Create" }).click();
    await editor.waitFor({ state: "detached" });
    await page.getByLabel("Question, similar question or answer").fill("gift");
    await expectText(faqs.getByRole("table"), QUESTION);

    // Try the bot with other words: the new FAQ is the answer.
    const tryBot = page.getByRole("form", { name: "Try the bot" });
    await tryBot.getByLabel("Question to the bot").fill("could you gift wrap a present for me");
    await tryBot.getByRole("button", { name: "Ask" }).click();
    const reply = tryBot.getByRole("status", { name: "The bot's reply" });
    await expectText(reply.getByRole("table"), QUESTION);
    await expectText(reply, "gift wrapping");
    await page.screenshot({ path: join(ARTIFACTS, "knowledge-try.png"), fullPage: true });

    // A CSV with an empty question on line 3: the line is named and nothing is imported.
    const csv = "question,answer,similar_questions\nWhat is a good import?,This one,valid row\n,no question here,\n";
    await page.getByLabel("FAQ file").setInputFiles({ name: "faqs.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("form", { name: "Import" }).getByRole("button", { name: "Import" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "Nothing was imported" });
    await expectText(alert, "Line 3 · question:");
    await page.screenshot({ path: join(ARTIFACTS, "knowledge-import.png"), fullPage: true });
    await page.getByLabel("Question, similar question or answer").fill("good import");
    await expectText(faqs, "Nothing here yet.");
  });
});
