/**
 * The one background write a checkpointer may have in flight. Its failure is
 * kept and thrown by the next `wait()` (a later save, waitUntilFinished or
 * close), never swallowed.
 */
export class BackgroundWork {
  private pending: Promise<void> | undefined;

  /** Runs `work` in the background; call `wait()` first so writes never overlap. */
  start(work: () => Promise<void>): void {
    const running = work();
    // The rejection is observed by wait(); this only keeps Node from reporting it as unhandled meanwhile.
    running.catch(() => undefined);
    this.pending = running;
  }

  /** Waits for the write in flight, rethrowing its error once. */
  async wait(): Promise<void> {
    const running = this.pending;
    if (running === undefined) return;
    try {
      await running;
    } finally {
      if (this.pending === running) this.pending = undefined;
    }
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }
}
