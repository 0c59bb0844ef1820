/** %time, %%time and %timeit: IPython's formats (values worked out from IPython's rules by hand), the loop count, waiting for async work. */
import assert from "node:assert/strict";
import os from "node:os";
import { cachingWarning, chooseLoops, formatG, formatTime, formatTimeitResult, timeCell } from "../../../src/kernel/magics/timing.js";
import type { CellIO } from "../../../src/kernel/exec/types.js";
import { Notebook } from "../exec/helpers.js";

const UNIT = "(?:s|ms|µs|ns)";
const TIME = `(?:[\\d.]+(?:e[+-]\\d+)? ${UNIT}|\\d+min(?: \\d+s)?)`;
const TIME_LINES = new RegExp(`^CPU times: user ${TIME}, sys: ${TIME}, total: ${TIME}\\nWall time: ${TIME}\\n$`);

describe("magics: IPython's time formats", () => {
  it("formatG is Python's %.3g", () => {
    assert.equal(formatG(1.23456, 3), "1.23");
    assert.equal(formatG(999.6, 3), "1e+03");
    assert.equal(formatG(1234.5, 3), "1.23e+03");
    assert.equal(formatG(0.0001234, 3), "0.000123");
    assert.equal(formatG(0.00001234, 3), "1.23e-05");
    assert.equal(formatG(5, 3), "5");
    assert.equal(formatG(120, 3), "120");
  });

  it("formatTime is IPython's _format_time", () => {
    assert.equal(formatTime(0.00123), "1.23 ms");
    assert.equal(formatTime(4.56e-5), "45.6 µs");
    assert.equal(formatTime(0.000123456), "123 µs");
    assert.equal(formatTime(5e-9), "5 ns");
    assert.equal(formatTime(1e-10), "0.1 ns");
    assert.equal(formatTime(0), "0 ns");
    assert.equal(formatTime(1.5), "1.5 s");
    assert.equal(formatTime(0.9996), "1e+03 ms");
    assert.equal(formatTime(75), "1min 15s");
    assert.equal(formatTime(3661), "1h 1min 1s");
    assert.equal(formatTime(2 * 86400 + 5), "2d 5s");
  });

  it("formats a timeit result as IPython's TimeitResult (mean ± population std. dev. per loop)", () => {
    // Per loop: 1.2756 ms and 1.1844 ms: mean 1.23 ms, std. dev. 45.6 µs.
    assert.equal(
      formatTimeitResult({ loops: 1000, repeat: 2, allRuns: [1.2756, 1.1844] }),
      "1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 2 runs, 1,000 loops each)",
    );
    assert.equal(formatTimeitResult({ loops: 1, repeat: 1, allRuns: [0.5] }), "500 ms ± 0 ns per loop (mean ± std. dev. of 1 run, 1 loop each)");
    assert.equal(formatTimeitResult({ loops: 1000000, repeat: 7, allRuns: new Array(7).fill(0.0123) }), "12.3 ns ± 0 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)");
  });

  it("warns as IPython does when the slowest run took over 4 times the fastest", () => {
    assert.equal(
      cachingWarning({ loops: 1, repeat: 2, allRuns: [1, 5] }),
      "The slowest run took 5.00 times longer than the fastest. This could mean that an intermediate result is being cached.",
    );
    assert.equal(cachingWarning({ loops: 1, repeat: 2, allRuns: [1, 2] }), null);
    assert.equal(cachingWarning({ loops: 1, repeat: 2, allRuns: [1e-8, 1e-7] }), null, "under a microsecond it does not matter");
  });

  it("chooses the loop count as IPython's autorange: the first power of ten taking 0.2 s", async () => {
    const batches: number[] = [];
    const perLoop = (seconds: number) => async (loops: number) => {
      batches.push(loops);
      return loops * seconds;
    };
    assert.equal(await chooseLoops(perLoop(0.001)), 1000);
    assert.deepEqual(batches, [1, 10, 100, 1000]);
    batches.length = 0;
    assert.equal(await chooseLoops(perLoop(0.3)), 1);
    assert.deepEqual(batches, [1]);
    batches.length = 0;
    assert.equal(await chooseLoops(perLoop(1e-12)), 1e9, "stops at 10**9 as IPython's range(10)");
    assert.equal(batches.length, 10);
  });
});

