/** Progress of a long save or restore, in bytes, for the kernel and the CLI to draw. */
export interface ProgressEvent {
  phase: "save" | "restore";
  /** The checkpoint (or step) folder being written or read. */
  path: string;
  doneBytes: number;
  totalBytes: number;
}

export type OnProgress = (event: ProgressEvent) => void;
