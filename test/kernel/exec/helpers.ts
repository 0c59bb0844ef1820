/** A notebook driven straight through the Executor, with every output recorded. */
import os from "node:os";
import { createExecutor, type CellIO, type ErrorContent, type ExecuteOutcome, type Executor, type MimeBundle } from "../../../src/kernel/exec/index.js";

export type Output =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display"; data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string }; update: boolean }
  | { type: "clear"; wait: boolean }
  | { type: "error"; content: ErrorContent };

export class RecordingIO implements CellIO {
  readonly outputs: Output[] = [];
  readonly prompts: { prompt: string; password: boolean }[] = [];
  constructor(private readonly answers: string[] = []) {}

  stream(name: "stdout" | "stderr", text: string): void {
    this.outputs.push({ type: "stream", name, text });
  }
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void {
    this.outputs.push({ type: "display", data, metadata, transient, update });
  }
  clearOutput(wait: boolean): void {
    this.outputs.push({ type: "clear", wait });
  }
  requestInput(prompt: string, password: boolean): Promise<string> {
    try {
      return Promise.resolve(this.requestInputSync(prompt, password));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  requestInputSync(prompt: string, password: boolean): string {
    this.prompts.push({ prompt, password });
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error("stdin is not allowed by this frontend");
    return answer;
  }
  error(content: ErrorContent): void {
    this.outputs.push({ type: "error", content });
  }

  /** Everything written to one stream, concatenated. */
  text(name: "stdout" | "stderr" = "stdout"): string {
    return this.outputs.map((o) => (o.type === "stream" && o.name === name ? o.text : "")).join("");
  }
  displays(): Extract<Output, { type: "display" }>[] {
    return this.outputs.filter((o): o is Extract<Output, { type: "display" }> => o.type === "display");
  }
}

export interface CellRun {
  outcome: ExecuteOutcome;
  io: RecordingIO;
}

export class Notebook {
  private count = 0;
  constructor(readonly executor: Executor) {}

  static async open(cwd = os.tmpdir()): Promise<Notebook> {
    return new Notebook(await createExecutor({ cwd }));
  }

  async run(code: string, io = new RecordingIO()): Promise<CellRun> {
    const outcome = await this.executor.execute(code, io, { silent: false, storeHistory: true, executionCount: ++this.count });
    return { outcome, io };
  }

  /** Runs a cell that must succeed; returns its result's text/plain (undefined without a result). */
  async value(code: string): Promise<string | undefined> {
    const { outcome } = await this.run(code);
    if (outcome.status !== "ok") throw new Error(`cell failed: ${JSON.stringify(outcome)}\n${code}`);
    return outcome.result?.data["text/plain"] as string | undefined;
  }

  /** Runs a cell that must fail; returns its error. */
  async error(code: string): Promise<ErrorContent> {
    const { outcome } = await this.run(code);
    if (outcome.status !== "error") throw new Error(`cell did not fail: ${JSON.stringify(outcome)}\n${code}`);
    return outcome;
  }

  get executionCount(): number {
    return this.count;
  }
}