describe("magics: %%time leaves the cell's check and compile out of its times", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const timed = async (compileMs: number, runMs: number): Promise<string> => {
    let text = "";
    const io = { stream: (_name: string, chunk: string) => (text += chunk) } as unknown as CellIO;
    await timeCell(io, async (started) => {
      await sleep(compileMs);
      started();
      await sleep(runMs);
      return { status: "ok" };
    });
    return text;
  };
  const millis = (text: string, label: RegExp): number => {
    const [, value, unit] = new RegExp(`${label.source}([\\d.]+) (s|ms|µs)`).exec(text)!;
    return Number(value) * { s: 1000, ms: 1, µs: 0.001 }[unit as "s" | "ms" | "µs"];
  };

  it("a slow check shows on IPython's Compiler line, not in the wall time", async () => {
    const text = await timed(300, 20);
    assert.match(text, new RegExp(`^CPU times: user ${TIME}, sys: ${TIME}, total: ${TIME}\\nWall time: ${TIME}\\nCompiler : ${TIME}\\n$`));
    const wall = millis(text, /Wall time: /);
    // Behaviour, not speed: the wall time covers the run's 20 ms and cannot contain the check's 300.
    assert.ok(wall >= 19 && wall < 300, `wall time ${wall} ms is the run's 20 ms, not the check's 300`);
    assert.ok(millis(text, /Compiler : /) >= 299, text);
  });

  it("a quick check (under 0.1 s) adds no Compiler line, as in IPython", async () => {
    assert.match(await timed(5, 5), TIME_LINES);
  });
});

describe("magics: %time, %%time, %timeit in cells", () => {
  let nb: Notebook;
  before(async () => (nb = await Notebook.open(os.tmpdir())));
  after(() => nb.executor.dispose());

  it("%time prints IPython's two lines and gives the expression's value", async () => {
    const { outcome, io } = await nb.run("%time 6 * 7");
    assert.match(io.text(), TIME_LINES);
    assert.deepEqual(outcome, { status: "ok", result: { data: { "text/plain": "42" }, metadata: {} } });
  });

  it("%time const y = ... binds y in the notebook", async () => {
    await nb.value("%time const timedValue = [1, 2, 3].map((v) => v * 2)");
    assert.equal(await nb.value("timedValue.join(',')"), "'2,4,6'");
  });

  it("waits for a promise the statement returns (its wall time covers it)", async () => {
    // The promise resolves with how long it took, measured inside it.
    const { io, outcome } = await nb.run(
      "%time new Promise<number>((resolve) => { const t0 = performance.now(); setTimeout(() => resolve(performance.now() - t0), 40); })",
    );
    const wall = /Wall time: ([\d.]+) (ms|s)/.exec(io.text());
    assert.ok(wall && outcome.status === "ok", io.text());
    const took = Number(outcome.result?.data["text/plain"]);
    assert.ok(took >= 30, `the promise took ${took} ms`);
    // 3 significant digits: the printed wall time may be rounded down by up to 0.05 ms.
    assert.ok(Number(wall[1]) * (wall[2] === "s" ? 1000 : 1) >= took - 0.1, `${wall[0]} covers the ${took} ms the promise took`);
  });

  it("%%time times the whole cell, which keeps its bindings and value", async () => {
    const { io, outcome } = await nb.run("%%time\nlet acc = 0;\nfor (let i = 0; i < 1000; i++) acc += i;\nacc");
    assert.match(io.text(), TIME_LINES);
    assert.equal(outcome.status === "ok" && outcome.result?.data["text/plain"], "499500");
    assert.equal(await nb.value("acc"), "499500");
  });

  it("a statement that throws shows its error and no times, as in IPython", async () => {
    const { io, outcome } = await nb.run("%time JSON.parse('{')");
    assert.equal(outcome.status, "error");
    assert.equal(io.text(), "");
    const cell = await nb.run("%%time\nthrow new Error('stop')");
    assert.equal(cell.outcome.status === "error" && cell.outcome.evalue, "stop");
    assert.equal(cell.io.text(), "");
  });

  it("%timeit -n N -r R runs the statement N×R times and prints IPython's line", async () => {
    await nb.value("let calls = 0;");
    const { io } = await nb.run("%timeit -n 5 -r 3 calls++");
    assert.match(io.text(), new RegExp(`^(The slowest run took [\\d.]+ times longer than the fastest\\. This could mean that an intermediate result is being cached\\.\\n)?${TIME} ± ${TIME} per loop \\(mean ± std\\. dev\\. of 3 runs, 5 loops each\\)\\n$`));
    assert.equal(await nb.value("calls"), "15");
  });

  it("%timeit without -n chooses the loop count: a statement taking 0.25 s runs once per run, 7 runs", async () => {
    await nb.value("let slowCalls = 0;");
    const { io } = await nb.run("%timeit await new Promise((resolve) => setTimeout(resolve, 250, slowCalls++))");
    assert.match(io.text(), new RegExp(`^${TIME} ± ${TIME} per loop \\(mean ± std\\. dev\\. of 7 runs, 1 loop each\\)\\n$`));
    assert.equal(await nb.value("slowCalls"), "8", "one autorange batch of 1, then 7 runs of 1");
  });

  it("%timeit waits for jax-js results and releases them (the named array survives)", async () => {
    await nb.value("const base = np.array([1, 2, 3]);");
    const { io } = await nb.run("%timeit -n 3 -r 2 base.ref.add(1)");
    assert.match(io.text(), /per loop \(mean ± std\. dev\. of 2 runs, 3 loops each\)/);
    assert.equal(await nb.value("base.refCount"), "1");
  });
});
