/**
 * `progress` as cells see it: the display layer's `progress` drawing into the
 * cell that started the loop, one output updated in place (a display id:
 * `display_data` first, then `update_display_data`), so the notebook shows a
 * live bar and keeps only its final state when saved. The cell is taken when
 * `progress()` is called, so a loop that goes on in a timer still draws into it;
 * code running outside any cell gets the display layer's stderr lines.
 */
import { progress as displayProgress, progressBundle, stderrSink, type ProgressOptions, type ProgressSink } from "../../display/progress.js";
import { currentCell, outsideCell } from "./cell-context.js";

let barCounter = 0;

/** A sink that draws into the calling cell's output, for `progress` and for the magics' byte bars. */
export function cellProgressSink(): ProgressSink {
  const cell = currentCell();
  if (!cell) return stderrSink();
  const displayId = `tsnnx-progress-${process.pid}-${++barCounter}`;
  let shown = false;
  return {
    draw(state) {
      const update = shown;
      shown = true;
      outsideCell(() => cell.io.display(progressBundle(state), {}, { display_id: displayId }, update));
    },
  };
}

/** The kernel's `progress`: the display layer's, drawing into the calling cell unless a sink is given. */
export const cellProgress: typeof displayProgress = (<T>(items: Iterable<T> | AsyncIterable<T>, options: ProgressOptions = {}) =>
  displayProgress(items as Iterable<T>, { ...options, sink: options.sink ?? cellProgressSink() })) as typeof displayProgress;
