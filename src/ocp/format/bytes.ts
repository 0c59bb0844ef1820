/** Cursor over a byte buffer for the binary formats here (OCDBT, msgpack, shard indexes). */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** Names the source in errors, e.g. a file path. */
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw new Error(`${this.what}: truncated (needed ${n} more bytes at offset ${this.offset}, have ${this.remaining})`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }

  u16be(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32be(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i32le(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** 64-bit little-endian unsigned, as a number (exact up to 2^53; larger is an error). */
  u64le(): number {
    this.need(8);
    return this.safe(this.view.getBigUint64(this.offset, true), 8);
  }

  private safe(v: bigint, size: number): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${this.what}: integer ${v} at offset ${this.offset} is too large`);
    this.offset += size;
    return Number(v);
  }

  /** Unsigned LEB128 varint, up to 2^53. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (result > Number.MAX_SAFE_INTEGER) throw new Error(`${this.what}: varint too large at offset ${this.offset}`);
        return result;
      }
      scale *= 128;
    }
    throw new Error(`${this.what}: malformed varint at offset ${this.offset}`);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** Growable output buffer, the writing twin of ByteReader. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32be(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.length, v);
    this.length += 4;
  }

  i32le(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setInt32(this.length, v, true);
    this.length += 4;
  }

  u64le(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }

  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`varint out of range: ${v}`);
    while (v >= 0x80) {
      this.u8((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.u8(v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
