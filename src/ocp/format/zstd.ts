import { createRequire } from "node:module";
import { Zstd } from "numcodecs";
import { poolAvailable, runOnWorker } from "./zstd-pool.js";

/**
 * Raw zstd frames (Node 20's zlib has no zstd). The engine is libzstd through
 * @toondepauw/node-zstd, a Node-API addon whose prebuilt binary ships inside
 * its npm package (nothing is downloaded at install): measured here it
 * compresses 5-8x faster per core than numcodecs' wasm build and runs on
 * libuv's thread pool, so big saves use every core without our own workers.
 * Where no prebuilt binary exists for the platform, numcodecs' wasm (spread
 * over a worker pool) does the same job, slower.
 */
interface NativeZstd {
  Encoder: new (level: number) => { encode(data: Buffer): Promise<Buffer> };
  Decoder: new () => { decode(data: Buffer): Promise<Buffer> };
}

function loadNative(): NativeZstd | undefined {
  try {
    return createRequire(import.meta.url)("@toondepauw/node-zstd") as NativeZstd;
  } catch {
    return undefined;
  }
}

const native = process.env.TSNNX_ZSTD === "wasm" ? undefined : loadNative();

/** Which implementation runs: "native" (libzstd) or "wasm" (numcodecs, TSNNX_ZSTD=wasm forces it). */
export const zstdEngine: "native" | "wasm" = native ? "native" : "wasm";

type WasmCodec = ReturnType<typeof Zstd.fromConfig>;
const wasmCodecs = new Map<number, WasmCodec>();
const nativeEncoders = new Map<number, InstanceType<NativeZstd["Encoder"]>>();
let nativeDecoder: InstanceType<NativeZstd["Decoder"]> | undefined;

function wasmCodec(level: number): WasmCodec {
  let c = wasmCodecs.get(level);
  if (!c) wasmCodecs.set(level, (c = Zstd.fromConfig({ level })));
  return c;
}

/** The addon takes Buffers: a view over the same memory, no copy. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
/** Callers treat results as plain Uint8Arrays (whose slice() copies, unlike Buffer's). */
const asPlain = (buf: Buffer) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);

/** Below this size a wasm frame is cheaper to do here than to ship to a worker. */
const WORKER_THRESHOLD_BYTES = 1 << 20;

export async function zstdCompress(bytes: Uint8Array, level: number): Promise<Uint8Array> {
  if (native) {
    let encoder = nativeEncoders.get(level);
    if (!encoder) nativeEncoders.set(level, (encoder = new native.Encoder(level)));
    return asPlain(await encoder.encode(asBuffer(bytes)));
  }
  if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES) return runOnWorker({ op: "compress", level }, bytes);
  return await wasmCodec(level).encode(bytes);
}

/** `what` names the data (a file, a key) in the error when the frame is damaged. */
export async function zstdDecompress(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    if (native) return asPlain(await (nativeDecoder ??= new native.Decoder()).decode(asBuffer(bytes)));
    if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES / 4) return await runOnWorker({ op: "decompress" }, bytes);
    return await wasmCodec(1).decode(bytes);
  } catch (e) {
    throw new Error(`${what}: zstd data is corrupt or truncated (${(e as Error).message ?? e})`);
  }
}
