/**
 * A real MinIO server for the object-storage tests (issue 13): no mock S3.
 * The binary is built once from the Go module proxy (`go install
 * github.com/minio/minio@<pinned>`, about 4 minutes, 150 MB) into a cache folder
 * the machine keeps between runs, then reused. Each server runs on loopback
 * with a scratch data folder and fixed test credentials, and is stopped by its
 * process id. Where MinIO cannot be had, tests skip locally but fail under
 * CI=true, so CI never passes without having run them.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export const minioCredentials = { accessKeyId: "tsnnx-test", secretAccessKey: "tsnnx-test-secret" } as const;

const cacheDir = process.env.TSNNX_MINIO_DIR ?? join(homedir(), ".cache", "tsnnx", "minio");
const binaryPath = join(cacheDir, "minio");
/** Pinned so every machine tests against the same server; the version `@latest` gave on 2026-12-04. */
const minioModule = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c";
const goBinary = ["/usr/local/go/bin/go", "go"].find((candidate) => candidate === "go" || existsSync(candidate))!;

export type MinioBinary = { kind: "ready"; path: string } | { kind: "unavailable"; reason: string };

/** The cached binary, built first when missing. */
export function minioBinary(): MinioBinary {
  if (existsSync(binaryPath)) return { kind: "ready", path: binaryPath };
  mkdirSync(cacheDir, { recursive: true });
  const build = spawnSync(goBinary, ["install", minioModule], {
    env: { ...process.env, GOBIN: cacheDir },
    encoding: "utf8",
    timeout: 20 * 60_000,
  });
  if (build.error) return { kind: "unavailable", reason: `cannot run ${goBinary}: ${build.error.message}` };
  if (build.status !== 0 || !existsSync(binaryPath)) {
    return { kind: "unavailable", reason: `go install ${minioModule} failed (exit ${build.status}): ${build.stderr.trim().slice(-2000)}` };
  }
  return { kind: "ready", path: binaryPath };
}

export interface MinioServer {
  endpoint: string;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitLive(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode} before it was live:\n${log()}`);
    try {
      const response = await fetch(`${endpoint}/minio/health/live`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`minio at ${endpoint} did not answer /minio/health/live within 60 s:\n${log()}`);
}

/** Starts a server on a free loopback port with a fresh data folder. */
export async function startMinio(binary: string): Promise<MinioServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "tsnnx-minio-"));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ["server", dataDir, "--address", `127.0.0.1:${port}`, "--quiet"], {
    env: { ...process.env, MINIO_ROOT_USER: minioCredentials.accessKeyId, MINIO_ROOT_PASSWORD: minioCredentials.secretAccessKey, MINIO_BROWSER: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid!, "SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitLive(endpoint, child, () => output.slice(-4000));
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, pid: child.pid!, dataDir, stop };
}

/**
 * In a mocha `before`: the binary, or a skip (locally) / failure (CI=true)
 * naming why MinIO is missing.
 */
export function requireMinio(context: Mocha.Context): string {
  const binary = minioBinary();
  if (binary.kind === "ready") return binary.path;
  if (process.env.CI === "true") throw new Error(`MinIO is required under CI=true: ${binary.reason}`);
  console.warn(`skipping object-storage tests: ${binary.reason}`);
  context.skip();
}
