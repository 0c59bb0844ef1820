import { ByteReader } from "./bytes.js";

/** A msgpack extension value: Flax stores numpy arrays and scalars this way. */
export interface MsgpackExt {
  ext: number;
  data: Uint8Array;
}

export type MsgpackValue = null | boolean | number | bigint | string | Uint8Array | MsgpackExt | MsgpackValue[] | Map<string | number, MsgpackValue>;

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Decodes one msgpack value; the whole buffer must be consumed. Integers beyond 2^53 come back as bigint. */
export function decodeMsgpack(bytes: Uint8Array, what: string): MsgpackValue {
  const r = new ByteReader(bytes, what);
  const value = readValue(r, 0);
  if (r.remaining !== 0) throw new Error(`${what}: ${r.remaining} bytes of trailing data after the msgpack value (corrupt)`);
  return value;
}

function int64(r: ByteReader, signed: boolean): number | bigint {
  const b = r.take(8);
  const view = new DataView(b.buffer, b.byteOffset, 8);
  const v = signed ? view.getBigInt64(0) : view.getBigUint64(0);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function readValue(r: ByteReader, depth: number): MsgpackValue {
  if (depth > 512) throw new Error(`${r.what}: msgpack nesting too deep (corrupt)`);
  const t = r.u8();
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  if ((t & 0xf0) === 0x80) return readMap(r, t & 0x0f, depth);
  if ((t & 0xf0) === 0x90) return readArray(r, t & 0x0f, depth);
  if ((t & 0xe0) === 0xa0) return utf8.decode(r.take(t & 0x1f));
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return new Uint8Array(r.take(r.u8()));
    case 0xc5: return new Uint8Array(r.take(r.u16be()));
    case 0xc6: return new Uint8Array(r.take(r.u32be()));
    case 0xc7: { const n = r.u8(); return ext(r, n); }
    case 0xc8: { const n = r.u16be(); return ext(r, n); }
    case 0xc9: { const n = r.u32be(); return ext(r, n); }
    case 0xca: { const b = r.take(4); return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0); }
    case 0xcb: { const b = r.take(8); return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0); }
    case 0xcc: return r.u8();
    case 0xcd: return r.u16be();
    case 0xce: return r.u32be();
    case 0xcf: return int64(r, false);
    case 0xd0: { const v = r.u8(); return v >= 0x80 ? v - 0x100 : v; }
    case 0xd1: { const v = r.u16be(); return v >= 0x8000 ? v - 0x10000 : v; }
    case 0xd2: { const v = r.u32be(); return v >= 0x80000000 ? v - 0x100000000 : v; }
    case 0xd3: return int64(r, true);
    case 0xd4: return ext(r, 1);
    case 0xd5: return ext(r, 2);
    case 0xd6: return ext(r, 4);
    case 0xd7: return ext(r, 8);
    case 0xd8: return ext(r, 16);
    case 0xd9: return utf8.decode(r.take(r.u8()));
    case 0xda: return utf8.decode(r.take(r.u16be()));
    case 0xdb: return utf8.decode(r.take(r.u32be()));
    case 0xdc: return readArray(r, r.u16be(), depth);
    case 0xdd: return readArray(r, r.u32be(), depth);
    case 0xde: return readMap(r, r.u16be(), depth);
    case 0xdf: return readMap(r, r.u32be(), depth);
    default: throw new Error(`${r.what}: invalid msgpack type byte 0x${t.toString(16)} at offset ${r.offset - 1}`);
  }
}

function ext(r: ByteReader, length: number): MsgpackExt {
  const type = r.u8();
  return { ext: type >= 0x80 ? type - 0x100 : type, data: new Uint8Array(r.take(length)) };
}

function readArray(r: ByteReader, n: number, depth: number): MsgpackValue[] {
  const out: MsgpackValue[] = [];
  for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
  return out;
}

function readMap(r: ByteReader, n: number, depth: number): Map<string | number, MsgpackValue> {
  const out = new Map<string | number, MsgpackValue>();
  for (let i = 0; i < n; i++) {
    const key = readValue(r, depth + 1);
    if (typeof key !== "string" && typeof key !== "number") throw new Error(`${r.what}: unsupported msgpack map key ${String(key)}`);
    out.set(key, readValue(r, depth + 1));
  }
  return out;
}
