/**
 * The progress of a `%save` / `%restore`, in bytes, in one output updated in
 * place (a display id), at most ten times a second, ending at 100%. The
 * checkpoint layer reports `ProgressEvent`s; this turns them into that output.
 */
import type { ProgressEvent } from "../../ocp/index.js";
import { formatBytes } from "../../ocp/inspect.js";
import type { CellIO } from "../exec/types.js";

const MIN_INTERVAL_MS = 100;
const BAR_WIDTH = 24;
let displayCounter = 0;

export interface ByteProgress {
  update(event: ProgressEvent): void;
  /** Draws the final state (100% when everything was written). */
  finish(): void;
}

export function byteProgress(io: CellIO, label: string): ByteProgress {
  const displayId = `tsnnx-magic-progress-${process.pid}-${++displayCounter}`;
  const began = performance.now();
  let last: ProgressEvent | null = null;
  let drawnAt = -Infinity;
  let shown = false;
  const draw = (): void => {
    if (!last) return;
    drawnAt = performance.now();
    io.display({ "text/plain": progressLine(label, last.doneBytes, last.totalBytes, (drawnAt - began) / 1000) }, {}, { display_id: displayId }, shown);
    shown = true;
  };
  return {
    update(event) {
      last = event;
      if (performance.now() - drawnAt >= MIN_INTERVAL_MS) draw();
    },
    finish() {
      if (last && last.doneBytes !== last.totalBytes) last = { ...last, doneBytes: last.totalBytes };
      draw();
    },
  };
}

/** `Saving step 3 |██████░░░░| 60% 1.2 MiB / 2.0 MiB, 300.0 MiB/s, 0.4 s left`. */
function progressLine(label: string, done: number, total: number, seconds: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const rate = seconds > 0 ? done / seconds : 0;
  const left = rate > 0 && fraction < 1 ? `, ${((total - done) / rate).toFixed(1)} s left` : "";
  return (
    `${label} |${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}| ${Math.floor(fraction * 100)}% ` +
    `${formatBytes(done)} / ${formatBytes(total)}${rate > 0 ? `, ${formatBytes(Math.round(rate))}/s` : ""}${left}`
  );
}
