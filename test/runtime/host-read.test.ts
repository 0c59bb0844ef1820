/** Reading arrays to the host in parts: the bytes `data()` gives, for contiguous arrays and views, with nothing leaked. */
import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../helpers/devices.js";
import { liveBuffers } from "../helpers/live-buffers.js";
import { bytesInParts } from "../../src/runtime/host-read.js";

const np = jax.numpy;

async function collect(parts: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array; sizes: number[] }> {
  const chunks: Uint8Array[] = [];
  for await (const part of parts) chunks.push(part);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, sizes: chunks.map((c) => c.length) };
}

async function expectedBytes(x: jax.Array): Promise<Uint8Array> {
  const data = await x.ref.data();
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

describeEachDevice("host reads in parts", (device) => {
  // 3 x 4 float32 = 48 bytes: parts of 20 bytes give 20, 20, 8 where ranges are read.
  const cases: Record<string, () => jax.Array> = {
    contiguous: () => np.arange(12).astype(jax.DType.Float32).reshape([3, 4]),
    transposed: () => np.transpose(np.arange(12).astype(jax.DType.Float32).reshape([3, 4])),
    sliced: () => np.arange(20).astype(jax.DType.Float32).reshape([4, 5]).slice([1, 4], [1, 5]),
    broadcast: () => np.broadcastTo(np.arange(4).astype(jax.DType.Float32), [3, 4]),
    "a constant": () => np.full([3, 4], 2.5),
    int32: () => np.arange(12).astype(jax.DType.Int32).reshape([3, 4]).mul(-3),
  };
  for (const [name, make] of Object.entries(cases)) {
    it(`gives the bytes data() gives for ${name} arrays, and releases the array`, async () => {
      const x = make();
      const expected = await expectedBytes(x);
      const before = liveBuffers(device);
      const { bytes, sizes } = await collect(bytesInParts(x, 20));
      assert.deepEqual(bytes, expected);
      if (device === "wasm") assert.ok(sizes.every((s) => s <= 20) && sizes.length === Math.ceil(expected.length / 20), `parts ${sizes}`);
      else assert.deepEqual(sizes, [expected.length], "other devices read the whole array at once");
      assert.equal(x.refCount, 0, "the array was disposed");
      assert.ok(liveBuffers(device) <= before, "no buffer left behind");
    });
  }

  it("releases the array when the reader stops early", async () => {
    const x = np.arange(64).astype(jax.DType.Float32);
    const parts = bytesInParts(x, 16);
    for await (const part of parts) {
      assert.ok(part.length > 0);
      break;
    }
    assert.equal(x.refCount, 0);
  });
});
