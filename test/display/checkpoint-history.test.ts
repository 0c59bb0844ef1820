import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { CHECKPOINT_HISTORY_MIME, checkpointHistory } from "../../src/display/index.js";
import { scratchDir } from "../ocp/scratch.js";

const np = jax.numpy;
const SCRIPT = "<script>alert(1)</script>";
const QUOTED = 'acc "top-1"';
// Losses chosen so that retention (maxToKeep 2 by lowest loss, keepPeriod 4) is worked out by hand:
// after step 3 the best two of [1,2,3] are 2 and 3, so 1 goes; step 4 stays by period; after step 5
// the best two are 5 and 2, so 3 goes; step 6 (0.6) is not among the best two and goes at once.
const LOSS: Record<number, number> = { 1: 0.9, 2: 0.5, 3: 0.7, 4: 0.8, 5: 0.3, 6: 0.6 };
const PYTHON_STEP = "test/fixtures/orbax/checkpoint/orbax/checkpoint/experimental/v1/_src/testing/compatibility/checkpoints/v0_checkpoints/composite_checkpoint/checkpoint_metadata_present/pytree_checkpointable_has_metadata";

type Bundle = Record<string, unknown>;

function bytesOnDisk(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = path.join(dir, e.name);
    return sum + (e.isDirectory() ? bytesOnDisk(p) : fs.statSync(p).size);
  }, 0);
}

