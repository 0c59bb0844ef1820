/**
 * Checkpoints in a bucket cross between Python Orbax and tsnnx in both
 * directions, on a real S3 server (SeaweedFS): Python saves through a
 * CheckpointManager with TensorStore's s3 driver and tsnnx restores it; tsnnx
 * saves and Python restores it. (test/python/s3_interop.py says what Orbax
 * needs for s3://: s3fs, and its commit-file mode, which writes the same
 * `commit_success.txt` marker tsnnx does.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as jax from "@jax-js/jax";
import * as ocp from "../../src/ocp/index.js";
import { createBucket, provisionS3fs, startS3Server, type S3TestServer } from "../helpers/s3-servers.js";

const script = "test/python/s3_interop.py";
const np = jax.numpy;

interface JsonArray {
  dtype: string;
  shape: number[];
  values: number[];
}
type StepJson = { params: Record<string, JsonArray | number>; meta: unknown; metrics: Record<string, number>; commit_success?: boolean };
interface ManagerJson {
  all_steps: number[];
  latest_step: number;
  best_step: number;
  steps: Record<string, StepJson>;
}

/** Flattens a restored tree as the script does (keys joined with "."), arrays as dtype, shape and float values. */
async function flat(tree: unknown, prefix = ""): Promise<Record<string, JsonArray | unknown>> {
  if (tree instanceof jax.Array) return { [prefix]: { dtype: tree.dtype, shape: tree.shape, values: Array.from(await tree.data(), Number) } };
  if (typeof tree !== "object" || tree === null) return { [prefix]: tree };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) Object.assign(out, await flat(v, prefix === "" ? k : `${prefix}.${k}`));
  return out;
}

/** jax-js has no bfloat16, float16 or int64 arrays: tsnnx restores them as float32 and int32, which changes the dtype, not the values. */
const JAX_JS_DTYPE: Record<string, string> = { bfloat16: "float32", float16: "float32", int64: "int32", float64: "float32" };

describe("ocp in a bucket against Python Orbax (s3://, SeaweedFS)", function () {
  this.timeout(20 * 60_000);
  let server: S3TestServer;
  let python: string;
  let pythonPath: string;
  const run = (command: "save" | "restore", url: string, ...flags: string[]): unknown =>
    JSON.parse(
      execFileSync(python, [script, command, url, server.endpoint, ...flags], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 5 * 60_000,
        env: { ...process.env, JAX_PLATFORMS: "cpu", PYTHONPATH: pythonPath, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region },
      }),
    );
  const s3 = () => ({ endpoint: server.endpoint, region: server.region, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });

  before(async function () {
    python = execFileSync("bash", ["test/python/ensure-venv.sh"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
    const s3fs = provisionS3fs();
    if (!s3fs.ok) throw new Error(s3fs.reason);
    pythonPath = s3fs.path;
    server = await startS3Server("seaweedfs");
    await createBucket(server, "interop");
  });
  after(async () => {
    await server?.stop();
  });

  it("Python -> tsnnx: steps Python Orbax saved in the bucket restore with the same values, metrics and best step", async () => {
    const url = "s3://interop/from-python";
    const expected = run("save", url, "--steps", "3") as ManagerJson;
    const mngr = new ocp.CheckpointManager(url, { s3: s3(), readOnly: true, bestFn: (m) => -(m.loss as number) });
    assert.deepEqual(mngr.allSteps(), expected.all_steps);
    assert.equal(mngr.latestStep(), expected.latest_step);
    assert.equal(mngr.bestStep(), expected.best_step);
    for (const step of expected.all_steps) {
      const want = expected.steps[String(step)];
      const got = (await mngr.restore(step)) as { params: unknown; meta: unknown };
      assert.deepEqual(got.meta, want.meta);
      assert.deepEqual(mngr.metrics(step), want.metrics);
      const params = await flat(got.params);
      assert.deepEqual(Object.keys(params).sort(), Object.keys(want.params).sort());
      for (const [name, value] of Object.entries(want.params)) {
        if (typeof value === "number") {
          assert.equal(params[name], value, name);
          continue;
        }
        const array = params[name] as JsonArray;
        assert.equal(array.dtype, JAX_JS_DTYPE[value.dtype] ?? value.dtype, name);
        assert.deepEqual(array.shape, value.shape, name);
        assert.deepEqual(array.values, value.values, name);
      }
    }
  });

  it("tsnnx -> Python: steps tsnnx saved in the bucket restore in Python Orbax, marked committed", async () => {
    const url = "s3://interop/from-tsnnx";
    const mngr = new ocp.CheckpointManager(url, { s3: s3(), bestFn: (m) => -(m.loss as number) });
    for (const step of [0, 1]) {
      await mngr.save(step, {
        args: ocp.args.Composite({
          params: ocp.args.StandardSave({ w: np.array(new Float32Array([0.5, -1.25, 2, step]), { shape: [2, 2] }), n: np.array(new Int32Array([7, step])), lr: 0.125 }),
          meta: ocp.args.JsonSave({ step, note: "tsnnx" }),
        }),
        metrics: { loss: 1 / (step + 1) },
      });
    }
    await mngr.close();
    const got = run("restore", url) as ManagerJson;
    assert.deepEqual(got.all_steps, [0, 1]);
    assert.equal(got.best_step, 1);
    for (const step of [0, 1]) {
      const s = got.steps[String(step)];
      assert.equal(s.commit_success, true);
      assert.deepEqual(s.meta, { step, note: "tsnnx" });
      assert.deepEqual(s.metrics, { loss: 1 / (step + 1) });
      assert.deepEqual(s.params, {
        w: { dtype: "float32", shape: [2, 2], values: [0.5, -1.25, 2, step] },
        n: { dtype: "int32", shape: [2], values: [7, step] },
        lr: 0.125,
      });
    }
  });
});
