// Run in a child process by device.test.ts: multi-threaded wasm work, then a
// natural exit (no process.exit) once the event loop is empty.
import { initRuntime } from "../../../src/runtime/index.js";
import * as jax from "@jax-js/jax";

const report = await initRuntime({ device: "wasm" });
const x = jax.numpy.ones([256, 256]);
const y = jax.numpy.matmul(x.ref, x);
const first = (await y.data())[0];
const sync = report.wasmThreads === 1 ? jax.numpy.ones([3]).js() : null;
console.log(JSON.stringify({ threads: report.wasmThreads, first, sync }));
