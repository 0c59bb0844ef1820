/**
 * JupyterLab itself, in headless Chromium: open a notebook, run its cell with
 * Shift+Enter and check what the page renders (HTML from display_data, the
 * execute_result with its prompt number), then keep a screenshot. ipykernel
 * runs first as the reference for the page flow; tsnnx must render the same.
 * Skips with the reason when Chromium or playwright-core cannot be installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { provisionBrowser, type Browser, type BrowserProvision, type Page } from "./browser.js";
import { createJupyterEnv, removeJupyterEnv, repoRoot, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

/** Screenshots outlive the scratch folder so that a person (or CI artifact upload) can look at them. */
export const screenshotDir = path.join(os.tmpdir(), "tsnnx-e2e-screenshots");

interface BrowserCase {
  kernelName: string;
  language: string;
  displayName: string;
  /** Displays the HTML `<b>e2e html</b>`, then evaluates 6 * 7 as the cell's result. */
  cell: string;
  prepare?: (jenv: JupyterEnv) => Promise<void>;
  /** Notebooks (tutorials and docs ports) to run entirely in the page, from a copy without their saved outputs. */
  notebooks?: string[];
}

/** JupyterLab's news and update pop-up would cover outputs in the screenshots: switch it off in the scratch user settings. */
async function quietJupyterLab(jenv: JupyterEnv): Promise<void> {
  const dir = path.join(jenv.env.JUPYTER_CONFIG_DIR!, "lab/user-settings/@jupyterlab/apputils-extension");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
}

const cases: BrowserCase[] = [
  {
    kernelName: "python3",
    language: "python",
    displayName: "Python 3",
    cell: 'from IPython.display import HTML, display\ndisplay(HTML("<b>e2e html</b>"))\n6 * 7',
  },
  {
    kernelName: tsnnxKernelName,
    language: "typescript",
    displayName: "TypeScript (tsnnx)",
    cell: 'display.html("<b>e2e html</b>");\n6 * 7',
    prepare: installTsnnxKernel,
    notebooks: [
      ...["01-quickstart", "02-checkpointing", "03-training-with-a-manager", "04-orbax-interop"].map((n) => `notebooks/${n}.ipynb`),
      ...["flax-nnx-basics", "flax-checkpointing", "orbax-checkpoint-manager"].map((n) => `test/notebooks/${n}.ipynb`),
    ],
  },
];

function notebookWith(testCase: BrowserCase): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: testCase.kernelName, display_name: testCase.displayName, language: testCase.language },
      language_info: { name: testCase.language },
    },
    cells: [{ cell_type: "code", id: "browser-check", metadata: {}, execution_count: null, outputs: [], source: testCase.cell }],
  });
}


/** Opens a notebook of the server's root folder and waits until its kernel is idle. */
async function openNotebook(page: Page, server: JupyterServer, file: string, kernelDisplayName: string): Promise<void> {
  // `reset`: start from an empty workspace, not the tabs an earlier page left open.
  await page.goto(`${server.baseUrl}lab/tree/${file}?reset&token=${server.token}`, { timeout: 120_000 });
  await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ state: "visible", timeout: 120_000 });
  // A cell run before the kernel connection is up is silently dropped: wait until the status bar says Idle.
  const idle = new RegExp(`${kernelDisplayName.replace(/[()]/g, "\\$&")}.*\\| Idle`);
  await page.locator(".jp-StatusBar-TextItem", { hasText: idle }).first().waitFor({ state: "visible", timeout: 120_000 });
}

/** Runs `steps`; on failure keeps a screenshot of the page and names it in the error. */
async function withFailureScreenshot(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const shot = path.join(screenshotDir, `${name}-failure.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(page at failure: ${shot})`);
  }
}

/** Keeps a screenshot of the page and checks that it is a PNG. */
async function keepScreenshot(page: Page, name: string): Promise<void> {
  const shot = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: shot });
  const header = (await readFile(shot)).subarray(0, 8);
  assert.deepEqual([...header], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "the screenshot is a PNG");
  console.log(`    screenshot: ${shot}`);
}

