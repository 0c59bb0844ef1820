/**
 * Storage in an S3 bucket. Keys are the paths below the bucket, "/"-separated,
 * so a checkpoint keeps its folder layout; a "folder" is a key prefix, made
 * by writing below it.
 *
 * Speed without buffering whole checkpoints: a data file is uploaded in
 * parts while it is being appended to (a multipart upload once it outgrows
 * one part, a plain PUT otherwise), with a bound on the parts in flight that
 * also holds back the writers; a large range is read as parallel ranged GETs
 * straight into its destination.
 */
import { mapWithLimit } from "../format/concurrency.js";
import { parseObjectUrl } from "./location.js";
import { S3Client, S3RequestError } from "./s3/client.js";
import { resolveS3Settings, type S3Options, type S3Settings } from "./s3/settings.js";
import { callSync } from "./s3/sync.js";
import type { AppendableFile, EntryKind, FolderEntry, Storage } from "./storage.js";

/** S3's minimum part size is 5 MiB (but for the last part); larger parts mean fewer requests, smaller ones less memory per file. */
export const PART_BYTES = 8 * 2 ** 20;
/** Part uploads in flight, over every file of the storage; a writer whose part must wait is held in append(). */
const PARTS_IN_FLIGHT = 8;
/** Ranged GETs in flight for one large read. */
const RANGES_IN_FLIGHT = 8;

