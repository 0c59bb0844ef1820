import { ByteReader, ByteWriter } from "../bytes.js";
import { crc32c } from "../crc32c.js";
import { zstdCompress, zstdDecompress } from "../zstd.js";

/**
 * The envelope shared by every OCDBT structure (manifest, version tree node,
 * B+tree node): big-endian magic, uint64le total length, varint version and
 * compression, a body (raw or zstd), and a CRC-32C footer over all that precedes it.
 */
export const MANIFEST_MAGIC = 0x0cdb3a2a;
export const VERSION_NODE_MAGIC = 0x0cdb1234;
export const BTREE_NODE_MAGIC = 0x0cdb20de;

const MAGIC_NAMES: Record<number, string> = {
  [MANIFEST_MAGIC]: "manifest",
  [VERSION_NODE_MAGIC]: "version tree node",
  [BTREE_NODE_MAGIC]: "B+tree node",
};

export async function decodeEncodedNode(bytes: Uint8Array, magic: number, what: string): Promise<Uint8Array> {
  const kind = MAGIC_NAMES[magic];
  if (bytes.length < 4 + 8 + 2 + 4) throw new Error(`${what}: OCDBT ${kind} is truncated (${bytes.length} bytes)`);
  const r = new ByteReader(bytes, what);
  const found = r.u32be();
  if (found !== magic) {
    throw new Error(`${what}: not an OCDBT ${kind} (magic 0x${found.toString(16).padStart(8, "0")}, expected 0x${magic.toString(16)})`);
  }
  const length = r.u64le();
  if (length !== bytes.length) {
    throw new Error(`${what}: OCDBT ${kind} length field says ${length} bytes but ${bytes.length} are present (truncated or corrupt)`);
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const actual = crc32c(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) {
    throw new Error(`${what}: OCDBT ${kind} CRC-32C mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}): the data is corrupt`);
  }
  const version = r.varint();
  if (version !== 0) throw new Error(`${what}: unsupported OCDBT ${kind} version ${version}`);
  const compression = r.varint();
  const body = bytes.subarray(r.offset, bytes.length - 4);
  if (compression === 0) return body;
  if (compression === 1) return zstdDecompress(body, what);
  throw new Error(`${what}: unknown OCDBT compression format ${compression}`);
}

export async function encodeEncodedNode(magic: number, body: Uint8Array, zstdLevel: number | undefined): Promise<Uint8Array> {
  const payload = zstdLevel === undefined ? body : await zstdCompress(body, zstdLevel);
  const w = new ByteWriter();
  w.u32be(magic);
  // The length includes the two one-byte varints and the footer.
  w.u64le(4 + 8 + 1 + 1 + payload.length + 4);
  w.varint(0);
  w.varint(zstdLevel === undefined ? 0 : 1);
  w.bytes(payload);
  const head = w.finish();
  const out = new Uint8Array(head.length + 4);
  out.set(head);
  new DataView(out.buffer).setUint32(head.length, crc32c(head), true);
  return out;
}
