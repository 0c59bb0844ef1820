/**
 * Messages between `tsnnx run` / `tsnnx test` and the process that runs a
 * notebook's cells (cell-host.ts), over Node's IPC channel. Output events
 * name their cell: a timer a cell started may still print after the cell ended.
 */
import type { ErrorContent, ExecuteOutcome, MimeBundle } from "../exec/types.js";

export type ToHost = { type: "execute"; cell: number; code: string; executionCount: number };

export type CellEvent =
  | { type: "stream"; cell: number; name: "stdout" | "stderr"; text: string }
  | { type: "display"; cell: number; data: MimeBundle; metadata: Record<string, unknown>; displayId?: string; update: boolean }
  | { type: "clear"; cell: number; wait: boolean }
  | { type: "error"; cell: number; content: ErrorContent };

export type FromHost =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | CellEvent
  | { type: "done"; cell: number; outcome: ExecuteOutcome };
