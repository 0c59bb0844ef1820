/**
 * Collects a cell's outputs as nbformat stores them: adjacent stream text
 * merged, `clear_output(wait)` applied at the next output, display updates
 * applied to every output shown with that display id (in any cell).
 */
import type { ErrorContent, MimeBundle } from "../exec/types.js";
import type { Output } from "./notebook-file.js";

type Shown = { data: MimeBundle; metadata: Record<string, unknown> };
/** Outputs shown with a display id, across the notebook's cells: an update replaces all of them. */
export type DisplayedOutputs = Map<string, Shown[]>;

export class CellRecorder {
  readonly outputs: Output[] = [];
  #clearPending = false;

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
      return;
    }
    const output: Output = { output_type: "display_data", data, metadata };
    this.#push(output);
    if (displayId) this.displays.set(displayId, [...(this.displays.get(displayId) ?? []), output]);
    this.echo(plainText(data), "stdout");
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
