/**
 * Headless Chromium for the JupyterLab test, provisioned by the test itself:
 * Debian's `chromium` package (installed with apt-get when missing and the
 * tests run as root) driven by `playwright-core` from npm, installed into a
 * cache folder outside the repo so that it is no dependency of the package.
 * Either may be impossible (no root, no network): then `provisionBrowser`
 * says why instead of throwing, and the test skips with that reason.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

const playwrightVersion = "1.65.1";
const playwrightCache = path.join(os.tmpdir(), `tsnnx-e2e-playwright-${playwrightVersion}`);

/** The slice of playwright-core's API the test uses. */
export interface BrowserLauncher {
  launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser>;
}
export interface Browser {
  /** `javaScriptEnabled: false` is a viewer that runs no script (GitHub, an exported page opened in a strict reader). */
  newPage(options?: { viewport: { width: number; height: number }; javaScriptEnabled?: boolean }): Promise<Page>;
  close(): Promise<void>;
}
export interface Locator {
  first(): Locator;
  last(): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  count(): Promise<number>;
  click(): Promise<void>;
  waitFor(options: { state?: "visible" | "attached"; timeout: number }): Promise<void>;
  textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>;
  isVisible(): Promise<boolean>;
  scrollIntoViewIfNeeded(): Promise<void>;
  screenshot(options: { path: string }): Promise<Buffer>;
}
export interface ConsoleMessage {
  type(): string;
  text(): string;
}
export interface Page {
  goto(url: string, options?: { timeout: number }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  keyboard: { press(key: string): Promise<void> };
  mouse: { move(x: number, y: number): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(event: "console", listener: (message: ConsoleMessage) => void): void;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  close(): Promise<void>;
}

export type BrowserProvision = { ok: true; chromium: BrowserLauncher; executablePath: string } | { ok: false; reason: string };

async function findChromium(): Promise<string | undefined> {
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function installChromium(): Promise<string> {
  if (process.getuid?.() !== 0) throw new Error("chromium is not installed and the tests do not run as root, so apt-get cannot install it");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { env, timeout: 15 * 60_000, maxBuffer: 64 << 20 });
  } catch {
    // The package lists may be missing or stale: refresh them once.
    await run("apt-get", ["update"], { env, timeout: 5 * 60_000, maxBuffer: 64 << 20 });
    await run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { env, timeout: 15 * 60_000, maxBuffer: 64 << 20 });
  }
  const installed = await findChromium();
  if (!installed) throw new Error("apt-get install chromium succeeded but no chromium executable was found");
  return installed;
}

async function loadPlaywright(): Promise<BrowserLauncher> {
  const entry = path.join(playwrightCache, "node_modules/playwright-core/index.mjs");
  if (!existsSync(entry)) {
    await mkdir(playwrightCache, { recursive: true });
    await run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", playwrightCache, `playwright-core@${playwrightVersion}`], {
      timeout: 10 * 60_000,
      maxBuffer: 64 << 20,
    });
  }
  const module = (await import(pathToFileURL(entry).href)) as { chromium: BrowserLauncher };
  return module.chromium;
}

export async function provisionBrowser(): Promise<BrowserProvision> {
  try {
    const executablePath = (await findChromium()) ?? (await installChromium());
    const chromium = await loadPlaywright();
    return { ok: true, chromium, executablePath };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split("\n")[0] };
  }
}
