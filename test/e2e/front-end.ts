/**
 * The two Jupyter front ends the browser tests drive, JupyterLab 4 and
 * Notebook 7, seen from a headless Chromium: open a notebook and wait until
 * its kernel can take cells, run all cells from the Run menu, and keep
 * screenshots. Both front ends share JupyterLab's notebook and output widgets
 * (the same CSS classes); they differ in their URL and in how the page shows
 * that the kernel is ready, so readiness is read from the server instead.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { provisionBrowser, type Browser, type Page } from "./browser.js";
import type { JupyterEnv, JupyterServer } from "./jupyter.js";

export type FrontEnd = "jupyterlab" | "notebook7";

export const frontEndNames: Record<FrontEnd, string> = { jupyterlab: "JupyterLab", notebook7: "Notebook 7" };

/**
 * Headless Chromium, or a skip with the reason where it cannot be installed.
 * Under CI a missing browser fails the suite: there the browser tests are the
 * only check of what users see.
 */
export async function launchBrowser(context: Mocha.Context): Promise<Browser> {
  const provision = await provisionBrowser();
  if (!provision.ok) {
    if (process.env.CI) throw new Error(`CI needs the browser: ${provision.reason}`);
    console.log(`    skipped: ${provision.reason}`);
    context.skip();
  }
  return provision.chromium.launch({
    executablePath: provision.executablePath,
    // Root in CI: Chromium's sandbox needs user namespaces it does not get there.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    headless: true,
  });
}

/** JupyterLab's news and update pop-up would cover outputs in the screenshots: switch it off in the scratch user settings. */
export async function quietJupyterLab(jenv: JupyterEnv): Promise<void> {
  const dir = path.join(jenv.env.JUPYTER_CONFIG_DIR!, "lab/user-settings/@jupyterlab/apputils-extension");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
}

function notebookUrl(server: JupyterServer, file: string, frontEnd: FrontEnd): string {
  // `reset`: start from an empty workspace, not the tabs an earlier page left open.
  const route = frontEnd === "jupyterlab" ? `lab/tree/${file}?reset&` : `notebooks/${file}?`;
  return `${server.baseUrl}${route}token=${server.token}`;
}

interface KernelModel {
  execution_state: string;
  connections: number;
}

/** Until the server reports a kernel that is idle with a client connected: a cell run before that is dropped. */
async function waitForConnectedIdleKernel(server: JupyterServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    // A busy server may answer with an error body (or not at all) for a moment: that is "not yet", not a failure.
    const response = await fetch(new URL("api/kernels", server.baseUrl), { headers: { Authorization: `token ${server.token}` } }).catch((e: Error) => e);
    const kernels: unknown = response instanceof Error ? response.message : await response.json().catch(() => `HTTP ${response.status}`);
    if (Array.isArray(kernels) && (kernels as KernelModel[]).some((k) => k.execution_state === "idle" && k.connections > 0)) return;
    last = JSON.stringify(kernels).slice(0, 300);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no kernel was idle with a connected client within ${timeoutMs} ms (the server's last answer: ${last})`);
}

/** Opens a notebook of the server's root folder and waits until its kernel takes cells. */
export async function openNotebook(page: Page, server: JupyterServer, file: string, frontEnd: FrontEnd, kernelDisplayName: string): Promise<void> {
  await page.goto(notebookUrl(server, file, frontEnd), { timeout: 120_000 });
  await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ state: "visible", timeout: 120_000 });
  await page.locator(".jp-KernelName", { hasText: kernelDisplayName }).first().waitFor({ state: "visible", timeout: 120_000 });
  await waitForConnectedIdleKernel(server, 120_000);
  if (frontEnd === "jupyterlab") {
    const idle = new RegExp(`${kernelDisplayName.replace(/[()]/g, "\\$&")}.*\\| Idle`);
    await page.locator(".jp-StatusBar-TextItem", { hasText: idle }).first().waitFor({ state: "visible", timeout: 120_000 });
  }
}

/** Run > Run All Cells, then waits until the last of `codeCells` code cells has its prompt number: every cell ran. */
export async function runAllCells(page: Page, codeCells: number, timeoutMs = 5 * 60_000): Promise<void> {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).first().click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).first().click();
  const lastPrompt = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt", { hasText: `[${codeCells}]:` });
  await lastPrompt.first().waitFor({ state: "visible", timeout: timeoutMs });
}

/** Runs `steps`; on failure keeps a screenshot of the page and names it in the error. */
export async function withFailureScreenshot(page: Page, dir: string, name: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const shot = path.join(dir, `${name}-failure.png`);
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(page at failure: ${shot})`);
  }
}

/** Keeps a screenshot of the page and checks that it is a PNG. */
export async function keepScreenshot(page: Page, dir: string, name: string, fullPage = false): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shot = path.join(dir, `${name}.png`);
  await page.screenshot({ path: shot, fullPage });
  const header = (await readFile(shot)).subarray(0, 8);
  assert.deepEqual([...header], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "the screenshot is a PNG");
  console.log(`    screenshot: ${path.relative(process.cwd(), shot)}`);
}
