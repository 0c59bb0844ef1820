// Run in a fresh process by host-bytes.test.ts, under the TSNNX_THREADS it is given: whether a
// large wasm array's bytes are lent or copied, and whether lent bytes stay right while the
// caller drops the array, the device's memory grows and kernels run on its threads.
import { initRuntime } from "../../../src/runtime/index.js";
import { hostBytes } from "../../../src/runtime/host-bytes.js";
import * as jax from "@jax-js/jax";

const np = jax.numpy;
const report = await initRuntime({ device: "wasm" });
const x = np.arange(2 ** 19).astype(jax.DType.Int32).mul(3);
const host = await hostBytes(x.ref);
x.dispose();
const right = () => new Int32Array(host.bytes.slice().buffer).every((v, i) => v === 3 * i);
const lent = host.bytes.buffer instanceof SharedArrayBuffer;
const rightAtFirst = right();

// 8 x 16 MiB alive at once, each made by kernels on the worker threads.
const others = Array.from({ length: 8 }, (_, i) => np.arange(2 ** 22).astype(jax.DType.Int32).add(i));
const firsts = await Promise.all(others.map((o) => o.ref.slice([1, 2]).data()));
const probe = await hostBytes(np.ones([2 ** 19], { dtype: jax.DType.Int32 }));
const grew = probe.bytes.buffer.byteLength > host.bytes.buffer.byteLength;
probe.release();
others.forEach((o) => o.dispose());

console.log(JSON.stringify({ threads: report.wasmThreads, lent, rightAtFirst, grew, othersRight: firsts.every((f: ArrayLike<number>, i: number) => f[0] === 1 + i), rightAfter: right() }));
host.release();
