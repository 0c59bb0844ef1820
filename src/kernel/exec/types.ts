/** The contract between the kernel's protocol server and the cell executor. */
import type { MagicHandler } from "../magics/index.js";
import type { MimeBundle } from "./mime.js";

export type { MimeBundle };

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * Where a cell's output goes. The executor calls these for the cell that
 * produced the output, also after that cell's outcome was reported (late
 * output of timers and promises it started): the server sends it with that
 * cell's parent header.
 */
export interface CellIO {
  stream(name: "stdout" | "stderr", text: string): void;
  display(
    data: MimeBundle,
    metadata: Record<string, unknown>,
    transient: { display_id?: string },
    update: boolean,
  ): void;
  clearOutput(wait: boolean): void;
  /** Resolves with the user's reply; rejects with a clear error when the frontend does not allow stdin. */
  requestInput(prompt: string, password: boolean): Promise<string>;
  /** The same, blocking the thread until the reply comes (a synchronous `prompt()`); throws where `requestInput` rejects. */
  requestInputSync(prompt: string, password: boolean): string;
  /**
   * An IOPub `error` output: an error thrown by a timer or promise of this
   * cell after its outcome was reported. Without it such errors are written
   * to the cell's stderr.
   */
  error?(content: ErrorContent): void;
}

export type ExecuteOutcome =
  | { status: "ok"; result?: { data: MimeBundle; metadata: Record<string, unknown> } }
  | ({ status: "error" } & ErrorContent)
  | { status: "aborted" };

export interface ExecuteOptions {
  silent: boolean;
  storeHistory: boolean;
  executionCount: number;
}

export interface CompleteReply {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  metadata: Record<string, unknown>;
}

export interface InspectReply {
  found: boolean;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface IsCompleteReply {
  status: "complete" | "incomplete" | "invalid" | "unknown";
  indent?: string;
}

export interface Executor {
  /** Runs one cell. Never rejects: failures are `error` outcomes. */
  execute(code: string, io: CellIO, options: ExecuteOptions): Promise<ExecuteOutcome>;
  /**
   * Stops the running cell: a pending `await` rejects with an interruption
   * error (ename `KeyboardInterrupt`). A busy synchronous loop is broken by
   * SIGINT instead (the cell runs with `breakOnSigint`), or after the cell's
   * first await by the I/O thread's terminator (terminate-main.ts). Notebook
   * state is kept.
   */
  interrupt(): void;
  complete(code: string, cursorPos: number): Promise<CompleteReply>;
  inspect(code: string, cursorPos: number, detailLevel: 0 | 1): Promise<InspectReply>;
  isComplete(code: string): Promise<IsCompleteReply>;
  /** Does now, while the kernel is idle, work the next cell would otherwise wait for. */
  prepareNextCell(): void;
  /** Adds a line magic `%name args`, run before the cell (see ../magics/registry.ts). */
  registerMagic(name: string, handler: MagicHandler): void;
  /** Releases the notebook's arrays (shutdown or restart). */
  dispose(): void;
}
