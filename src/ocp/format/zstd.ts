import { Zstd } from "numcodecs";
import { poolAvailable, runOnWorker } from "./zstd-pool.js";

/** Raw zstd frames through numcodecs' wasm build (Node 20's zlib has no zstd). */
type ZstdCodec = ReturnType<typeof Zstd.fromConfig>;
const codecs = new Map<number, ZstdCodec>();

function codec(level: number): ZstdCodec {
  let c = codecs.get(level);
  if (!c) codecs.set(level, (c = Zstd.fromConfig({ level })));
  return c;
}

/** Below this size a frame is cheaper to do here than to ship to a worker. */
const WORKER_THRESHOLD_BYTES = 1 << 20;

export async function zstdCompress(bytes: Uint8Array, level: number): Promise<Uint8Array> {
  if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES) return runOnWorker({ op: "compress", level }, bytes);
  return await codec(level).encode(bytes);
}

/** `what` names the data (a file, a key) in the error when the frame is damaged. */
export async function zstdDecompress(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    if (poolAvailable && bytes.length >= WORKER_THRESHOLD_BYTES / 4) return await runOnWorker({ op: "decompress" }, bytes);
    return await codec(1).decode(bytes);
  } catch (e) {
    throw new Error(`${what}: zstd data is corrupt or truncated (${(e as Error).message ?? e})`);
  }
}
