/**
 * Routes console and process.stdout/stderr output of cell code to the cell
 * that produced it (see cell-context.ts). Output of code outside any cell
 * (the kernel itself) goes where it always went.
 */
import { formatWithOptions, inspect } from "node:util";
import { currentCell, outsideCell } from "./cell-context.js";

type StreamName = "stdout" | "stderr";

const CONSOLE_STREAMS: Record<string, StreamName> = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  error: "stderr",
  warn: "stderr",
};

let installed = false;

function deliver(stream: StreamName, text: string): void {
  const cell = currentCell();
  if (cell) outsideCell(() => cell.io.stream(stream, text));
}

/** Installs the routing once per process. */
export function installOutputRouting(): void {
  if (installed) return;
  installed = true;
  const target = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [method, stream] of Object.entries(CONSOLE_STREAMS)) {
    const original = target[method]!.bind(console);
    target[method] = (...args: unknown[]) => {
      if (!currentCell()) return original(...args);
      deliver(stream, formatWithOptions({ colors: false }, ...args) + "\n");
    };
  }
  const originalDir = console.dir.bind(console);
  console.dir = (value: unknown, options?: object) => {
    if (!currentCell()) return originalDir(value, options);
    deliver("stdout", inspect(value, { ...options, colors: false }) + "\n");
  };
  routeStream(process.stdout, "stdout");
  routeStream(process.stderr, "stderr");
}

function routeStream(stream: NodeJS.WriteStream, name: StreamName): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!currentCell()) return original(chunk, ...rest);
    deliver(name, typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}
