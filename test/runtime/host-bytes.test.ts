/**
 * An array's bytes on the host: the bytes data() gives, for contiguous arrays
 * and views, lent from the wasm device's memory when large, copied
 * otherwise, with nothing leaked.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as jax from "@jax-js/jax";
import { describeEachDevice, runtime } from "../helpers/devices.js";
import { liveBuffers } from "../helpers/live-buffers.js";
import { BORROW_MIN_BYTES, hostBytes } from "../../src/runtime/host-bytes.js";

const np = jax.numpy;
const isLent = (bytes: Uint8Array) => bytes.buffer instanceof SharedArrayBuffer;

async function expectedBytes(x: jax.Array): Promise<Uint8Array> {
  const data = await x.ref.data();
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

describeEachDevice("host bytes", (device) => {
  // Rows of 1024 float32: 4 KiB a row, so 256 rows reach the size from which wasm arrays are lent.
  const rows = { small: 3, large: BORROW_MIN_BYTES / 4096 + 5 };
  const cases: Record<string, (r: number) => jax.Array> = {
    contiguous: (r) => np.arange(r * 1024).astype(jax.DType.Float32).reshape([r, 1024]),
    transposed: (r) => np.transpose(np.arange(r * 1024).astype(jax.DType.Float32).reshape([1024, r])),
    sliced: (r) => np.arange((r + 2) * 1030).astype(jax.DType.Float32).reshape([r + 2, 1030]).slice([1, r + 1], [3, 1027]),
    broadcast: (r) => np.broadcastTo(np.arange(1024).astype(jax.DType.Float32), [r, 1024]),
    "a constant": (r) => np.full([r, 1024], 2.5),
    int32: (r) => np.arange(r * 1024).astype(jax.DType.Int32).reshape([r, 1024]).mul(-3),
  };
  for (const [size, r] of Object.entries(rows)) {
    const lends = device === "wasm" && size === "large" && runtime.wasmThreads > 1;
    for (const [name, make] of Object.entries(cases)) {
      it(`${size} ${name} arrays: the bytes data() gives, ${lends ? "lent" : "copied"}, and the array released`, async () => {
        const x = make(r);
        const expected = await expectedBytes(x);
        const before = liveBuffers(device);
        const host = await hostBytes(x);
        assert.equal(isLent(host.bytes), lends);
        assert.deepEqual(new Uint8Array(host.bytes), expected);
        host.release();
        host.release(); // a second release does nothing
        assert.equal(x.refCount, 0, "the array was disposed");
        assert.ok(liveBuffers(device) <= before, "no buffer left behind");
      });
    }
  }

});

describe("host bytes in a fresh process (TSNNX_THREADS set)", function () {
  this.timeout(60_000);
  const script = fileURLToPath(new URL("./scripts/host-bytes.ts", import.meta.url));
  const run = (threads: string) => {
    const out = spawnSync(process.execPath, ["--import", "tsx", script], { env: { ...process.env, TSNNX_THREADS: threads }, encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split("\n").pop()!);
  };

  it("lends large arrays from shared memory, right while the caller drops them, the memory grows and kernels run", () => {
    assert.deepEqual(run("2"), { threads: 2, lent: true, rightAtFirst: true, grew: true, othersRight: true, rightAfter: true });
  });

  it("copies them where the memory is not shared (no worker threads), which growth would move", () => {
    assert.deepEqual(run("1"), { threads: 1, lent: false, rightAtFirst: true, grew: false, othersRight: true, rightAfter: true });
  });
});
