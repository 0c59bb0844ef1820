/** The kernel process that kernel.json starts: `node dist/src/kernel/main.js -f <connection_file>`. */
// jax-js (loaded later, by the executor) reads these globals when it is first imported.
import "../runtime/globals.js";
import { runKernel } from "./run-kernel.js";
import { createExecutor } from "./lazy-executor.js";
import { guardStdStreams } from "./std-streams.js";

// Nobody may read the kernel's log: a closed stderr must not end (or spin) the kernel.
guardStdStreams("drop");

try {
  await runKernel(process.argv.slice(2), createExecutor);
} catch (error) {
  process.stderr.write(`tsnnx kernel: ${(error as Error).message}\n`);
  process.exit(2);
}
