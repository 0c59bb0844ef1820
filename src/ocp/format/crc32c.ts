/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as OCDBT and zarr v3's `crc32c` codec use it. */
const table = (() => {
  const t = new Uint32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  // Slicing-by-4 tables: four bytes per step keeps checksumming large chunks cheap.
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let s = 1; s < 4; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

export function crc32c(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  let i = 0;
  const end4 = bytes.length - (bytes.length % 4);
  for (; i < end4; i += 4) {
    crc ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    crc =
      table[768 + (crc & 0xff)] ^
      table[512 + ((crc >>> 8) & 0xff)] ^
      table[256 + ((crc >>> 16) & 0xff)] ^
      table[crc >>> 24];
  }
  for (; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
