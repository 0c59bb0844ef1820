import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import * as jax from "@jax-js/jax";
import { runtime, testDevices, describeEachDevice } from "../helpers/devices.js";
import { devices } from "../../src/runtime/index.js";

const np = jax.numpy;

describe("runtime device choice", () => {
  it("reports what it found and chose", () => {
    const report = devices();
    assert.equal(report, runtime);
    assert.ok(report.initialized.includes("wasm"));
    assert.ok(report.reason.length > 0);
    assert.equal(jax.defaultDevice(), report.device);
    if (report.device === "webgpu") assert.ok(report.adapter && !report.adapter.isFallbackAdapter);
    if (report.adapter === null) assert.ok(report.webgpuUnavailable);
  });

  it("auto prefers wasm over a software-only adapter", () => {
    if (runtime.adapter?.isFallbackAdapter) assert.equal(runtime.device, "wasm");
    else if (!runtime.webgpuUnavailable) assert.equal(runtime.device, "webgpu");
    else assert.equal(runtime.device, "wasm");
  });
});

describeEachDevice("runtime arithmetic", () => {
  it("computes a matmul that matches the hand result", async () => {
    const a = np.array([[1, 2], [3, 4]]);
    const b = np.array([[5, 6], [7, 8]]);
    const c = np.matmul(a, b);
    assert.deepEqual(Array.from(await c.data()), [19, 22, 43, 50]);
  });
});

describe("runtime environment variables (child processes)", function () {
  this.timeout(60000);
  const script = (name: string) => fileURLToPath(new URL(`./scripts/${name}.ts`, import.meta.url));
  const run = (env: Record<string, string>, name: string) =>
    spawnSync(process.execPath, ["--import", "tsx", script(name)], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!);

  it("TSNNX_DEVICE=wasm forces the CPU fallback", () => {
    const out = run({ TSNNX_DEVICE: "wasm" }, "report");
    assert.equal(out.status, 0, out.stderr);
    const report = lastJson(out.stdout);
    assert.equal(report.device, "wasm");
    assert.deepEqual(report.initialized, ["wasm"]);
    assert.equal(report.webgpuUnavailable, "TSNNX_DEVICE=wasm");
  });

  it("TSNNX_DEVICE=webgpu without a usable adapter is an error that says why", () => {
    // An ICD list naming no real driver leaves Dawn without a Vulkan adapter.
    const out = run({ TSNNX_DEVICE: "webgpu", VK_ICD_FILENAMES: "/nonexistent/icd.json" }, "report");
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /TSNNX_DEVICE=webgpu but WebGPU is unavailable: Dawn found no adapter/);
  });

  it("TSNNX_DEVICE=webgpu uses even a software adapter when asked", function () {
    if (runtime.webgpuUnavailable) this.skip();
    const out = run({ TSNNX_DEVICE: "webgpu" }, "report");
    assert.equal(out.status, 0, out.stderr);
    const report = lastJson(out.stdout);
    assert.equal(report.device, "webgpu");
    assert.deepEqual(report.initialized, ["wasm", "webgpu"]);
  });

  it("rejects a bad TSNNX_DEVICE and TSNNX_THREADS by name", () => {
    assert.match(run({ TSNNX_DEVICE: "tpu" }, "report").stderr, /TSNNX_DEVICE=tpu is not a device/);
    assert.match(run({ TSNNX_THREADS: "zero" }, "report").stderr, /TSNNX_THREADS=zero is not a positive integer/);
  });

  it("exits on its own after multi-threaded wasm work", () => {
    const out = run({ TSNNX_THREADS: String(os.availableParallelism()) }, "matmul");
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(lastJson(out.stdout), { threads: os.availableParallelism(), first: 256, sync: null });
  });

  it("TSNNX_THREADS=1 runs without workers, so synchronous reads work", () => {
    const out = run({ TSNNX_THREADS: "1" }, "matmul");
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(lastJson(out.stdout), { threads: 1, first: 256, sync: [1, 1, 1] });
  });
});
