import { gunzipSync, inflateSync } from "node:zlib";
import { crc32c } from "../crc32c.js";
import { zstdDecompress } from "../zstd.js";

/** Undoes one bytes-to-bytes compression step named the way zarr v2 (`id`) or v3 (`name`) names it. */
export async function decompress(name: string, bytes: Uint8Array, what: string): Promise<Uint8Array> {
  switch (name) {
    case "zstd":
      return zstdDecompress(bytes, what);
    case "gzip":
      return inflate(() => gunzipSync(bytes), what);
    case "zlib":
      return inflate(() => inflateSync(bytes), what);
    default:
      throw new Error(`${what}: unsupported compressor/codec ${JSON.stringify(name)}`);
  }
}

function inflate(run: () => Uint8Array, what: string): Uint8Array {
  try {
    return run();
  } catch (e) {
    throw new Error(`${what}: compressed data is corrupt or truncated (${(e as Error).message})`);
  }
}

/** Strips and checks a trailing little-endian CRC-32C (zarr v3's `crc32c` codec). */
export function checkCrc32c(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length < 4) throw new Error(`${what}: too short to hold a CRC-32C checksum (truncated)`);
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + body.length, 4).getUint32(0, true);
  const actual = crc32c(body);
  if (stored !== actual) throw new Error(`${what}: CRC-32C mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}): the data is corrupt`);
  return body;
}
