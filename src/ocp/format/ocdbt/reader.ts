import type { KeyValueSource } from "../kvstore.js";
import { fileStorage } from "../../storage/file-storage.js";
import { joinLocation } from "../../storage/location.js";
import type { Storage } from "../../storage/storage.js";
import { type DataFileRef } from "./data-file-table.js";
import { decodeBtreeNode, type StoredValue } from "./btree.js";
import { decodeManifest } from "./manifest.js";

const utf8 = new TextDecoder();
/** A packed data file is read whole only up to this size (the writer packs to 64 MiB; tensorstore's files can be larger)... */
const MAX_WHOLE_FILE_BYTES = 64 * 2 ** 20;
/** ...and only when its values average under this size: small arrays packed together, not the chunks of one large array. */
const MAX_PACKED_VALUE_BYTES = 2 ** 20;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The newest version of an OCDBT database in `dir`, read whole into a key index (values stay on disk until asked for). */
export async function openOcdbt(dir: string, storage: Storage = fileStorage): Promise<KeyValueSource & { keys(): string[] }> {
  const manifestPath = joinLocation(dir, "manifest.ocdbt");
  const manifestBytes = await storage.read(manifestPath);
  if (!manifestBytes) throw new Error(`${manifestPath} is missing: the OCDBT database in ${dir} cannot be opened without its manifest`);
  const manifest = await decodeManifest(manifestBytes, manifestPath);

  function resolve(transitive: string, file: DataFileRef): { path: string; transitive: string } {
    const relative = transitive + file.basePath + file.relativePath;
    if (relative.startsWith("/") || relative.split("/").includes("..")) {
      throw new Error(`${manifestPath}: data file path ${JSON.stringify(relative)} leaves the database folder`);
    }
    return { path: joinLocation(dir, relative), transitive: transitive + file.basePath };
  }

  async function readRange(path: string, offset: number, length: number, purpose: string, scratch?: Uint8Array): Promise<Uint8Array> {
    try {
      return await storage.readRange(path, offset, length, scratch);
    } catch (e) {
      throw new Error(`${(e as Error).message} (OCDBT ${purpose} in ${dir})`, { cause: e });
    }
  }

  const index = new Map<string, { value: StoredValue; transitive: string }>();

  async function visit(file: DataFileRef, offset: number, length: number, transitive: string, prefix: Uint8Array, expectedHeight: number): Promise<void> {
    const where = resolve(transitive, file);
    const what = `${where.path} [${offset}, +${length}]`;
    const node = await decodeBtreeNode(await readRange(where.path, offset, length, "B+tree node"), what);
    if (node.height !== expectedHeight) throw new Error(`${what}: B+tree node has height ${node.height}, its parent says ${expectedHeight}`);
    if ("entries" in node) {
      for (const e of node.entries) index.set(utf8.decode(concat(prefix, e.key)), { value: e.value, transitive: where.transitive });
      return;
    }
    await Promise.all(
      node.children.map((c) =>
        visit(c.file, c.offset, c.length, where.transitive, concat(prefix, c.key.subarray(0, c.subtreeCommonPrefixLength)), node.height - 1),
      ),
    );
  }

  const root = manifest.latest?.root;
  if (root) await visit(root.location.file, root.location.offset, root.location.length, "", new Uint8Array(0), root.height);

  // Data files packed with small values (small arrays) are read whole, once, on first use: one read instead of an open/read/close per value.
  // Files of large values (the chunks of a big array) are read value by value, so decoding one overlaps reading the next.
  const packed = new Map<string, { values: number; end: number; bytes?: Promise<Uint8Array> }>();
  for (const { value, transitive } of index.values()) {
    if (value.kind !== "indirect") continue;
    const { path } = resolve(transitive, value.file);
    const f = packed.get(path) ?? { values: 0, end: 0 };
    f.values++;
    f.end = Math.max(f.end, value.offset + value.length);
    packed.set(path, f);
  }
  for (const [path, f] of packed) if (f.values < 2 || f.end > MAX_WHOLE_FILE_BYTES || f.end / f.values > MAX_PACKED_VALUE_BYTES) packed.delete(path);

  async function readPacked(path: string, offset: number, length: number, key: string): Promise<Uint8Array> {
    const f = packed.get(path)!;
    const whole = await (f.bytes ??= readRange(path, 0, f.end, `packed data file, read whole for ${JSON.stringify(key)}`));
    return whole.subarray(offset, offset + length);
  }

  return {
    keys: () => [...index.keys()],
    describe: (key) => `${joinLocation(dir, key)} (entry ${JSON.stringify(key)} of the OCDBT database in ${dir})`,
    async get(key, scratch) {
      const found = index.get(key);
      if (!found) return undefined;
      const v = found.value;
      if (v.kind === "inline") return v.bytes;
      const where = resolve(found.transitive, v.file);
      if (packed.has(where.path)) return readPacked(where.path, v.offset, v.length, key);
      return readRange(where.path, v.offset, v.length, `value of ${JSON.stringify(key)}`, scratch);
    },
  };
}
