/**
 * tsnnx's state tree beside Treescope's view (what `nnx.display` shows in
 * Python) for the same three models: a 2-layer MLP with BatchNorm (the
 * anchor Treescope users know), a small CNN, and a deeper MLP. Treescope
 * renders in the test venv (test/python/treescope_models.py), tsnnx renders
 * the same shapes here; both pages are screenshotted side by side into one
 * folder for a person to compare. The counts both tools print per Variable
 * kind, and their totals, must agree: Treescope is the independent reference.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { nnx } from "../../src/index.js";
import { stateTree } from "../../src/display/index.js";
import type { Browser } from "./browser.js";
import { launchBrowser } from "./front-end.js";
import { repoRoot, venvPython } from "./jupyter.js";

const run = promisify(execFile);

/** Kept after the run (gitignored), next to the other e2e screenshots a person looks at. */
const outDir = path.join(repoRoot, "test-output", "treescope-vs-tsnnx");

class MLP extends nnx.Module {
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

class CNN extends nnx.Module {
  conv1: nnx.Conv;
  bn1: nnx.BatchNorm;
  conv2: nnx.Conv;
  head: nnx.Linear;
  constructor(rngs: nnx.Rngs) {
    super();
    this.conv1 = new nnx.Conv(1, 8, [3, 3], { rngs });
    this.bn1 = new nnx.BatchNorm(8, { rngs });
    this.conv2 = new nnx.Conv(8, 16, [3, 3], { rngs });
    this.head = new nnx.Linear(16, 10, { rngs });
  }
}

class DeepMLP extends nnx.Module {
  constructor(rngs: nnx.Rngs) {
    super();
    const layers = this as unknown as Record<string, nnx.Linear>;
    for (let i = 0; i < 8; i++) layers[`layer${i}`] = new nnx.Linear(64, 64, { rngs });
    layers.out = new nnx.Linear(64, 10, { rngs });
  }
}

const models: { name: string; build: () => nnx.Module }[] = [
  { name: "mlp", build: () => new MLP(new nnx.Rngs(0)) },
  { name: "cnn", build: () => new CNN(new nnx.Rngs(0)) },
  { name: "deep-mlp", build: () => new DeepMLP(new nnx.Rngs(0)) },
];

/** `Param: 1,434, BatchStat: 16` → { Param: 1434, BatchStat: 16 } (the root summary, Total left out). */
function kindCounts(summary: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, kind, count] of summary.matchAll(/(\w+): ([\d,]+) \(/g)) {
    if (kind !== "Total") counts[kind!] = Number(count!.replaceAll(",", ""));
  }
  return counts;
}

describe("state trees side by side with Treescope", function () {
  this.timeout(15 * 60_000);
  let browser: Browser | undefined;

  before(async function () {
    browser = await launchBrowser(this);
    await mkdir(outDir, { recursive: true });
    await run(await venvPython(), [path.join(repoRoot, "test/python/treescope_models.py"), outDir], {
      timeout: 10 * 60_000,
      env: { ...process.env, JAX_PLATFORMS: "cpu" },
    });
  });

  after(async () => {
    await browser?.close();
  });

  for (const { name, build } of models) {
    it(`${name}: the same counts per Variable kind as Treescope, both screenshotted`, async () => {
      const treescopeHtml = await readFile(path.join(outDir, `${name}.html`), "utf8");
      // Treescope's root line, e.g. `# Param: 146 (584 B), BatchStat: 32 (128 B), Total: 178 (712 B)`.
      const treescopeRoot = /# (Param: [^<"]*?\))(?=[<"])/.exec(treescopeHtml)?.[1];
      assert.ok(treescopeRoot, `no count summary in Treescope's ${name}.html`);
      const bundle = await stateTree(build());
      const ours = String(bundle["text/plain"]).split("\n")[0]!;
      assert.deepEqual(kindCounts(ours.slice(ours.indexOf("# ") + 2)), kindCounts(treescopeRoot));

      const page = path.join(outDir, `${name}.tsnnx.html`);
      await writeFile(page, `<!doctype html><meta charset="utf-8"><body style="font-family: sans-serif">${bundle["text/html"]}</body>`);
      const tab = await browser!.newPage({ viewport: { width: 1100, height: 700 } });
      try {
        for (const [file, shot] of [
          [page, `${name}.tsnnx.png`],
          [path.join(outDir, `${name}.html`), `${name}.treescope.png`],
        ] as const) {
          await tab.goto(pathToFileURL(file).href, { timeout: 60_000 });
          // Treescope draws from a script once the page has loaded.
          await tab.locator("body").first().waitFor({ state: "visible", timeout: 60_000 });
          await new Promise((resolve) => setTimeout(resolve, 1000));
          await tab.screenshot({ path: path.join(outDir, shot), fullPage: true });
        }
      } finally {
        await tab.close();
      }
    });
  }
});
