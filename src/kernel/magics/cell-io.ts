/**
 * Where a runtime magic writes: the cell running it (magics run inside cell
 * code, so the cell context knows which). Calls to the cell's CellIO run
 * outside the cell context, as every kernel-side output does.
 */
import { currentCell, outsideCell } from "../exec/cell-context.js";
import type { CellIO } from "../exec/types.js";

export function currentCellIO(): CellIO {
  const cell = currentCell();
  if (!cell) throw new Error("a magic ran outside a notebook cell: nowhere to show its output");
  const io = cell.io;
  return {
    stream: (name, text) => outsideCell(() => io.stream(name, text)),
    display: (data, metadata, transient, update) => outsideCell(() => io.display(data, metadata, transient, update)),
    clearOutput: (wait) => outsideCell(() => io.clearOutput(wait)),
    requestInput: (prompt, password) => outsideCell(() => io.requestInput(prompt, password)),
    requestInputSync: (prompt, password) => outsideCell(() => io.requestInputSync(prompt, password)),
  };
}

export function print(text: string): void {
  currentCellIO().stream("stdout", text.endsWith("\n") ? text : text + "\n");
}