/** A counting semaphore: `acquire` resolves once a slot is free. */
function slots(count: number) {
  let free = count;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

export class ObjectStorage implements Storage {
  readonly commit = "marker" as const;
  readonly client: S3Client;
  private readonly partSlots = slots(PARTS_IN_FLIGHT);

  constructor(readonly settings: S3Settings) {
    this.client = new S3Client(settings);
  }

  async read(location: string): Promise<Uint8Array | undefined> {
    const { bucket, key } = parseObjectUrl(location);
    return this.client.getObject(bucket, key);
  }

  async readRange(location: string, offset: number, length: number, scratch?: Uint8Array): Promise<Uint8Array> {
    const { bucket, key } = parseObjectUrl(location);
    const out = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Uint8Array(length);
    const pieces = Array.from({ length: Math.max(1, Math.ceil(length / PART_BYTES)) }, (_, i) => i * PART_BYTES);
    await mapWithLimit(pieces, RANGES_IN_FLIGHT, async (start) => {
      const size = Math.min(PART_BYTES, length - start);
      const got = await this.client.getObject(bucket, key, [offset + start, size], out.subarray(start, start + size));
      if (got === undefined) throw new S3RequestError(`${location} is missing`, 404, "NoSuchKey", false);
      if (got.buffer !== out.buffer || got.byteOffset !== out.byteOffset + start) out.set(got, start);
    });
    return out;
  }

  async write(location: string, data: Uint8Array | string): Promise<void> {
    const { bucket, key } = parseObjectUrl(location);
    await this.client.putObject(bucket, key, data);
  }

  appendable(location: string): AppendableFile {
    return new MultipartAppender(this.client, location, this.partSlots);
  }

  async makeFolder(): Promise<void> {}

  async kind(location: string): Promise<EntryKind | undefined> {
    const { bucket, key } = parseObjectUrl(location);
    if (key !== "" && (await this.client.headObject(bucket, key)) !== undefined) return "file";
    const listed = await this.client.listObjects(bucket, key === "" ? "" : `${key}/`, "/", 1);
    return listed.objects.length + listed.prefixes.length > 0 || key === "" ? "folder" : undefined;
  }

  async list(location: string): Promise<FolderEntry[]> {
    const { bucket, key } = parseObjectUrl(location);
    const prefix = key === "" ? "" : `${key}/`;
    const listed = await this.client.listObjects(bucket, prefix, "/");
    return [
      ...listed.prefixes.map((p) => ({ name: p.slice(prefix.length).replace(/\/$/, ""), kind: "folder" as const })),
      ...listed.objects.filter((o) => o.key !== prefix).map((o) => ({ name: o.key.slice(prefix.length), kind: "file" as const })),
    ];
  }

  async remove(location: string): Promise<void> {
    const { bucket, key } = parseObjectUrl(location);
    const below = await this.client.listObjects(bucket, key === "" ? "" : `${key}/`);
    const keys = below.objects.map((o) => o.key);
    if (key !== "" && (await this.client.headObject(bucket, key)) !== undefined) keys.push(key);
    await this.client.deleteObjects(bucket, keys);
  }

  /** Total bytes under a prefix (or of one object). */
  async size(location: string): Promise<number> {
    const { bucket, key } = parseObjectUrl(location);
    const head = key === "" ? undefined : await this.client.headObject(bucket, key);
    if (head !== undefined) return head.size;
    return (await this.client.listObjects(bucket, key === "" ? "" : `${key}/`)).objects.reduce((total, o) => total + o.size, 0);
  }

  readSync(location: string): Uint8Array | undefined {
    return callSync(this.settings, "read", location) as Uint8Array | undefined;
  }

  kindSync(location: string): EntryKind | undefined {
    return callSync(this.settings, "kind", location) as EntryKind | undefined;
  }

  listSync(location: string): FolderEntry[] {
    return callSync(this.settings, "list", location) as FolderEntry[];
  }

  sizeSync(location: string): number {
    return callSync(this.settings, "size", location) as number;
  }
}

/**
 * Appends into a part buffer; each full part is uploaded while the next one
 * fills (the first one starts the multipart upload). finish() sends a file
 * of one part as a plain PUT. abandon() waits for the parts in flight and
 * aborts the upload, so the bucket keeps no orphaned parts.
 */
class MultipartAppender implements AppendableFile {
  private part: Uint8Array | undefined;
  private filled = 0;
  private position = 0;
  private uploadId: Promise<string> | undefined;
  private readonly etags: Promise<string>[] = [];
  private readonly bucket: string;
  private readonly key: string;

  constructor(private readonly client: S3Client, location: string, private readonly partSlots: ReturnType<typeof slots>) {
    ({ bucket: this.bucket, key: this.key } = parseObjectUrl(location));
  }

  async append(bytes: Uint8Array): Promise<number> {
    const offset = this.position;
    let done = 0;
    while (done < bytes.length) {
      this.part ??= new Uint8Array(PART_BYTES);
      const n = Math.min(bytes.length - done, PART_BYTES - this.filled);
      this.part.set(bytes.subarray(done, done + n), this.filled);
      this.filled += n;
      done += n;
      if (this.filled === PART_BYTES) await this.sendPart();
    }
    this.position += bytes.length;
    return offset;
  }

  flushInBackground(): void {}

  private async sendPart(): Promise<void> {
    const body = this.part!.subarray(0, this.filled);
    this.part = undefined;
    this.filled = 0;
    this.uploadId ??= this.client.createMultipartUpload(this.bucket, this.key);
    const partNumber = this.etags.length + 1;
    await this.partSlots.acquire();
    const etag = this.uploadId.then((id) => this.client.uploadPart(this.bucket, this.key, id, partNumber, body)).finally(() => this.partSlots.release());
    // A failure is reported by finish() or abandon(), which wait for every part.
    etag.catch(() => undefined);
    this.etags.push(etag);
  }

  async finish(): Promise<void> {
    if (this.uploadId === undefined) {
      if (this.position > 0) await this.client.putObject(this.bucket, this.key, this.part!.subarray(0, this.filled));
      this.part = undefined;
      return;
    }
    if (this.filled > 0) await this.sendPart();
    try {
      const etags = await Promise.all(this.etags);
      await this.client.completeMultipartUpload(this.bucket, this.key, await this.uploadId, etags);
    } catch (e) {
      await this.abandon();
      throw e;
    }
  }

  async abandon(): Promise<void> {
    this.part = undefined;
    if (this.uploadId === undefined) return;
    await Promise.allSettled(this.etags);
    const id = await this.uploadId.catch(() => undefined);
    if (id !== undefined) await this.client.abortMultipartUpload(this.bucket, this.key, id).catch(() => undefined);
  }
}

const bySettings = new Map<string, ObjectStorage>();

/** One storage (one client, one pool of connections) per endpoint, region and credentials. */
export function objectStorage(options: S3Options = {}): ObjectStorage {
  const settings = resolveS3Settings(options);
  const id = JSON.stringify({ ...settings, endpoint: settings.endpoint.href });
  let storage = bySettings.get(id);
  if (storage === undefined) bySettings.set(id, (storage = new ObjectStorage(settings)));
  return storage;
}
