/**
 * What the protocol server (server.ts) needs from the code executor
 * (`./exec/`, written separately). The server owns sockets, ordering,
 * execution counts, history and comms; the executor owns running user code.
 * `./exec/index.ts` implements these types (it may import them from here).
 */
import type { CommManager } from "./comm.js";

export type MimeBundle = Record<string, unknown>;

/** Where one cell's output goes. It stays valid after the cell finished: output of a timer the cell started goes to that cell. */
export interface CellIO {
  stream(name: "stdout" | "stderr", text: string): void;
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void;
  clearOutput(wait: boolean): void;
  /** Resolves with the user's reply; rejects with a clear error when the frontend does not allow stdin. */
  requestInput(prompt: string, password: boolean): Promise<string>;
}

export type ExecuteOutcome =
  | { status: "ok"; result?: { data: MimeBundle; metadata: Record<string, unknown> } }
  | { status: "error"; ename: string; evalue: string; traceback: string[] }
  | { status: "aborted" };

export interface Executor {
  execute(code: string, io: CellIO, options: { silent: boolean; storeHistory: boolean; executionCount: number }): Promise<ExecuteOutcome>;
  /**
   * Stops the running cell, keeping all state. The server calls it from its
   * SIGINT handler, i.e. when SIGINT arrives while no synchronous user code
   * runs (a pending `await`). Synchronous user code must run under
   * `vm` with `breakOnSigint: true`: the same SIGINT then throws inside it.
   */
  interrupt(): void;
  complete(code: string, cursorPos: number): Promise<{ matches: string[]; cursorStart: number; cursorEnd: number; metadata: Record<string, unknown> }>;
  inspect(code: string, cursorPos: number, detailLevel: 0 | 1): Promise<{ found: boolean; data: MimeBundle; metadata: Record<string, unknown> }>;
  isComplete(code: string): Promise<{ status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string }>;
  /**
   * An error nobody caught (uncaughtException, unhandledRejection, a throwing
   * timer). Returns true when the executor attributed it to the cell that
   * caused it and wrote it there; otherwise the server writes it to the
   * stderr of the most recent cell.
   */
  reportUncaught?(error: unknown): boolean;
}

export interface ExecutorOptions {
  /** Working directory of user code (relative imports, files). */
  cwd: string;
  /** The kernel's comms, for user code (`registerTarget`, `open`) and widgets. */
  comms: CommManager;
}

/** Creates the executor; the server calls it after its sockets are up, so slow loading (TypeScript, jax-js) never delays kernel_info. */
export type CreateExecutor = (options: ExecutorOptions) => Promise<Executor>;
