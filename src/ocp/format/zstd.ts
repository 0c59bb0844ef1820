import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Zstd } from "numcodecs";
import type { HeldBytes } from "./types.js";
import { poolAvailable, runOnWorker } from "./zstd-pool.js";

/**
 * Raw zstd frames (Node 20's zlib has no zstd), from the first engine found:
 * - "libzstd": our Node-API shim over the system's libzstd (libzstd-shim.c,
 *   built by `npm run build` where a C compiler is found). It compresses and
 *   decodes into memory the caller chooses, which is what makes large
 *   checkpoints fast: see the shim for the measurements.
 * - "node-zstd": @toondepauw/node-zstd, whose prebuilt binary ships inside
 *   its npm package. Same libzstd, but every call returns fresh memory.
 * - "wasm": numcodecs' wasm build (spread over a worker pool), slower still,
 *   where neither binary loads.
 * All run off the main thread (libuv's pool, or the workers).
 * TSNNX_ZSTD=node-zstd or wasm picks a later engine.
 */
interface Shim {
  compressInto(source: Uint8Array, destination: Uint8Array, level: number): Promise<number>;
  decompressInto(source: Uint8Array, destination: Uint8Array): Promise<number>;
  compressBound(size: number): number;
  frameContentSize(frame: Uint8Array): number;
}

interface Binding {
  Encoder: new (level: number) => { encode(data: Buffer): Promise<Buffer> };
  Decoder: new () => { decode(data: Buffer): Promise<Buffer> };
}

const require = createRequire(import.meta.url);
const choice = process.env.TSNNX_ZSTD;

function loadShim(): Shim | undefined {
  if (choice === "node-zstd" || choice === "wasm") return undefined;
  const here = dirname(fileURLToPath(import.meta.url));
  // Built next to the compiled zstd.js; run from source (tsx), it is found in the dist/ mirror.
  for (const file of [join(here, "libzstd-shim.node"), join(here, "../../../dist/src/ocp/format/libzstd-shim.node")]) {
    try {
      return require(file) as Shim;
    } catch {
      // not built here (or not loadable): try the next place, then the binding
    }
  }
  return undefined;
}

function loadBinding(): Binding | undefined {
  if (choice === "wasm") return undefined;
  try {
    return require("@toondepauw/node-zstd") as Binding;
  } catch {
    return undefined;
  }
}

const shim = loadShim();
const binding = loadBinding();

export const zstdEngine: "libzstd" | "node-zstd" | "wasm" = shim ? "libzstd" : binding ? "node-zstd" : "wasm";

/**
 * The largest chunk a writer should cut compressed arrays into. With the
 * shim, 4 MiB: its buffers are then reused from chunk to chunk, a chunk is
 * written while the next ones compress, and reads decode each one in place
 * (measured on 4 x 64 MiB: saves about 1.3x and loads about 1.45x faster than
 * whole arrays through the binding). The other engines return fresh memory
 * for every chunk, and there chunking made loads slower (an extra copy of
 * every array), so arrays stay whole, up to what 32-bit wasm can hold beside
 * a compressed copy.
 */
export const zstdChunkBytes = shim ? 4 * 2 ** 20 : 2 ** 28;

type WasmCodec = ReturnType<typeof Zstd.fromConfig>;
const wasmCodecs = new Map<number, WasmCodec>();
const encoders = new Map<number, InstanceType<Binding["Encoder"]>>();
let decoder: InstanceType<Binding["Decoder"]> | undefined;

function wasmCodec(level: number): WasmCodec {
  let c = wasmCodecs.get(level);
  if (!c) wasmCodecs.set(level, (c = Zstd.fromConfig({ level })));
  return c;
}

/** The binding takes Buffers: a view over the same memory, no copy. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
/** Callers treat results as plain Uint8Arrays (whose slice() copies, unlike Buffer's). */
const asPlain = (buf: Buffer) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
/** Memory for the shim to fill: not zeroed, and never a slice of Node's shared small-buffer pool. */
const uninitialized = (size: number) => asPlain(Buffer.allocUnsafeSlow(size));

