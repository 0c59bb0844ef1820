/**
 * Collects a cell's outputs as nbformat stores them: adjacent stream text
 * merged, `clear_output(wait)` applied at the next output, display updates
 * applied to every output shown with that display id (in any cell).
 * Updates reach the terminal at most every few seconds per display, and the
 * last one when the cell ends, so a progress bar's log shows where it got to
 * without a line per redraw.
 */
import type { ErrorContent, MimeBundle } from "../exec/types.js";
import type { Output } from "./notebook-file.js";

type Shown = { data: MimeBundle; metadata: Record<string, unknown> };
/** Fewest milliseconds between two echoed updates of one display. */
const ECHO_INTERVAL_MS = 5000;
/** Outputs shown with a display id, across the notebook's cells: an update replaces all of them. */
export type DisplayedOutputs = Map<string, Shown[]>;

export class CellRecorder {
  readonly outputs: Output[] = [];
  #clearPending = false;
  /** Per display id: when an update was last echoed, and the newest one not echoed yet. */
  readonly #echoes = new Map<string, { at: number; pending: string | null }>();

  constructor(
    private readonly displays: DisplayedOutputs,
    private readonly echo: (text: string, stream: "stdout" | "stderr") => void,
  ) {}

  #push(output: Output): void {
    if (this.#clearPending) {
      this.outputs.length = 0;
      this.#clearPending = false;
    }
    const last = this.outputs.at(-1);
    if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
      last.text += output.text;
    } else this.outputs.push(output);
  }

  stream(name: "stdout" | "stderr", text: string): void {
    this.#push({ output_type: "stream", name, text });
    this.echo(text, name);
  }

  display(data: MimeBundle, metadata: Record<string, unknown>, displayId: string | undefined, update: boolean): void {
    if (update) {
      for (const shown of (displayId && this.displays.get(displayId)) || []) {
        shown.data = data;
        shown.metadata = metadata;
      }
      if (displayId) this.#echoUpdate(displayId, plainText(data));
      return;
    }
    const output: Output = { output_type: "display_data", data, metadata };
    this.#push(output);
    if (displayId) {
      this.displays.set(displayId, [...(this.displays.get(displayId) ?? []), output]);
      this.#echoes.set(displayId, { at: Date.now(), pending: null });
    }
    this.echo(plainText(data), "stdout");
  }

  #echoUpdate(displayId: string, text: string): void {
    const echoed = this.#echoes.get(displayId) ?? { at: 0, pending: null };
    const now = Date.now();
    if (now - echoed.at < ECHO_INTERVAL_MS) {
      this.#echoes.set(displayId, { at: echoed.at, pending: text });
      return;
    }
    this.#echoes.set(displayId, { at: now, pending: null });
    this.echo(text, "stdout");
  }

  /** The cell ended: echo each display's newest update that the terminal has not seen. */
  finish(): void {
    for (const [displayId, echoed] of this.#echoes) {
      if (echoed.pending !== null) this.echo(echoed.pending, "stdout");
      this.#echoes.set(displayId, { at: echoed.at, pending: null });
    }
  }

  clearOutput(wait: boolean): void {
    if (wait) this.#clearPending = true;
    else this.outputs.length = 0;
  }

  error(content: ErrorContent): void {
    this.#push({ output_type: "error", ...content });
    this.echo(content.traceback.join("\n") + "\n", "stderr");
  }

  result(executionCount: number, data: MimeBundle, metadata: Record<string, unknown>): void {
    this.#push({ output_type: "execute_result", execution_count: executionCount, data, metadata });
    this.echo(plainText(data), "stdout");
  }
}

function plainText(data: MimeBundle): string {
  const text = data["text/plain"];
  return typeof text === "string" ? text + "\n" : `[${Object.keys(data).join(", ")}]\n`;
}
