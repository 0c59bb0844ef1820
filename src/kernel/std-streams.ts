/**
 * What a command does when its stdout or stderr is closed under it (`tsnnx
 * run nb.ipynb | head -5`). Node reports the closed pipe as an `error` event
 * (EPIPE) on the stream; with no listener that is an uncaught exception, and
 * once the executor routes uncaught exceptions to stderr, reporting it writes
 * to the closed pipe again: a loop that never exits and spins a core.
 *
 * Commands (`run`, `test`, `ckpt`) end as a Unix tool killed by SIGPIPE would
 * (`yes | head -1`): at once, silently, with status 141 (128 + SIGPIPE), so
 * `set -o pipefail` scripts see the pipeline was cut short. Node ignores
 * SIGPIPE itself, so the status is set rather than the signal raised. The
 * Jupyter kernel serves its frontend over ZeroMQ, not these streams: for it a
 * closed stderr only means its log is no longer read, so it drops the text.
 */
export type OnClosedStream = "exit" | "drop";

/** 128 + SIGPIPE (13): what a shell reports for a process ended by a closed pipe. */
export const CLOSED_PIPE_EXIT_CODE = 141;

let guarded = false;

export function guardStdStreams(onClosed: OnClosedStream): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    // Any write error on these means the reader is gone; once destroyed, later writes fail into this listener too.
    stream.on("error", () => {
      if (onClosed === "exit") process.exit(CLOSED_PIPE_EXIT_CODE);
    });
  }
}
