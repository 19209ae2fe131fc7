// Starts the real kefu binary for the tests (demo tenant, fresh SQLite in a temp dir, port 0)
// and launches Debian's chromium through playwright-core; both are always torn down. Also the
// tests' shared wait for a text.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const HERE = dirname(fileURLToPath(import.meta.url));
const START_TIMEOUT_MS = 30_000;
const WAIT_MS = 10_000;

function kefuBinary() {
  const bin = resolve(HERE, process.env.KEFU_BIN || "../target/debug/kefu");
  if (!existsSync(bin)) {
    throw new Error(
      `kefu binary not found at ${bin}: run \`cargo build -p kefu\` in the repository first, ` +
        "or point KEFU_BIN at a built binary",
    );
  }
  return bin;
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium not found: `apt-get install -y chromium`, or set CHROMIUM to its path");
  }
}

/** Resolves with what `matcher` finds in the output, or rejects on exit or after `ms`. */
function waitForOutput(child, matcher, ms) {
  return new Promise((resolvePromise, reject) => {
    let seen = "";
    const timer = setTimeout(() => done(new Error(`kefu did not start within ${ms} ms:\n${seen}`)), ms);
    const onData = (chunk) => {
      seen += chunk;
      const found = matcher(seen);
      if (found) done(null, found);
    };
    const onExit = (code) => done(new Error(`kefu exited with ${code} before listening:\n${seen}`));
    function done(err, value) {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stderr.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolvePromise(value);
    }
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", onExit);
  });
}

async function waitReady(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // Not accepting yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/readyz did not answer 200 within ${ms} ms`);
}

/**
 * Starts kefu and chromium; `stop()` ends both and removes the data directory. `env` adds
 * settings for this server only (e.g. KEFU_OFFER_TIMEOUT_SECS for a short offer timeout).
 */
export async function start({ env: extra = {} } = {}) {
  const bin = kefuBinary();
  const executablePath = chromiumPath();
  const dataDir = mkdtempSync(join(tmpdir(), "kefu-e2e-"));
  // The developer's KEFU_* settings (a PostgreSQL URL, a config file) must not leak in.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEFU_"))),
    ...extra,
  };
  const child = spawn(bin, ["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir], {
    cwd: dataDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  let browser = null;
  const stop = async () => {
    await browser?.close().catch(() => {});
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.off("exit", killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const url = await waitForOutput(
      child,
      (out) => out.match(/listening on (http:\/\/\S+)\s/)?.[1],
      START_TIMEOUT_MS,
    );
    // Keep draining the pipes so a chatty server never blocks on a full buffer.
    child.stdout.resume();
    child.stderr.resume();
    await waitReady(url, 10_000);
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      timeout: 20_000,
    });
    return { url, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls the locator's text until it matches, so a failure says what was there instead. */
export async function expectText(locator, pattern, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let text = "";
  while (Date.now() < deadline) {
    text = (await locator.first().innerText({ timeout: ms }).catch(() => "")) || "";
    if (pattern instanceof RegExp ? pattern.test(text) : text.includes(pattern)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`expected ${pattern} in ${JSON.stringify(text)}`);
}

/** Polls a field's value until it equals `expected`: the page fills it after a render and an
 *  effect, which a loaded machine may run after the click that asked for it has returned. */
export async function expectValue(locator, expected, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let value = "";
  while (Date.now() < deadline) {
    value = await locator.inputValue({ timeout: ms }).catch(() => "");
    if (value === expected) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(value, expected);
}
