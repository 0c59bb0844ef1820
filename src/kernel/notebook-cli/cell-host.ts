/**
 * The process that runs one notebook's cells for `tsnnx run` and `tsnnx
 * test` (started by kernel-process.ts with an IPC channel). A notebook gets a
 * process of its own, as under Jupyter, so that `process.exit()` in a cell, a
 * native crash, or a loop that ignores interrupts ends that notebook's run
 * with a report instead of ending the command. Outputs go to the parent as
 * messages; SIGINT from the parent interrupts the running cell.
 */
// Must come first: jax-js reads these globals while it loads.
import "../../runtime/globals.js";
import { CommManager } from "../comm.js";
import { quietCellIO } from "../exec/quiet-io.js";
import type { CellIO, Executor } from "../exec/types.js";
import { createInterruptGate } from "../interrupt-gate.js";
import { createExecutor } from "../lazy-executor.js";
import { holdSigint } from "../sigint-hold.js";
import { guardStdStreams } from "../std-streams.js";
import type { FromHost, ToHost } from "./host-messages.js";

guardStdStreams("exit");
// The parent is gone (killed, or ended by a closed pipe): nobody reads the outputs.
process.on("disconnect", () => process.exit(0));

const send = (message: FromHost): void => {
  if (process.connected) process.send!(message);
};

let executor: Executor | undefined;
holdSigint(() => executor?.interrupt());

function cellIO(cell: number): CellIO {
  const noStdin = (call: string, prompt: string) => new Error(`${call}(${JSON.stringify(prompt)}) needs a frontend: tsnnx run has no stdin for cells`);
  return {
    stream: (name, text) => send({ type: "stream", cell, name, text }),
    display: (data, metadata, transient, update) => send({ type: "display", cell, data, metadata, displayId: transient.display_id, update }),
    clearOutput: (wait) => send({ type: "clear", cell, wait }),
    requestInput: (prompt) => Promise.reject(noStdin("input", prompt)),
    requestInputSync: (prompt) => {
      throw noStdin("prompt", prompt);
    },
    error: (content) => send({ type: "error", cell, content }),
  };
}

// No frontend listens headless: comms user code opens have nobody to talk to.
const comms = new CommManager(
  () => {},
  (error) => process.stderr.write(`tsnnx: comm listener failed: ${String(error)}\n`),
);
try {
  executor = await createExecutor({ cwd: process.cwd(), comms, interruptGate: createInterruptGate() });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
const ready = executor;
// The first cell pays for the type checker's start (seconds on two cores): paid here, it never counts against a cell's --timeout.
await ready.execute("void 0;", quietCellIO("warming up"), { silent: true, storeHistory: false, executionCount: 0 });
process.on("message", (message: ToHost) => {
  void ready.execute(message.code, cellIO(message.cell), { silent: false, storeHistory: true, executionCount: message.executionCount }).then((outcome) =>
    send({ type: "done", cell: message.cell, outcome }),
  );
});
send({ type: "ready" });
