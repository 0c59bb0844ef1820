/**
 * tsnnx checkpoints against the real Python stack (Orbax + Flax NNX from the
 * shared venv, see test/python/ocp_interop.py), in both directions.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import * as ocp from "../../src/ocp/index.js";
import { listSteps, showCheckpoint } from "../../src/ocp/inspect.js";
import { scratchDir } from "./scratch.js";

const np = jax.numpy;
const script = path.resolve("test/python/ocp_interop.py");

/** Flax's TwoLayerMLP(3, 4, 2) of test/python/ocp_interop.py, in tsnnx's nnx. */
class TwoLayerMLP extends nnx.Module {
  linear1: nnx.Linear;
  linear2: nnx.Linear;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear1 = new nnx.Linear(3, 4, { rngs });
    this.linear2 = new nnx.Linear(4, 2, { rngs });
  }
}

interface JsonArray {
  dtype: string;
  shape: number[];
  values: number[];
}

function venvPython(): string {
  return execFileSync("bash", ["test/python/ensure-venv.sh"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
}

function runPython(python: string, ...args: string[]): string {
  return execFileSync(python, [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5 * 60_000, env: { ...process.env, JAX_PLATFORMS: "cpu" } });
}

async function asJson(x: unknown): Promise<JsonArray | unknown> {
  if (!(x instanceof jax.Array)) return x;
  return { dtype: x.dtype, shape: x.shape, values: Array.from(await x.ref.data()) };
}

/** Flattens a restored tree the way the Python side does: keys joined with ".". */
async function flat(tree: unknown, prefix = ""): Promise<Record<string, unknown>> {
  if (tree instanceof jax.Array || typeof tree !== "object" || tree === null || ArrayBuffer.isView(tree)) return { [prefix]: await asJson(tree) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) Object.assign(out, await flat(v, prefix === "" ? k : `${prefix}.${k}`));
  return out;
}

describe("ocp against Python Orbax + Flax NNX", function () {
  this.timeout(40 * 60_000);
  let python: string;
  let dir: string;
  before(() => {
    python = venvPython();
    dir = scratchDir("interop");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("Python -> tsnnx", () => {
    let out: string;
    let expected: { tree: Record<string, JsonArray | number>; params: Record<string, JsonArray>; manager: { all_steps: number[]; best_step: number; latest_step: number } };
    before(() => {
      out = path.join(dir, "from-python");
      fs.mkdirSync(out);
      runPython(python, "write", out);
      expected = JSON.parse(fs.readFileSync(path.join(out, "expected.json"), "utf8"));
    });

    for (const variant of ["ocdbt_zarr2", "ocdbt_zarr3", "plain_zarr2"]) {
      it(`restores a StandardCheckpointer/PyTree checkpoint (${variant}) with the same values, bf16/f16/int64 converted and listed`, async () => {
        const ckptr = new ocp.StandardCheckpointer();
        const restored = await flat(await ckptr.restore(path.join(out, variant)));
        assert.deepEqual(Object.keys(restored).sort(), Object.keys(expected.tree).sort());
        for (const [key, want] of Object.entries(expected.tree)) {
          const got = restored[key] as JsonArray | number;
          if (typeof want === "number") {
            assert.equal(got, want, key);
            continue;
          }
          const g = got as JsonArray;
          assert.deepEqual(g.shape, want.shape, key);
          assert.deepEqual(g.values, want.dtype.startsWith("int") ? want.values : want.values.map(Math.fround), key);
          const jaxDType = { bfloat16: "float32", float16: "float32", int64: "int32" }[want.dtype] ?? want.dtype;
          assert.equal(g.dtype, jaxDType, key);
        }
        assert.deepEqual(ckptr.lastRestoreReport.conversions, [
          { path: "bf16", from: "bfloat16", to: "float32" },
          { path: "f16", from: "float16", to: "float32" },
          { path: "i64", from: "int64", to: "int32" },
        ]);
      });
    }

    it("reads a Python manager directory: steps kept by best_fn, metrics, Composite items", async () => {
      const mngr = new ocp.CheckpointManager(path.join(out, "manager"), { bestFn: (m) => m.loss as number, bestMode: "min", readOnly: true });
      assert.deepEqual(mngr.allSteps(), expected.manager.all_steps);
      assert.equal(mngr.latestStep(), expected.manager.latest_step);
      assert.equal(mngr.bestStep(), expected.manager.best_step);
      assert.deepEqual(mngr.metrics(1), { loss: 0.3 });
      assert.deepEqual(mngr.metrics(3), { loss: 0.4 });
      const step = 3;
      const restored = (await mngr.restore(step, {
        args: ocp.args.Composite({ params: ocp.args.StandardRestore(), opt: ocp.args.StandardRestore(), meta: ocp.args.JsonRestore() }),
      })) as { params: unknown; opt: unknown; meta: unknown };
      const params = await flat(restored.params);
      for (const [key, want] of Object.entries(expected.params)) {
        const got = params[`${key}.value`] as JsonArray;
        assert.ok(got, `params.${key}.value restored`);
        assert.deepEqual(got.values, want.values.map((v) => Math.fround(v + step)), key);
      }
      const opt = await flat(restored.opt);
      assert.deepEqual((opt.count as JsonArray).values, [step]);
      assert.deepEqual((opt["mu.linear1.kernel"] as JsonArray).values, new Array(12).fill(step));
      assert.deepEqual(restored.meta, { step, note: "python" });
      const all = (await mngr.restore()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(all).sort(), ["meta", "opt", "params"]);
    });

    it("tsnnx ckpt ls/show list the Python checkpoints", async () => {
      const ls = listSteps(path.join(out, "manager"));
      assert.match(ls, /^step\s+time\s+size\s+metrics/);
      assert.match(ls, /\n1\s+\S+Z\s+[\d.]+ KiB\s+\{"loss":0.3\}/);
      assert.match(ls, /\n3\s+\S+Z\s+[\d.]+ KiB\s+\{"loss":0.4\}/);
      const show = await showCheckpoint(path.join(out, "manager"), 1);
      assert.match(show, /1\/params \(zarr2 in OCDBT, 4 leaves/);
      assert.match(show, /linear1\.kernel\.value\s+\[3, 4\]\s+float32\s+48/);
      assert.match(show, /1\/meta \(JSON\)/);
      const std = await showCheckpoint(path.join(out, "ocdbt_zarr3"));
      assert.match(std, /zarr3 in OCDBT/);
      assert.match(std, /bf16\s+\[3\]\s+bfloat16\s+6/);
    });
  });

  describe("tsnnx -> Python", () => {
    const w1 = [0.5, -1, 0.25, 2, 1.5, 0, -0.75, 1, -2, 0.125, 3, -0.5];
    const b1 = [0.1, -0.2, 0.3, 0];
    const w2 = [1, -1, 0.5, 2, -0.25, 0.75, 1.5, -2];
    const b2 = [0.05, -0.5];
    const mlpState = () => ({
      linear1: { kernel: { value: np.array(new Float32Array(w1), { shape: [3, 4] }) }, bias: { value: np.array(new Float32Array(b1)) } },
      linear2: { kernel: { value: np.array(new Float32Array(w2), { shape: [4, 2] }) }, bias: { value: np.array(new Float32Array(b2)) } },
    });
    let got: {
      mlp: Record<string, JsonArray>;
      mlp_forward: JsonArray;
      nnx_mlp: Record<string, JsonArray>;
      opt: Record<string, JsonArray>;
      manager: { all_steps: number[]; latest_step: number; best_step: number; metrics: Record<string, unknown>; latest_params: Record<string, JsonArray>; latest_config: unknown };
    };
    let nnxParams: Record<string, number[]>;
    before(async () => {
      const out = path.join(dir, "from-tsnnx");
      const ckptr = new ocp.StandardCheckpointer();
      await ckptr.save(path.join(out, "mlp"), mlpState());
      // The same model built with tsnnx's nnx: its State saved as is.
      const model = new TwoLayerMLP(new nnx.Rngs(3));
      nnxParams = {};
      for (const layer of ["linear1", "linear2"] as const) {
        nnxParams[`${layer}.kernel`] = Array.from(await model[layer].kernel.value.data());
        nnxParams[`${layer}.bias`] = Array.from(await model[layer].bias!.value.data());
      }
      await ckptr.save(path.join(out, "nnx_mlp"), nnx.split(model)[1]);
      await ckptr.save(path.join(out, "opt"), [
        { count: np.array(new Int32Array([5]), { shape: [] }), mu: { w: np.array(new Float32Array([0.5, 0.25])) }, nu: { w: np.array(new Float32Array([1e-3, 2e-3])) } },
        { scale: 0.5 },
      ]);
      await ckptr.close();
      const mngr = new ocp.CheckpointManager(path.join(out, "manager"), { maxToKeep: 2, bestFn: (m) => m.loss as number, bestMode: "min" });
      const losses = [0.8, 0.2, 0.6, 0.7];
      for (let step = 0; step < 4; step++) {
        await mngr.save(step * 10, { args: ocp.args.Composite({ params: ocp.args.StandardSave(mlpState()), config: ocp.args.JsonSave({ step: step * 10 }) }), metrics: { loss: losses[step] } });
      }
      await mngr.close();
      got = JSON.parse(runPython(python, "read", out));
    });

    it("Flax NNX restores the TwoLayerMLP state into nnx.eval_shape's template: arrays equal, forward pass matches", () => {
      const want = { "linear1.kernel": w1, "linear1.bias": b1, "linear2.kernel": w2, "linear2.bias": b2 };
      for (const [key, values] of Object.entries(want)) assert.deepEqual(got.mlp[key].values, values.map(Math.fround), key);
      assert.deepEqual(got.mlp["linear1.kernel"].shape, [3, 4]);
      // relu([1,2,3] @ W1 + b1) @ W2 + b2, by hand.
      const x = [1, 2, 3];
      const h = [0, 1, 2, 3].map((j) => Math.max(0, x.reduce((s, xi, i) => s + xi * w1[i * 4 + j], b1[j])));
      const y = [0, 1].map((k) => h.reduce((s, hj, j) => s + hj * w2[j * 2 + k], b2[k]));
      got.mlp_forward.values.forEach((v, i) => assert.ok(Math.abs(v - y[i]) < 1e-5, `forward[${i}] ${v} vs ${y[i]}`));
    });

    it("Flax NNX restores a State saved from tsnnx's own nnx.Linear layers", () => {
      for (const [key, values] of Object.entries(nnxParams)) assert.deepEqual(got.nnx_mlp[key].values, values, key);
    });

    it("Python Orbax restores the optimizer-like state (lists, int32 count, scalar)", () => {
      assert.deepEqual(got.opt["0.count"], { dtype: "int32", shape: [], values: [5] });
      assert.deepEqual(got.opt["0.mu.w"].values, [0.5, 0.25]);
      assert.deepEqual(got.opt["0.nu.w"].values, [1e-3, 2e-3].map(Math.fround));
      assert.equal(got.opt["1.scale"] as unknown, 0.5);
    });

    it("Python's CheckpointManager sees the steps, metrics and best step tsnnx kept, and restores the latest", () => {
      // maxToKeep 2 with bestFn min over losses {0: 0.8, 10: 0.2, 20: 0.6, 30: 0.7}: keeps 10 and 20.
      assert.deepEqual(got.manager.all_steps, [10, 20]);
      assert.equal(got.manager.latest_step, 20);
      assert.equal(got.manager.best_step, 10);
      assert.deepEqual(got.manager.metrics, { "10": { loss: 0.2 }, "20": { loss: 0.6 } });
      assert.deepEqual(got.manager.latest_params["linear2.bias"].values, b2.map(Math.fround));
      assert.deepEqual(got.manager.latest_config, { step: 20 });
    });
  });
});