/** Tags balanced, attributes quoted, no bare `<` or `&` in text: enough to know an XML parser accepts it. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    assert.doesNotMatch(text, /&(?!(lt|gt|amp|quot|#39);)/, `bare & in text: ${text}`);
    assert.doesNotMatch(text, />/, `bare > in text: ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    assert.ok(m, `malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClosing) stack.push(name!);
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], "unclosed elements");
}

describe("display: checkpoint history", () => {
  let dir: string;
  let manager: ocp.CheckpointManager;
  before(async () => {
    dir = scratchDir("history");
    manager = new ocp.CheckpointManager(dir, { maxToKeep: 2, keepPeriod: 4, bestFn: (m) => m.loss as number, bestMode: "min", enableAsyncCheckpointing: false });
    for (let step = 1; step <= 6; step++) {
      const w = np.array(Float32Array.from({ length: 64 * step }, (_, i) => Math.sin(i * step)));
      await manager.save(step, { args: ocp.args.StandardSave({ w }), metrics: { loss: LOSS[step], [QUOTED]: 1 - LOSS[step]!, [SCRIPT]: step } });
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("tables the steps the manager kept, with sizes from its save records, metrics, best step and keep reasons", () => {
    assert.deepEqual(manager.allSteps(), [2, 4, 5]);
    const [table] = checkpointHistory(manager);
    const json = table[CHECKPOINT_HISTORY_MIME] as { bestStep: number; metricNames: string[]; steps: Record<string, unknown>[] };
    assert.equal(json.bestStep, 5);
    assert.deepEqual(json.metricNames, ["loss", QUOTED, SCRIPT]);
    const recorded = (step: number) => JSON.parse(fs.readFileSync(path.join(dir, String(step), "tsnnx_record.json"), "utf8"));
    assert.deepEqual(
      json.steps.map((s) => [s.step, s.status, s.best, s.keptBy, s.bytes, (s.metrics as Record<string, number>).loss]),
      [
        [2, "kept", false, ["best"], recorded(2).bytesWritten, 0.5],
        [4, "kept", false, ["period"], recorded(4).bytesWritten, 0.8],
        [5, "kept", true, ["best"], recorded(5).bytesWritten, 0.3],
      ],
    );
    assert.equal(json.steps[2]!.saveSeconds, recorded(5).totalSeconds);

    const lines = (table["text/plain"] as string).split("\n");
    assert.match(lines[0]!, /3 steps, 3 kept, best step 5$/);
    assert.match(lines[1]!, /^step +saved \(UTC\) +size +save \(s\) +loss +acc "top-1" +<script>alert\(1\)<\/script> +status +kept by$/);
    assert.match(lines[4]!, /^ +5 .* 0\.3 +0\.7 +5 +kept, best +maxToKeep \(best\)$/);
    assert.match(lines[3]!, /kept +keepPeriod$/);
    // Aligned: every row as long as the header row's columns up to "kept by".
    const statusColumn = lines[1]!.indexOf("status");
    for (const row of lines.slice(2)) assert.match(row.slice(statusColumn), /^kept/);
  });

  it("marks the steps no retention rule keeps as deleted (a read-only view with a stricter policy)", () => {
    const view = new ocp.CheckpointManager(dir, { readOnly: true, maxToKeep: 1, bestFn: (m) => m.loss as number, bestMode: "min" });
    const [table, chart] = checkpointHistory(view);
    const steps = (table[CHECKPOINT_HISTORY_MIME] as { steps: { step: number; status: string; keptBy: string[] }[] }).steps;
    assert.deepEqual(steps.map((s) => [s.step, s.status, s.keptBy]), [[2, "deleted", []], [4, "deleted", []], [5, "kept", ["best"]]]);
    assert.match(table["text/html"] as string, /text-decoration:line-through[^>]*><td[^>]*>2</);
    // Deleted steps are hollow in every chart form.
    const plotly = chart["application/vnd.plotly.v1+json"] as { data: { marker: { symbol: unknown } }[] };
    assert.deepEqual(plotly.data[0]!.marker.symbol, ["circle-open", "circle-open", "circle"]);
    assert.equal((chart["image/svg+xml"] as string).match(/r="2\.5" fill="#ffffff"/g)!.length, 2 * 4);
  });

  it("escapes metric names with quotes and markup in the HTML table and every chart form", () => {
    const [table, chart] = checkpointHistory(manager);
    const html = table["text/html"] as string;
    assert.ok(!html.includes("<script"), "no script tag in the table");
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(html.includes("acc &quot;top-1&quot;"));
    const svg = chart["image/svg+xml"] as string;
    assert.ok(!svg.includes("<script"), "no script tag in the SVG");
    assert.ok(svg.includes("&lt;script&gt;alert(1)&lt;/script&gt;") && svg.includes("acc &quot;top-1&quot;"));
    const plotly = chart["application/vnd.plotly.v1+json"] as { data: { name: string }[] };
    assert.ok(plotly.data.some((t) => t.name === "&lt;script&gt;alert(1)&lt;/script&gt;"), "plotly reads markup in names: it gets entities");
    // Vega-Lite treats data as text: the name stays data, never part of an expression.
    const vl = chart["application/vnd.vegalite.v5+json"] as { data: { values: { series: string }[] }; spec: { layer: { transform?: { filter: string }[] }[] } };
    assert.ok(vl.data.values.some((v) => v.series === SCRIPT));
    for (const layer of vl.spec.layer) for (const t of layer.transform ?? []) assert.ok(!t.filter.includes("script"));
  });

  it("charts each metric and the size over steps as plotly and Vega-Lite specs, best step marked", () => {
    const [, chart] = checkpointHistory(manager);
    assert.deepEqual(Object.keys(chart).sort(), ["application/vnd.plotly.v1+json", "application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    assert.equal(chart["text/plain"], `Chart of loss, ${QUOTED}, ${SCRIPT}, size (KiB) over steps 2..5; best step 5`);

    const plotly = chart["application/vnd.plotly.v1+json"] as { data: Record<string, unknown>[]; layout: Record<string, any> };
    const lines = plotly.data.filter((t) => t.mode === "lines+markers");
    assert.deepEqual(lines.map((t) => t.yaxis), ["y", "y2", "y3", "y4"]);
    for (const t of plotly.data) {
      assert.equal(t.type, "scatter");
      assert.equal(t.xaxis, "x");
      assert.equal((t.x as unknown[]).length, (t.y as unknown[]).length);
    }
    assert.deepEqual(lines[0]!.x, [2, 4, 5]);
    assert.deepEqual(lines[0]!.y, [0.5, 0.8, 0.3]);
    const kib = (step: number) => JSON.parse(fs.readFileSync(path.join(dir, String(step), "tsnnx_record.json"), "utf8")).bytesWritten / 1024;
    assert.deepEqual(lines[3]!.y, [kib(2), kib(4), kib(5)]);
    // Panels: one y axis each, stacked top to bottom without overlap, all on the shared x axis.
    const domains = ["yaxis", "yaxis2", "yaxis3", "yaxis4"].map((k) => plotly.layout[k].domain as [number, number]);
    for (const [lo, hi] of domains) assert.ok(0 <= lo && lo < hi && hi <= 1);
    for (let i = 1; i < domains.length; i++) assert.ok(domains[i]![1] <= domains[i - 1]![0]);
    assert.equal(plotly.layout.xaxis.anchor, "y4");
    const best = plotly.data.filter((t) => t.mode === "markers");
    assert.deepEqual(best.map((t) => [t.x, t.yaxis]), [[[5], "y"], [[5], "y2"], [[5], "y3"], [[5], "y4"]]);
    assert.deepEqual(best[0]!.y, [0.3]);
    assert.deepEqual([plotly.layout.shapes[0].x0, plotly.layout.shapes[0].x1, plotly.layout.shapes[0].yref], [5, 5, "paper"]);

    const vl = chart["application/vnd.vegalite.v5+json"] as Record<string, any>;
    assert.equal(vl.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.equal(vl.data.values.length, 3 * 4);
    assert.deepEqual(vl.data.values.filter((v: any) => v.series === "loss").map((v: any) => [v.step, v.value, v.best ?? false]), [[2, 0.5, false], [4, 0.8, false], [5, 0.3, true]]);
    assert.deepEqual(vl.facet.row.sort, ["loss", QUOTED, SCRIPT, "size (KiB)"]);
    assert.deepEqual(vl.resolve, { scale: { y: "independent" } });
    // Three steps: the ticks are the steps, never 2.5.
    assert.deepEqual(vl.spec.layer[0].encoding.x.axis.values, [2, 4, 5]);
    assert.deepEqual(plotly.layout.xaxis.tickvals, [2, 4, 5]);
    const marks = new Set(["line", "point", "rule"]);
    for (const layer of vl.spec.layer) {
      assert.ok(marks.has(layer.mark.type), layer.mark.type);
      for (const channel of Object.values(layer.encoding) as { field?: string; type?: string }[]) {
        if (Array.isArray(channel)) continue;
        if (channel.field) assert.ok(["step", "value", "series"].includes(channel.field) && ["quantitative", "nominal"].includes(channel.type!));
      }
    }
    // Every filtered layer has rows: an empty one makes Vega warn in the browser console. This history deleted no step, so no hollow-point layer.
    const rowsOf: Record<string, (v: any) => boolean> = {
      "datum.status !== 'deleted'": (v) => v.status !== "deleted",
      "datum.status === 'deleted'": (v) => v.status === "deleted",
      "datum.best === true": (v) => v.best === true,
    };
    for (const layer of vl.spec.layer) {
      for (const { filter } of layer.transform ?? []) {
        assert.ok(rowsOf[filter], `a filter this test knows: ${filter}`);
        assert.ok(vl.data.values.some(rowsOf[filter]!), `rows for the layer filtered by ${filter}`);
      }
    }
    assert.ok(!vl.spec.layer.some((l: any) => l.transform?.[0]?.filter === "datum.status === 'deleted'"));
  });

  it("draws a well-formed SVG with every point, the best step marked, and no script or style", () => {
    const [, chart] = checkpointHistory(manager);
    const svg = chart["image/svg+xml"] as string;
    assertWellFormedXml(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+">/);
    assert.doesNotMatch(svg, /<style|<script|<use|class=|href/);
    const polylines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(" ").length);
    assert.deepEqual(polylines, [3, 3, 3, 3]);
    assert.equal(svg.match(/<circle [^>]*r="2\.5"/g)!.length, 3 * 4);
    assert.equal(svg.match(/<circle [^>]*r="5" fill="#d62728"/g)!.length, 4);
    assert.ok(svg.includes("best: step 5"));
  });

  it("keeps a 100-step chart well under 100 KB", async function () {
    this.timeout(120_000);
    const big = scratchDir("history-100");
    try {
      const many = new ocp.CheckpointManager(big, { enableAsyncCheckpointing: false });
      for (let step = 1; step <= 100; step++) {
        await many.save(step, { args: ocp.args.StandardSave({ w: np.array(new Float32Array([step])) }), metrics: { loss: 1 / step, accuracy: 1 - 1 / step } });
      }
      const [table, chart] = checkpointHistory(many);
      const bytes = Buffer.byteLength(JSON.stringify(chart));
      assert.ok(bytes < 60_000, `chart bundle is ${bytes} bytes`);
      assert.equal((table[CHECKPOINT_HISTORY_MIME] as { steps: unknown[] }).steps.length, 100);
    } finally {
      fs.rmSync(big, { recursive: true, force: true });
    }
  });

  it("reads a folder of steps Python Orbax wrote: size on disk, save time from Orbax's timestamps", () => {
    const pyDir = scratchDir("history-python");
    try {
      fs.cpSync(PYTHON_STEP, path.join(pyDir, "3"), { recursive: true });
      fs.cpSync(PYTHON_STEP, path.join(pyDir, "8"), { recursive: true });
      fs.mkdirSync(path.join(pyDir, "8", "metrics"));
      fs.writeFileSync(path.join(pyDir, "8", "metrics", "metrics"), JSON.stringify({ loss: 0.25 }));
      const [table, chart] = checkpointHistory(pyDir);
      const steps = (table[CHECKPOINT_HISTORY_MIME] as { steps: Record<string, any>[] }).steps;
      assert.deepEqual(steps.map((s) => [s.step, s.bytes, s.status, s.keptBy]), [
        [3, bytesOnDisk(path.join(pyDir, "3")), "kept", ["unlimited"]],
        [8, bytesOnDisk(path.join(pyDir, "8")), "kept", ["unlimited"]],
      ]);
      // init 1778718341396223910 ns, commit 1778718341620521635 ns.
      assert.ok(Math.abs(steps[0]!.saveSeconds - 0.224297725) < 1e-3);
      assert.equal(steps[0]!.time, new Date(1778718341620.521635).toISOString());
      assert.deepEqual(steps[1]!.metrics, { loss: 0.25 });
      const plotly = chart["application/vnd.plotly.v1+json"] as { data: { x: number[]; name: string }[] };
      assert.deepEqual(plotly.data.map((t) => [t.name, t.x]), [["loss", [8]], ["size (KiB)", [3, 8]]]);
    } finally {
      fs.rmSync(pyDir, { recursive: true, force: true });
    }
  });

  it("shows a step whose save is in flight as saving, and the step it will replace as deleted", async () => {
    const asyncDir = scratchDir("history-async");
    try {
      const live = new ocp.CheckpointManager(asyncDir, { maxToKeep: 1 });
      await live.save(1, { args: ocp.args.StandardSave({ w: np.array([1, 2]) }), metrics: { loss: 1 } });
      await live.waitUntilFinished();
      await live.save(2, { args: ocp.args.StandardSave({ w: np.array([3, 4]) }), metrics: { loss: 0.5 } });
      // save() resolves once the values are captured; the write needs I/O callbacks, which cannot run before this line.
      const [during] = checkpointHistory(live);
      const steps = (during[CHECKPOINT_HISTORY_MIME] as { steps: Record<string, unknown>[] }).steps;
      assert.deepEqual(steps.map((s) => [s.step, s.status, s.keptBy, s.bytes === null]), [[1, "deleted", [], false], [2, "saving", ["latest"], true]]);
      assert.match(during["text/plain"] as string, /2 steps, 0 kept, 1 saving/);
      await live.waitUntilFinished();
      const [after] = checkpointHistory(live);
      assert.deepEqual((after[CHECKPOINT_HISTORY_MIME] as { steps: { step: number; status: string }[] }).steps.map((s) => [s.step, s.status]), [[2, "kept"]]);
    } finally {
      fs.rmSync(asyncDir, { recursive: true, force: true });
    }
  });

  it("names the folder and the problem for a missing folder or a wrong argument", () => {
    assert.throws(() => checkpointHistory(path.join(dir, "nope")), /checkpointHistory: .*nope does not exist/);
    assert.throws(() => checkpointHistory(42 as unknown as string), /checkpointHistory expects a CheckpointManager or a folder path, got number/);
  });
});
