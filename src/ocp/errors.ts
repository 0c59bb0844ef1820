/** Errors raised by the checkpoint layer; each names the path or step it concerns. */

/** Saving a step that is already committed (Orbax raises `StepAlreadyExistsError` too). */
export class StepAlreadyExistsError extends Error {
  constructor(readonly step: number, readonly directory: string) {
    super(`Step ${step} already exists in ${directory}; pass { force: true } to save() to replace it`);
    this.name = "StepAlreadyExistsError";
  }
}

/** A restore template and the stored tree disagree; `differences` lists each one. */
export class TreeMismatchError extends Error {
  constructor(readonly differences: string[], where: string) {
    super(
      `The checkpoint at ${where} does not match the restore template (${differences.length} difference${differences.length === 1 ? "" : "s"}):\n` +
        differences.map((d) => `  ${d}`).join("\n") +
        `\nPass { partialRestore: true } to restore only what matches, or { strict: false } to pad/truncate shapes.`,
    );
    this.name = "TreeMismatchError";
  }
}

/** A checkpoint folder or file is missing, unreadable or malformed. */
export class CheckpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CheckpointError";
  }
}
