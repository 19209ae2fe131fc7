// Static checks of web/ that need neither server nor browser: every module links (named
// imports exist) and every literal t("key") is in the i18n table, in both languages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "web");

function modules(dir = WEB) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "vendor" ? [] : modules(path);
    return e.name.endsWith(".js") ? [path] : [];
  });
}

// Just enough of a browser for the modules to load; the entry modules that render at once
// (main.js, the agents' app, status.js, the customer's status page, and help.js, the public
// help center) are left out.
const ENTRIES = ["main.js", "status.js", "help.js"];
globalThis.document = { documentElement: {} };
Object.defineProperty(globalThis, "navigator", { value: { languages: ["en"] }, configurable: true });
globalThis.localStorage = { getItem: () => null, setItem() {} };

test("every web module links", async () => {
  for (const path of modules().filter((p) => !ENTRIES.some((entry) => p.endsWith(`/${entry}`)))) {
    await import(pathToFileURL(path).href);
  }
});

test("every literal i18n key exists in English and Chinese", async () => {
  const { t, has, setLang, TABLE } = await import(pathToFileURL(join(WEB, "i18n.js")).href);
  const halfDone = Object.entries(TABLE).filter(
    ([, v]) => !Array.isArray(v) || v.length !== 2 || !v.every((s) => typeof s === "string" && s),
  );
  assert.deepEqual(halfDone, [], "each entry is [English, 中文]");
  const missing = [];
  for (const path of modules()) {
    for (const [, key] of readFileSync(path, "utf8").matchAll(/\bt\("([^"]+)"/g)) {
      if (!has(key)) missing.push(`${relative(WEB, path)}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
  setLang("zh-CN");
  assert.equal(t("nav.customers"), "客户");
  setLang("en");
  assert.equal(t("nav.customers"), "Customers");
});

// The widget runs on other sites, so it carries its own small table (web/i18n.js would set the
// host page's lang and storage); the same rules hold for it: both languages, every key used.
test("every widget string exists in English and Chinese", () => {
  const source = readFileSync(join(WEB, "widget.js"), "utf8");
  const block = source.match(/\/\/ strings:begin\n([\s\S]*?)\/\/ strings:end/)?.[1];
  assert.ok(block, "widget.js marks its table with // strings:begin … // strings:end");
  const strings = new Function(`${block}; return STRINGS;`)();
  const halfDone = Object.entries(strings).filter(
    ([, v]) => !Array.isArray(v) || v.length !== 2 || !v.every((s) => typeof s === "string" && s),
  );
  assert.deepEqual(halfDone, [], "each entry is [English, 中文]");
  const missing = [...source.matchAll(/\bsay\("([^"]+)"/g)].map((m) => m[1]).filter((k) => !Object.hasOwn(strings, k));
  assert.deepEqual(missing, []);
});
