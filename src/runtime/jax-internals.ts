/**
 * jax-js's backend objects, which its public API does not expose: its entry
 * module imports an internal `getBackend` from a bundle chunk with a hashed
 * name. Found by reading that import line; undefined where the bundle is laid
 * out differently (another jax-js build), so callers keep a public fallback.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Returns the backend object of a device ("wasm", "webgpu", "cpu"); throws for a device jax-js has not initialized. */
export type GetBackend = (device: string) => object;

let lookup: Promise<GetBackend | undefined> | undefined;

async function findGetBackend(): Promise<GetBackend | undefined> {
  try {
    const entry = fileURLToPath(import.meta.resolve("@jax-js/jax"));
    const source = await readFile(entry, "utf8");
    const imported = /import \{([^}]*)\} from "\.\/(backend-[\w-]+\.js)"/.exec(source);
    const alias = imported && /\b(\w+) as getBackend\b/.exec(imported[1]!);
    if (!imported || !alias) return undefined;
    const chunk = (await import(pathToFileURL(join(dirname(entry), imported[2]!)).href)) as Record<string, unknown>;
    const getBackend = chunk[alias[1]!];
    return typeof getBackend === "function" ? (getBackend as GetBackend) : undefined;
  } catch {
    return undefined;
  }
}

/** jax-js's `getBackend`, or undefined where it cannot be reached. */
export function internalGetBackend(): Promise<GetBackend | undefined> {
  return (lookup ??= findGetBackend());
}
