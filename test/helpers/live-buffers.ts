/**
 * Counts live device buffers. jax-js has no public counter, but every array's
 * storage is a backend "slot" made by `backend.malloc`, shared through
 * `incRef` and freed when `decRef` brings it to zero. The backend objects are
 * reachable through jax-js's internal `getBackend`, which its public entry
 * imports from a hashed chunk: we find that chunk and name in the entry's
 * import line, then wrap the three methods on each backend instance and keep
 * our own reference counts. A slot made before the hook is not counted.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface Backend {
  malloc(size: number, initialData?: Uint8Array): number;
  incRef(slot: number): void;
  decRef(slot: number): void;
}

type GetBackend = (device?: string) => Backend;

async function loadGetBackend(): Promise<GetBackend> {
  const entry = fileURLToPath(import.meta.resolve("@jax-js/jax"));
  const source = await readFile(entry, "utf8");
  const match = /import \{([^}]*)\} from "\.\/(backend-[\w-]+\.js)"/.exec(source);
  const alias = match && /\b(\w+) as getBackend\b/.exec(match[1]!);
  if (!match || !alias) {
    throw new Error(`live-buffers: cannot find getBackend in ${entry}; jax-js's bundle layout changed`);
  }
  const chunk = (await import(pathToFileURL(join(dirname(entry), match[2]!)).href)) as Record<string, unknown>;
  const getBackend = chunk[alias[1]!];
  if (typeof getBackend !== "function") throw new Error(`live-buffers: ${match[2]} does not export getBackend as ${alias[1]}`);
  return getBackend as GetBackend;
}

const getBackend = await loadGetBackend();
const counts = new Map<Backend, Map<number, number>>();

function hook(backend: Backend): Map<number, number> {
  const existing = counts.get(backend);
  if (existing) return existing;
  const refs = new Map<number, number>();
  counts.set(backend, refs);
  const { malloc, incRef, decRef } = backend;
  backend.malloc = function (size, initialData) {
    const slot = malloc.call(this, size, initialData);
    refs.set(slot, 1);
    return slot;
  };
  backend.incRef = function (slot) {
    incRef.call(this, slot);
    const n = refs.get(slot);
    if (n !== undefined) refs.set(slot, n + 1);
  };
  backend.decRef = function (slot) {
    decRef.call(this, slot);
    const n = refs.get(slot);
    if (n === undefined) return;
    if (n <= 1) refs.delete(slot);
    else refs.set(slot, n - 1);
  };
  return refs;
}

/**
 * Start counting on `device` (idempotent) and return the number of live
 * buffers allocated there since counting started.
 */
export function liveBuffers(device: string): number {
  return hook(getBackend(device)).size;
}
