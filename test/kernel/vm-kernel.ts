/** The protocol server with the test-only vm executor (see vm-executor.ts); started by the kernel tests. */
import { runKernel } from "../../src/kernel/run-kernel.js";
import { createVmExecutor } from "./vm-executor.js";

await runKernel(process.argv.slice(2), createVmExecutor);
