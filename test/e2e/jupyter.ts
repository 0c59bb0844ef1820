/**
 * A real Jupyter installation for end-to-end tests: the shared venv's Jupyter
 * (JupyterLab 4 / jupyter_server 2) pointed at scratch config, data, runtime
 * and IPython folders in a temp directory, so no test reads or writes the
 * user's own Jupyter setup. The tsnnx kernelspec is installed into that
 * scratch data dir by the package's own `install.js`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Python of the shared venv (created on first use; that can take minutes). */
export async function venvPython(): Promise<string> {
  const { stdout } = await run("bash", [path.join(repoRoot, "test/python/ensure-venv.sh")], {
    maxBuffer: 16 << 20,
  });
  return stdout.trim().split("\n").pop()!;
}

/** A scratch Jupyter environment: every Jupyter path lives under `root`. */
export interface JupyterEnv {
  root: string;
  python: string;
  /** Folder holding the venv's `jupyter`, `papermill`, ... executables. */
  binDir: string;
  dataDir: string;
  /** Where notebooks and their outputs go (the server's root_dir). */
  workDir: string;
  /** TMPDIR of everything started here, kernels included: what a failed notebook leaves in os.tmpdir() goes with the scratch folder. */
  tmpDir: string;
  env: NodeJS.ProcessEnv;
}

export async function createJupyterEnv(): Promise<JupyterEnv> {
  const python = await venvPython();
  const root = await mkdtemp(path.join(os.tmpdir(), "tsnnx-e2e-"));
  const dirs = {
    JUPYTER_PATH: path.join(root, "path"),
    JUPYTER_DATA_DIR: path.join(root, "data"),
    JUPYTER_RUNTIME_DIR: path.join(root, "runtime"),
    JUPYTER_CONFIG_DIR: path.join(root, "config"),
    IPYTHONDIR: path.join(root, "ipython"),
  };
  const workDir = path.join(root, "work");
  const tmpDir = path.join(root, "tmp");
  await Promise.all([...Object.values(dirs), workDir, tmpDir].map((d) => mkdir(d, { recursive: true })));
  const binDir = path.dirname(python);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...dirs,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    // The user's own settings must not leak in.
    JUPYTER_PREFER_ENV_PATH: "1",
    PYTHONNOUSERSITE: "1",
    TMPDIR: tmpDir,
  };
  return { root, python, binDir, dataDir: dirs.JUPYTER_DATA_DIR, workDir, tmpDir, env };
}

export async function removeJupyterEnv(jenv: JupyterEnv): Promise<void> {
  await rm(jenv.root, { recursive: true, force: true });
}

/** Kernelspec names the scratch Jupyter sees (`jupyter kernelspec list`). */
export async function kernelspecNames(jenv: JupyterEnv): Promise<string[]> {
  const { stdout } = await run(jenv.python, ["-m", "jupyter", "kernelspec", "list", "--json"], { env: jenv.env });
  return Object.keys(JSON.parse(stdout).kernelspecs as Record<string, unknown>);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface JupyterServer {
  baseUrl: string;
  wsUrl: string;
  token: string;
  /** Everything the server wrote to stdout and stderr, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `jupyter server` on 127.0.0.1:<free port> and waits until /api/status answers. */
export async function startJupyterServer(jenv: JupyterEnv, readyTimeoutMs = 60_000): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const child = spawn(
    jenv.python,
    [
      "-m", "jupyter", "server",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${jenv.workDir}`,
      "--allow-root",
      "--no-browser",
    ],
    // Kernels started without a notebook path run in the server's own folder: the scratch one, not the repository.
    { cwd: jenv.workDir, env: jenv.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}/`;
  const server: JupyterServer = {
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/`,
    token,
    log: () => output,
    stop: () => stopProcess(child),
  };
  try {
    await waitForStatus(baseUrl, token, child, readyTimeoutMs);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n--- jupyter server output ---\n${output}`);
  }
  return server;
}

async function waitForStatus(baseUrl: string, token: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jupyter server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(new URL("api/status", baseUrl), { headers: { Authorization: `token ${token}` } });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`jupyter server did not answer ${baseUrl}api/status within ${timeoutMs} ms`);
}

/** SIGTERM (jupyter_server shuts its kernels down on it), then SIGKILL if it lingers. */
async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs one of the venv's command line tools with the scratch environment. */
export async function runVenvTool(
  jenv: JupyterEnv,
  tool: string,
  args: string[],
  timeoutMs: number,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  const executable = path.join(jenv.binDir, tool);
  if (!existsSync(executable)) throw new Error(`${tool} is not installed in the venv (${executable} is missing)`);
  try {
    return await run(executable, args, { env: { ...jenv.env, ...extraEnv }, cwd: jenv.workDir, timeout: timeoutMs, maxBuffer: 64 << 20 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    // The interesting part of a Python traceback is at its end.
    const tail = (text = "") => text.split("\n").slice(-30).join("\n");
    throw new Error(`${tool} ${args.join(" ")} failed (exit code ${(e as { code?: unknown }).code}).\n--- stdout (end) ---\n${tail(e.stdout)}\n--- stderr (end) ---\n${tail(e.stderr)}`);
  }
}
