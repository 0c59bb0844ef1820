/**
 * The protocol server with the test-only vm executor (see vm-executor.ts); started by the kernel tests.
 * TSNNX_TEST_EXECUTOR_FAILS=message makes the executor fail to load with that message.
 */
import { runKernel } from "../../src/kernel/run-kernel.js";
import { createVmExecutor } from "./vm-executor.js";

const failure = process.env.TSNNX_TEST_EXECUTOR_FAILS;
await runKernel(process.argv.slice(2), failure ? () => Promise.reject(new Error(failure)) : createVmExecutor);
