/**
 * What a notebook user sees of tsnnx's displays, in real front ends: a
 * notebook with a state tree, a progress loop, a `%save` and a checkpoint
 * history runs in JupyterLab 4 and in Notebook 7 in headless Chromium, once
 * in a Jupyter with nothing added and once with the `plotly` package (whose
 * JupyterLab renderer is what draws plotly figures) beside the server.
 *
 * Checked in the page, not in the bundles: the tree is HTML (not a JSON
 * viewer) and folds and unfolds on click, every progress bar is drawn full,
 * the chart is drawn by the renderer each setup is expected to pick (plotly
 * where installed, else the Vega renderer JupyterLab ships) with its traces on
 * screen, and the browser console has no errors. The saved notebook is then
 * reopened untrusted (its signature broken, as for a notebook from someone
 * else) and must still show the tree, folding, and a chart. Last, nbconvert's
 * HTML export of it is opened with scripts off: the tree folds and the chart
 * is our static SVG. Screenshots of every page go to test-output/.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { Browser, ConsoleMessage, Page } from "./browser.js";
import { frontEndNames, keepScreenshot, launchBrowser, openNotebook, quietJupyterLab, runAllCells, withFailureScreenshot, type FrontEnd } from "./front-end.js";
import { createJupyterEnv, removeJupyterEnv, repoRoot, runVenvTool, startJupyterServer, type JupyterEnv, type JupyterServer } from "./jupyter.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

const run = promisify(execFile);

const screenshotDir = path.join(repoRoot, "test-output", "display-browser");
const kernelDisplayName = "TypeScript (tsnnx)";

const plotlyVersion = "7.1.0";
/** Outside the venv, so the venv itself stays a Jupyter with nothing added; kept between runs. */
const plotlyPrefix = path.join(os.tmpdir(), `tsnnx-e2e-plotly-${plotlyVersion}`);

/** The first line colour of the chart (src/display/chart/svg-panels.ts): the loss trace. */
const LOSS_TRACE = "#1f77b4";
const LOSS_TRACE_RGB = [1, 3, 5].map((i) => parseInt(LOSS_TRACE.slice(i, i + 2), 16));

/** The notebook's cells; `folder` keeps each front end's checkpoints apart in the shared server root. */
const cells = (folder: string) => [
  `class MLP extends nnx.Module {
  linear1: nnx.Linear;
  bn: nnx.BatchNorm;
  linear2: nnx.Linear;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear1 = new nnx.Linear(4, 16, { rngs });
    this.bn = new nnx.BatchNorm(16, { rngs });
    this.linear2 = new nnx.Linear(16, 2, { rngs });
  }
}
const model = new MLP(new nnx.Rngs(0));
model`,
  `let total = 0;
for (const i of progress(Array.from({ length: 40 }, (_, i) => i), { desc: "train" })) {
  total += i;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
total`,
  `%save model --dir ${folder}/magic`,
  `const mngr = new ocp.CheckpointManager("${folder}/history", { maxToKeep: 3, bestFn: (m) => m.loss as number, bestMode: "min" });
for (let step = 1; step <= 6; step++) {
  const metrics = { loss: 1 / step + (step % 2) * 0.1, accuracy: step / 10 };
  await mngr.save(step, { args: ocp.args.StandardSave(nnx.state(model)), metrics });
}
await mngr.waitUntilFinished();
mngr`,
];