/** Below this size a wasm frame is cheaper to do here than to ship to a worker. */
const WORKER_THRESHOLD_BYTES = 1 << 20;

export async function zstdCompress(bytes: Uint8Array, level: number): Promise<Uint8Array> {
  if (shim) {
    const out = uninitialized(shim.compressBound(bytes.length));
    return out.subarray(0, await shim.compressInto(bytes, out, level));
  }
  if (binding) {
    let encoder = encoders.get(level);
    if (!encoder) encoders.set(level, (encoder = new binding.Encoder(level)));
    return asPlain(await encoder.encode(asBuffer(bytes)));
  }
  if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES) return runOnWorker({ op: "compress", level }, bytes);
  return await wasmCodec(level).encode(bytes);
}

/**
 * Compresses into buffers it reuses: each result's buffer goes back to the
 * pool on `release()`, so a writer that releases each chunk once it is on
 * disk keeps compressing into memory that is already mapped. Without the shim
 * every result is fresh memory and `release()` does nothing.
 */
export function reusingZstdCompressor(level: number): { compress(bytes: Uint8Array): Promise<HeldBytes> } {
  const free: Uint8Array[] = [];
  return {
    async compress(bytes) {
      if (!shim) return { bytes: await zstdCompress(bytes, level), release: () => undefined };
      const bound = shim.compressBound(bytes.length);
      const at = free.findIndex((b) => b.length >= bound);
      const buffer = at >= 0 ? free.splice(at, 1)[0] : uninitialized(bound);
      let size: number;
      try {
        size = await shim.compressInto(bytes, buffer, level);
      } catch (e) {
        free.push(buffer);
        throw e;
      }
      let released = false;
      return {
        bytes: buffer.subarray(0, size),
        release: () => {
          if (!released) free.push(buffer);
          released = true;
        },
      };
    },
  };
}

function corrupt(what: string, e: unknown): Error {
  return new Error(`${what}: zstd data is corrupt or truncated (${(e as Error).message ?? e})`);
}

/** Decodes through the shim into `into`, which the frame's header says it fills exactly. */
async function shimDecodeInto(s: Shim, bytes: Uint8Array, into: Uint8Array): Promise<void> {
  const decoded = await s.decompressInto(bytes, into);
  // A frame whose header size is right but whose data ends early still decodes "successfully" into less.
  if (decoded !== into.length) throw new Error(`${decoded} bytes decoded, the frame header says ${into.length}`);
}

/** `what` names the data (a file, a key) in the error when the frame is damaged. */
export async function zstdDecompress(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    const size = shim?.frameContentSize(bytes) ?? -1;
    if (size === -2) throw new Error("not a zstd frame");
    if (shim && size >= 0) {
      const out = uninitialized(size);
      await shimDecodeInto(shim, bytes, out);
      return out;
    }
    // Frames whose header omits the decoded size are streamed by the binding.
    if (binding) return asPlain(await (decoder ??= new binding.Decoder()).decode(asBuffer(bytes)));
    if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES / 4) return await runOnWorker({ op: "decompress" }, bytes);
    return await wasmCodec(1).decode(bytes);
  } catch (e) {
    throw corrupt(what, e);
  }
}

/**
 * Decodes a frame straight into `into` when the shim runs and the frame's
 * header says it holds exactly `into.length` bytes; false (nothing written)
 * otherwise, and the caller decodes into fresh memory instead.
 */
export async function zstdDecompressInto(bytes: Uint8Array, into: Uint8Array, what: string): Promise<boolean> {
  if (!shim || shim.frameContentSize(bytes) !== into.length) return false;
  try {
    await shimDecodeInto(shim, bytes, into);
  } catch (e) {
    throw corrupt(what, e);
  }
  return true;
}
