/**
 * Draws the kernelspec logos (kernel/logo-32x32.png, logo-64x64.png): a
 * TypeScript-blue rounded square with a white "TS" in its lower right corner
 * and an orange dot (the accelerator) at top left, antialiased by 8x8
 * supersampling. `npx tsx test/kernel/logo-png.ts` rewrites the files.
 */
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

type Rgba = [number, number, number, number];
const BLUE: Rgba = [49, 120, 198, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const ORANGE: Rgba = [247, 148, 29, 255];

/** Unit-square rectangles [x0, y0, x1, y1] of a blocky "T" and "S". */
const GLYPHS: [number, number, number, number][] = [
  [0.3, 0.5, 0.62, 0.585], [0.417, 0.5, 0.503, 0.88], // T
  [0.65, 0.5, 0.88, 0.585], [0.65, 0.5, 0.735, 0.69], [0.65, 0.647, 0.88, 0.732], [0.795, 0.647, 0.88, 0.88], [0.65, 0.795, 0.88, 0.88], // S
];

function colorAt(x: number, y: number): Rgba | undefined {
  const r = 0.16;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return undefined;
  if (GLYPHS.some(([x0, y0, x1, y1]) => x >= x0 && x < x1 && y >= y0 && y < y1)) return WHITE;
  if ((x - 0.28) ** 2 + (y - 0.28) ** 2 < 0.1 ** 2) return ORANGE;
  return BLUE;
}

export function renderLogo(size: number): Buffer {
  const ss = 8;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = colorAt((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size);
          // Premultiplied, so transparent samples do not darken the edge.
          if (c) for (let i = 0; i < 3; i++) sum[i] += c[i] * c[3] / 255;
          if (c) sum[3] += c[3];
        }
      }
      const n = ss * ss;
      const alpha = sum[3] / n;
      const o = (py * size + px) * 4;
      for (let i = 0; i < 3; i++) rgba[o + i] = alpha === 0 ? 0 : Math.round((sum[i] / n) * 255 / alpha);
      rgba[o + 3] = Math.round(alpha);
    }
  }
  return encodePng(size, size, rgba);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const size of [32, 64]) writeFileSync(new URL(`../../kernel/logo-${size}x${size}.png`, import.meta.url), renderLogo(size));
}