function displayNotebook(folder: string): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: tsnnxKernelName, display_name: kernelDisplayName, language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells(folder).map((source, i) => ({ cell_type: "code", id: `display-${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

/** `pip install --prefix`: the package's JupyterLab renderer lands in <prefix>/share/jupyter, which JUPYTER_PATH points the server at. */
async function addPlotly(jenv: JupyterEnv): Promise<void> {
  const labextension = path.join(plotlyPrefix, "share/jupyter/labextensions/jupyterlab-plotly/package.json");
  if (!existsSync(labextension)) {
    await run(jenv.python, ["-m", "pip", "install", "-q", "--prefix", plotlyPrefix, `plotly==${plotlyVersion}`], { timeout: 10 * 60_000, maxBuffer: 64 << 20 });
  }
  assert.ok(existsSync(labextension), `pip install plotly==${plotlyVersion} left no JupyterLab renderer at ${labextension}`);
  const lib = path.join(plotlyPrefix, "lib");
  const python = readdirSync(lib).find((name) => name.startsWith("python"))!;
  jenv.env.JUPYTER_PATH = [path.join(plotlyPrefix, "share/jupyter"), jenv.env.JUPYTER_PATH].join(path.delimiter);
  jenv.env.PYTHONPATH = path.join(lib, python, "site-packages");
}

/**
 * Who drew the chart: plotly's renderer live, plotly's renderer showing the
 * PNG it saved into the output (what it shows when a notebook is reopened,
 * until the pointer enters the chart), or the Vega renderer.
 */
type ChartRenderer = "plotly" | "plotly, saved image" | "vega";

/** Console errors and uncaught exceptions of a page, collected from its first load. */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

/**
 * What the front end itself logs as errors on a notebook with nothing of
 * tsnnx in it, measured in the same run (Notebook 7.6 raises one on every
 * load), so that the checks below hold tsnnx's outputs to adding none.
 */
async function frontEndOwnErrors(browser: Browser, server: JupyterServer, jenv: JupyterEnv, frontEnd: FrontEnd): Promise<Set<string>> {
  const file = `plain-${frontEnd}.ipynb`;
  const cell = { cell_type: "code", id: "plain", metadata: {}, execution_count: 1, source: "1 + 1", outputs: [{ output_type: "execute_result", execution_count: 1, metadata: {}, data: { "text/plain": "2" } }] };
  await writeFile(path.join(jenv.workDir, file), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: tsnnxKernelName, display_name: kernelDisplayName, language: "typescript" } }, cells: [cell] }));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchConsole(page);
  await openNotebook(page, server, file, frontEnd, kernelDisplayName);
  await page.close();
  return new Set(errors);
}

function newErrors(errors: readonly string[], ownErrors: Set<string>): string[] {
  return errors.filter((e) => !ownErrors.has(e));
}

/** The state tree is HTML in the page (not a JSON viewer), with Treescope's counts, and a click folds and unfolds a module. */
async function checkStateTree(page: Page): Promise<void> {
  const tree = page.locator(".jp-OutputArea-output .tsnnx-st").first();
  await tree.waitFor({ state: "visible", timeout: 60_000 });
  assert.match((await tree.textContent()) ?? "", /Param: 146 \(584 B\), BatchStat: 32 \(128 B\), Total: 178 \(712 B\)/);
  assert.equal(await page.locator(".jp-OutputArea-output.jp-RenderedJSON").count(), 0, "an output shows as a raw JSON explorer");
  const linear1 = page.locator(".tsnnx-st details", { hasText: /^linear1/ }).first();
  const kernelRow = linear1.locator("li", { hasText: /^kernel/ }).first();
  assert.equal(await kernelRow.isVisible(), true, "linear1's kernel is shown at first");
  await linear1.locator("summary").first().click();
  assert.equal(await linear1.getAttribute("open"), null, "a click on linear1 folds it");
  assert.equal(await kernelRow.isVisible(), false, "folded, linear1's kernel is hidden");
  await linear1.locator("summary").first().click();
  assert.notEqual(await linear1.getAttribute("open"), null, "a second click unfolds it");
  assert.equal(await kernelRow.isVisible(), true);
}

/** Every progress output (the loop and %save's byte bar) is drawn full, at 100%, as one output updated in place. */
async function checkProgressBars(page: Page): Promise<void> {
  const bars = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".jp-OutputArea-output")]
      .filter((output) => /\d%/.test(output.textContent ?? "") && output.querySelector(":scope > div > div > div"))
      .map((output) => {
        const inner = output.querySelector<HTMLElement>(":scope > div > div > div")!;
        // clientWidth: the track inside its border, what a full bar fills.
        return { text: output.textContent ?? "", filled: inner.getBoundingClientRect().width / inner.parentElement!.clientWidth };
      }),
    undefined,
  );
  const loop = bars.filter((b) => b.text.includes("40/40"));
  assert.equal(loop.length, 1, `one bar for the loop, updated in place: ${JSON.stringify(bars)}`);
  assert.ok(bars.length >= 2, `a bar for the loop and one for %save: ${JSON.stringify(bars)}`);
  for (const bar of bars) {
    assert.match(bar.text, /100%/);
    assert.ok(Math.abs(bar.filled - 1) < 0.01, `the bar is drawn full: ${JSON.stringify(bar)}`);
  }
}

/** Which renderer drew the history chart, after checking that its traces are on screen. */
async function checkChart(page: Page): Promise<ChartRenderer> {
  const chart = page.locator(".jp-OutputArea-output.jp-RenderedPlotly, .jp-OutputArea-output.jp-RenderedVegaLite").first();
  await chart.waitFor({ state: "visible", timeout: 60_000 });
  await chart.scrollIntoViewIfNeeded();
  const plotly = page.locator(".jp-RenderedPlotly .main-svg .scatterlayer .trace");
  const vega = page.locator(".jp-RenderedVegaLite .vega-embed canvas, .jp-RenderedVegaLite .vega-embed svg");
  if ((await page.locator(".jp-OutputArea-output.jp-RenderedPlotly").count()) > 0) {
    const savedImage = page.locator(".jp-RenderedPlotly img.plot-img[src^='data:image/png']").first();
    const shownFirst = (await savedImage.isVisible()) ? "plotly, saved image" : "plotly";
    if (shownFirst === "plotly, saved image") {
      const image = await page.evaluate(() => {
        const img = document.querySelector<HTMLImageElement>(".jp-RenderedPlotly img.plot-img")!;
        const box = img.getBoundingClientRect();
        return { naturalWidth: img.naturalWidth, x: box.x + box.width / 2, y: box.y + box.height / 2 };
      }, undefined);
      assert.ok(image.naturalWidth > 0, "the saved PNG is drawn");
      // The pointer entering the image is what makes plotly's renderer draw the live figure in its place.
      await page.mouse.move(image.x, image.y);
    }
    await plotly.first().waitFor({ state: "attached", timeout: 60_000 });
    // loss, accuracy and size: a line trace each, plus the best-step markers.
    assert.ok((await plotly.count()) >= 3, `plotly drew ${await plotly.count()} traces`);
    return shownFirst;
  }
  await vega.first().waitFor({ state: "visible", timeout: 60_000 });
  const lossPixels = await page.evaluate((rgb) => {
    const canvas = document.querySelector<HTMLCanvasElement>(".jp-RenderedVegaLite .vega-embed canvas");
    if (canvas) {
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - rgb[0]!) + Math.abs(data[i + 1]! - rgb[1]!) + Math.abs(data[i + 2]! - rgb[2]!) < 30) count++;
      return count;
    }
    const colour = `rgb(${rgb.join(", ")})`;
    return [...document.querySelectorAll(".jp-RenderedVegaLite .vega-embed svg path")].filter((p) => getComputedStyle(p).stroke === colour).length;
  }, LOSS_TRACE_RGB);
  assert.ok(lossPixels > 20, `the loss trace is drawn (${lossPixels} pixels or paths in its colour)`);
  return "vega";
}

async function saveAndWait(page: Page, file: string): Promise<Record<string, any>> {
  await page.keyboard.press("Control+s");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const saved = JSON.parse(await readFile(file, "utf8")) as { cells: { outputs: unknown[] }[] };
    if (saved.cells.every((c) => c.outputs.length > 0)) return saved;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${file} was not saved with the outputs of every cell within a minute`);
}

for (const withPlotly of [false, true]) {
  const setup = withPlotly ? `with plotly ${plotlyVersion}` : "with nothing added";
  const expected: ChartRenderer = withPlotly ? "plotly" : "vega";

  describe(`tsnnx displays in the browser, Jupyter ${setup}`, function () {
    this.timeout(10 * 60_000);
    let browser: Browser;
    let jenv: JupyterEnv;
    let server: JupyterServer;

    before(async function () {
      this.timeout(30 * 60_000);
      browser = await launchBrowser(this);
      jenv = await createJupyterEnv();
      if (withPlotly) await addPlotly(jenv);
      await installTsnnxKernel(jenv);
      await quietJupyterLab(jenv);
      server = await startJupyterServer(jenv);
    });

    after(async () => {
      await server?.stop();
      await browser?.close();
      if (jenv) await removeJupyterEnv(jenv);
    });

    for (const frontEnd of ["jupyterlab", "notebook7"] as FrontEnd[]) {
      const shotName = `${frontEnd}-${withPlotly ? "plotly" : "stock"}`;
      const file = `display-${frontEnd}.ipynb`;
      let ownErrors: Set<string>;

      before(async function () {
        this.timeout(5 * 60_000);
        ownErrors = await frontEndOwnErrors(browser, server, jenv, frontEnd);
      });

      it(`${frontEndNames[frontEnd]}: the tree folds on click, the bars end at 100%, ${expected} draws the chart, no console errors`, async () => {
        await writeFile(path.join(jenv.workDir, file), displayNotebook(`checkpoints-${frontEnd}`));
        const page = await browser.newPage({ viewport: { width: 1280, height: 1900 } });
        const consoleErrors = watchConsole(page);
        await withFailureScreenshot(page, screenshotDir, shotName, async () => {
          await openNotebook(page, server, file, frontEnd, kernelDisplayName);
          await runAllCells(page, cells("").length);
          assert.equal(await page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count(), 0, "a cell showed an error");
          await checkStateTree(page);
          await checkProgressBars(page);
          assert.equal(await checkChart(page), expected);
          const saved = await saveAndWait(page, path.join(jenv.workDir, file));
          const chartOutput = saved.cells[3].outputs.at(-1);
          for (const mime of ["application/vnd.plotly.v1+json", "application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]) assert.ok(mime in chartOutput.data, `the saved chart has ${mime}`);
          // JupyterLab's renderers add what they drew as image/png to the output: that too counts against the 100 KB a chart may add.
          const chartBytes = Buffer.byteLength(JSON.stringify(chartOutput));
          assert.ok(chartBytes < 100_000, `the saved chart output is ${chartBytes} bytes`);
          const sizes = Object.entries(chartOutput.data).map(([mime, data]) => `${mime} ${(Buffer.byteLength(JSON.stringify(data)) / 1024).toFixed(1)}`);
          console.log(`    saved chart output: ${(chartBytes / 1024).toFixed(1)} KiB (${sizes.sort().join(", ")})`);
        });
        await keepScreenshot(page, screenshotDir, shotName, true);
        assert.deepEqual(newErrors(consoleErrors, ownErrors), [], "the browser console shows errors");
        await page.close();
      });

      it(`${frontEndNames[frontEnd]}: reopened untrusted, the saved notebook still shows the tree, folding, and a chart`, async () => {
        // Any change breaks the notebook's signature: Jupyter then treats its outputs as from someone else.
        const saved = JSON.parse(await readFile(path.join(jenv.workDir, file), "utf8"));
        assert.ok(saved.cells.every((c: { outputs: unknown[] }) => c.outputs.length > 0), `${file} was not saved with its outputs: the test before this one failed`);
        saved.metadata.reopened_by = "display-browser test";
        await writeFile(path.join(jenv.workDir, file), JSON.stringify(saved));
        const page = await browser.newPage({ viewport: { width: 1280, height: 1900 } });
        const consoleErrors = watchConsole(page);
        await withFailureScreenshot(page, screenshotDir, `${shotName}-untrusted`, async () => {
          await openNotebook(page, server, file, frontEnd, kernelDisplayName);
          await page.locator(".jp-OutputArea-output .tsnnx-st").first().waitFor({ state: "visible", timeout: 60_000 });
          assert.equal(await page.locator(".jp-OutputArea-output.jp-mod-trusted").count(), 0, "no output is trusted");
          await checkStateTree(page);
          await checkProgressBars(page);
          // Both renderers are marked safe: each draws untrusted data with its own code, none from the notebook.
          // Plotly's shows the PNG it saved at first and draws the live figure when the pointer enters it.
          assert.equal(await checkChart(page), withPlotly ? "plotly, saved image" : "vega");
        });
        await keepScreenshot(page, screenshotDir, `${shotName}-untrusted`, true);
        assert.deepEqual(newErrors(consoleErrors, ownErrors), [], "the browser console shows errors");
        await page.close();
      });
    }

    if (!withPlotly) {
      it("nbconvert's HTML export, opened with scripts off: the tree folds, the chart is the static SVG", async () => {
        const notebook = path.join(jenv.workDir, "display-jupyterlab.ipynb");
        await runVenvTool(jenv, "jupyter", ["nbconvert", "--to", "html", notebook], 5 * 60_000);
        await mkdir(screenshotDir, { recursive: true });
        const exported = notebook.replace(/\.ipynb$/, ".html");
        await cp(exported, path.join(screenshotDir, "nbconvert-export.html"));
        const html = await readFile(exported, "utf8");
        assert.ok(Buffer.byteLength(html) < 1 << 20, "no charting library is embedded");
        const page = await browser.newPage({ viewport: { width: 1280, height: 1900 }, javaScriptEnabled: false });
        await withFailureScreenshot(page, screenshotDir, "nbconvert-html", async () => {
          await page.goto(pathToFileURL(exported).href, { timeout: 60_000 });
          await checkStateTree(page);
          await checkProgressBars(page);
          // nbconvert puts SVG into an <img> as a data URI: it draws with scripts off and cannot run any.
          const image = page.locator(".jp-RenderedSVG img").first();
          await image.waitFor({ state: "visible", timeout: 30_000 });
          const src = (await image.getAttribute("src")) ?? "";
          assert.match(src, /^data:image\/svg\+xml;base64,/);
          const svg = Buffer.from(src.slice(src.indexOf(",") + 1), "base64").toString("utf8");
          assert.match(svg, /best: step 6/);
          assert.ok(svg.includes(`stroke="${LOSS_TRACE}"`) && /<polyline /.test(svg), "the loss trace is drawn in the SVG");
          const drawn = await page.evaluate(() => document.querySelector<HTMLImageElement>(".jp-RenderedSVG img")!.naturalWidth, undefined);
          assert.ok(drawn > 0, "the browser decoded the SVG");
        });
        await keepScreenshot(page, screenshotDir, "nbconvert-html", true);
        await page.close();
      });
    }
  });
}