describe("JupyterLab in headless Chromium", function () {
  this.timeout(10 * 60_000);
  let provision: BrowserProvision;
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(30 * 60_000);
    provision = await provisionBrowser();
    if (!provision.ok) {
      console.log(`    skipped: ${provision.reason}`);
      this.skip();
    }
    browser = await provision.chromium.launch({
      executablePath: provision.executablePath,
      // Root in CI: Chromium's sandbox needs user namespaces it does not get there.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      headless: true,
    });
    await mkdir(screenshotDir, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  for (const testCase of cases) {
    describe(`kernel "${testCase.kernelName}"`, function () {
      let jenv: JupyterEnv;
      let server: JupyterServer;

      before(async function () {
        jenv = await createJupyterEnv();
        await testCase.prepare?.(jenv);
        await quietJupyterLab(jenv);
        server = await startJupyterServer(jenv);
      });

      after(async function () {
        await server?.stop();
        if (jenv) await removeJupyterEnv(jenv);
      });

      it("runs a cell and renders its HTML display and result", async function () {
        const file = `browser-${testCase.kernelName}.ipynb`;
        await writeFile(path.join(jenv.workDir, file), notebookWith(testCase));
        const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
        const pageErrors: string[] = [];
        page.on("pageerror", (error) => pageErrors.push(error.toString()));
        await withFailureScreenshot(page, `jupyterlab-${testCase.kernelName}`, async () => {
          await openNotebook(page, server, file, testCase.displayName);
          await page.locator(".jp-Notebook .jp-Cell .cm-content").first().click();
          await page.keyboard.press("Shift+Enter");
          const html = page.locator(".jp-OutputArea-output.jp-RenderedHTMLCommon b", { hasText: "e2e html" }).first();
          await html.waitFor({ state: "visible", timeout: 60_000 });
          const result = page.locator(".jp-OutputArea-executeResult .jp-OutputArea-output").first();
          await result.waitFor({ state: "visible", timeout: 60_000 });
          assert.equal((await result.textContent())?.trim(), "42");
          const prompt = page.locator(".jp-OutputArea-executeResult .jp-OutputPrompt").first();
          assert.equal((await prompt.textContent())?.trim(), "[1]:");
        });
        await keepScreenshot(page, `jupyterlab-${testCase.kernelName}`);
        assert.deepEqual(pageErrors, [], "JupyterLab raised errors in the page");
        await page.close();
      });

      for (const notebook of testCase.notebooks ?? []) {
        it(`runs all of ${notebook} from the Run menu`, async function () {
          // Saved outputs would be on the page before anything runs: the copy has none.
          const saved = JSON.parse(await readFile(path.join(repoRoot, notebook), "utf8")) as { cells: Record<string, unknown>[] };
          for (const cell of saved.cells) if (cell.cell_type === "code") Object.assign(cell, { outputs: [], execution_count: null });
          const file = path.basename(notebook);
          await writeFile(path.join(jenv.workDir, file), JSON.stringify(saved));
          // Data a notebook reads beside itself (notebooks/data).
          const data = path.join(repoRoot, path.dirname(notebook), "data");
          if (existsSync(data)) await cp(data, path.join(jenv.workDir, "data"), { recursive: true });
          const codeCells = saved.cells.filter((c) => c.cell_type === "code").length;
          const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
          const name = `jupyterlab-${path.basename(file, ".ipynb")}`;
          await withFailureScreenshot(page, name, async () => {
            await openNotebook(page, server, file, testCase.displayName);
            await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).first().click();
            await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).first().click();
            // Run All numbers the code cells 1..N in order: the last one's prompt reads [N]: once every cell ran.
            const lastPrompt = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt", { hasText: `[${codeCells}]:` });
            await lastPrompt.first().waitFor({ state: "visible", timeout: 5 * 60_000 });
            const errors = await page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count();
            assert.equal(errors, 0, "a cell showed an error");
          });
          await keepScreenshot(page, name);
          await page.close();
        });
      }
    });
  }
});
