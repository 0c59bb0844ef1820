/**
 * TypeScript cell execution for the tsnnx kernel, independent of the wire
 * protocol: the server calls `createExecutor` once (lazily, after start-up)
 * and drives the returned `Executor` with a `CellIO` per request.
 */
export { createExecutor, INTERRUPTED } from "./executor.js";
export { quietCellIO } from "./quiet-io.js";
export type { CreateExecutorOptions } from "./executor.js";
export type {
  CellIO,
  CompleteReply,
  ErrorContent,
  ExecuteOptions,
  ExecuteOutcome,
  Executor,
  InspectReply,
  IsCompleteReply,
  MimeBundle,
} from "./types.js";
export type { Display, DisplayOptions } from "./display.js";
export { UsageError } from "../magics/index.js";
export type { MagicContext, MagicHandler, NotebookBindings } from "../magics/index.js";
