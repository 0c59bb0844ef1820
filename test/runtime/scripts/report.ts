// Run in a child process by device.test.ts: prints the runtime report as JSON.
import { initRuntime } from "../../../src/runtime/index.js";

console.log(JSON.stringify(await initRuntime()));
