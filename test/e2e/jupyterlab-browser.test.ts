/**
 * JupyterLab itself, in headless Chromium: open a notebook, run its cell with
 * Shift+Enter and check what the page renders (HTML from display_data, the
 * execute_result with its prompt number), then keep a screenshot. ipykernel
 * runs first as the reference for the page flow; tsnnx must render the same.
 * Skips with the reason when Chromium or playwright-core cannot be installed,
 * except under CI, where that fails.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "./browser.js";
import { keepScreenshot, launchBrowser, openNotebook, quietJupyterLab, runAllCells, withFailureScreenshot } from "./front-end.js";
import { createJupyterEnv, removeJupyterEnv, repoRoot, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

/** Screenshots outlive the scratch folder (test-output/ is gitignored) so that a person can look at them. */
const screenshotDir = path.join(repoRoot, "test-output", "jupyterlab");

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


describe("JupyterLab in headless Chromium", function () {
  this.timeout(10 * 60_000);
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(30 * 60_000);
    browser = await launchBrowser(this);
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
        await withFailureScreenshot(page, screenshotDir, testCase.kernelName, async () => {
          await openNotebook(page, server, file, "jupyterlab", testCase.displayName);
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
        await keepScreenshot(page, screenshotDir, testCase.kernelName);
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
          const name = path.basename(file, ".ipynb");
          await withFailureScreenshot(page, screenshotDir, name, async () => {
            await openNotebook(page, server, file, "jupyterlab", testCase.displayName);
            await runAllCells(page, codeCells);
            const errors = await page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count();
            assert.equal(errors, 0, "a cell showed an error");
            // State trees and histories carry their data under a type of their own: JupyterLab's JSON viewer must never take over from their HTML.
            assert.equal(await page.locator(".jp-OutputArea-output.jp-RenderedJSON").count(), 0, "an output shows as a raw JSON explorer");
          });
          await keepScreenshot(page, screenshotDir, name);
          await page.close();
        });
      }
    });
  }
});
