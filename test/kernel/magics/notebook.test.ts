/** %who, %whos, %lsmagic, %device, %eval_shape, %name?, completion and is_complete of magic lines, through a real executor. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Notebook } from "../exec/helpers.js";

describe("magics: the notebook's names, devices, shapes and help", () => {
  let nb: Notebook;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsnnx-nbmagics-"));
    nb = await Notebook.open(dir);
  });
  after(() => {
    nb.executor.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const out = async (code: string) => {
    const { io, outcome } = await nb.run(code);
    assert.equal(outcome.status, "ok", JSON.stringify(outcome));
    return io.text();
  };

  it("%who and %whos list only what cells defined, as IPython prints them", async () => {
    assert.equal(await out("%who"), "Interactive namespace is empty.\n");
    await nb.value('let n = 5;\nconst s = "hi";\nconst x = np.array([1, 2, 3]);');
    assert.equal(await out("%who"), "n\ts\tx\t\n");
    // IPython: name and type columns padded to the longest entry + 3, a space, the info; the rule is both widths + 'Data/Info' + 1.
    assert.equal(
      await out("%whos"),
      [
        "Variable   Type      Data/Info",
        "------------------------------",
        "n          number    5",
        "s          string    hi",
        "x          Array     3: 3 elems, type `float32`, 12 bytes",
        "",
      ].join("\n"),
    );
  });

  it("%whos summarises a Module by its parameter count and bytes", async () => {
    await nb.value("const layer = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });");
    assert.match(await out("%whos"), /\nlayer\s+Linear\s+ 9 params \(36 B\)\n/);
  });

  it("%lsmagic lists line and cell magics; %save? shows its usage with every flag", async () => {
    const list = await out("%lsmagic");
    assert.match(list, /^Available line magics:\n.*%save.*\n\nAvailable cell magics:\n%%time\n/);
    for (const name of ["checkpoint_dir", "checkpoints", "device", "diff", "eval_shape", "restore", "save", "time", "timeit", "typecheck", "who", "whos"]) {
      assert.ok(list.includes(`%${name} `) || list.includes(`%${name}\n`), name);
    }
    const usage = await out("%save?");
    assert.match(usage, /^%save <expr> \[--dir DIR\] \[--step N\] \[--metrics JSON\] \[--force\]\n/);
    for (const flag of ["--dir", "--step", "--metrics", "--force"]) assert.ok(usage.includes(flag));
    assert.match(await out("%typecheck?"), /^%typecheck \[on\|off\]/);
  });

  it("%device shows the device; switching to one jax-js did not set up is a clear error", async () => {
    const shown = await out("%device");
    assert.match(shown, /^Default device: (wasm|webgpu)\nChosen at start-up: /);
    if (!/Available: .*webgpu/.test(shown)) {
      const error = await nb.error("%device webgpu");
      assert.equal(error.ename, "UsageError");
      assert.match(error.evalue, /^%device webgpu: not available in this kernel \(.+\); available: wasm$/);
    }
    assert.match(await out("%device wasm"), /^Default device: wasm/);
  });

  it("%eval_shape shows the abstract state tree: shapes, dtypes, counts and bytes, nothing allocated", async () => {
    const shownTree = async (code: string) => {
      const { io } = await nb.run(code);
      const [bundle, ...more] = io.displays().map((d) => d.data);
      assert.equal(more.length, 0);
      assert.ok(String(bundle!["text/html"]).includes("<details"), "the HTML tree");
      return String(bundle!["text/plain"]);
    };
    // Linear(4, 5): a 4x5 kernel and 5 biases, float32: 20 + 5 = 25 values, 100 bytes.
    const single = await shownTree("%eval_shape new nnx.Linear(4, 5, { rngs: new nnx.Rngs(0) })");
    assert.match(single, /^Linear {2}# Param: 25 \(100 B\)\n/);
    assert.match(single, /kernel: Param float32\[4,5\] abstract {2}# 20 \(80 B\)/);
    assert.match(single, /bias: Param float32\[5\] abstract {2}# 5 \(20 B\)/);
    // A plain object of modules is a tree too.
    const nested = await shownTree("%eval_shape ({ enc: new nnx.Linear(4, 5, { rngs: new nnx.Rngs(0) }), dec: new nnx.Linear(5, 2, { rngs: new nnx.Rngs(1) }) })");
    assert.match(nested, /^dict {2}# Param: 37 \(148 B\)\n/);
    assert.match(nested, /enc: Linear {2}# Param: 25 \(100 B\)/);
    assert.match(nested, /dec: Linear {2}# Param: 12 \(48 B\)/);
  });

  it("completes magic names and a magic's flags; operands through the type checker", async () => {
    const complete = async (code: string) => nb.executor.complete(code, [...code].length);
    assert.deepEqual((await complete("%sa")).matches, ["save"]);
    assert.deepEqual((await complete("%%ti")).matches, ["time"]);
    const flags = await complete("%save model --");
    assert.deepEqual(flags.matches, ["--dir", "--step", "--metrics", "--force"]);
    assert.equal(flags.cursorStart, "%save model ".length);
    assert.deepEqual((await complete("for (;;) {\n  %timeit -")).matches, ["--number", "-n", "--repeat", "-r"]);
    await nb.value("const modelForCompletion = 1;");
    assert.ok((await complete("%save modelFor")).matches.includes("modelForCompletion"));
    // Offsets after a magic line stay right; a misplaced %%time does not break completion.
    assert.ok((await complete("%who\n%%time\n%save model --step 3\nmodelFor")).matches.includes("modelForCompletion"));
  });

  it("is_complete understands magic lines", async () => {
    const status = async (code: string) => (await nb.executor.isComplete(code)).status;
    assert.equal(await status("%save model --step 3"), "complete");
    assert.equal(await status("%%time"), "incomplete");
    assert.equal(await status("%%time\nfor (let i = 0; i < 3; i++) {"), "incomplete");
    assert.equal(await status("%%time\n1 + 1"), "complete");
    assert.equal(await status("%time for (let i = 0; i < 3; i++) {"), "incomplete");
    assert.equal(await status("for (let i = 0; i < 3; i++) {\n  %save model --step {i}"), "incomplete");
    assert.equal(await status("for (let i = 0; i < 3; i++) {\n  %save model --step {i}\n}"), "complete");
  });

  it("a type error in a magic's operand is reported at its line", async () => {
    const error = await nb.error("const fine = 1;\n%save notDefinedAnywhere");
    assert.equal(error.ename, "TSError");
    assert.match(error.evalue, /^cell\[\d+\]:2:\d+ - error TS2304: Cannot find name 'notDefinedAnywhere'/);
  });
});
