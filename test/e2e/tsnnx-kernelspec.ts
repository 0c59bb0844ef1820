/**
 * Puts the tsnnx kernel into a scratch Jupyter the way a user does: build the
 * package (`dist/`), then `node install.js`, which registers the kernelspec
 * through the `jupyter` on PATH (the venv's) into `JUPYTER_DATA_DIR`.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createJupyterEnv, kernelspecNames, removeJupyterEnv, repoRoot, type JupyterEnv } from "./jupyter.js";

const run = promisify(execFile);

export const tsnnxKernelName = "tsnnx";
const kernelEntry = path.join(repoRoot, "dist/src/kernel/main.js");

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

let built: Promise<void> | undefined;

/** Compiles the package when `dist/` is missing or older than `src/` (once per test process). */
export function ensureKernelBuilt(): Promise<void> {
  built ??= (async () => {
    const stale = !existsSync(kernelEntry) || statSync(kernelEntry).mtimeMs < newestSourceTime(path.join(repoRoot, "src"));
    if (!stale) return;
    try {
      await run(process.execPath, [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
        cwd: repoRoot,
        maxBuffer: 64 << 20,
      });
    } catch (error) {
      // tsc still emits JavaScript when some file has type errors; only a missing entry is fatal here.
      if (!existsSync(kernelEntry)) {
        const e = error as Error & { stdout?: string };
        throw new Error(`building the package did not produce ${kernelEntry}:\n${e.stdout ?? e.message}`);
      }
    }
  })();
  return built;
}

/** `node install.js` with the scratch Jupyter environment, then checks that Jupyter lists the kernel. */
export async function installTsnnxKernel(jenv: JupyterEnv): Promise<void> {
  await ensureKernelBuilt();
  const installer = path.join(repoRoot, "install.js");
  if (!existsSync(installer)) throw new Error(`${installer} does not exist: the kernelspec installer has not been written yet`);
  try {
    await run(process.execPath, [installer, "--user", "--name", tsnnxKernelName], { cwd: repoRoot, env: jenv.env });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`node install.js failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
  const names = await kernelspecNames(jenv);
  if (!names.includes(tsnnxKernelName)) {
    throw new Error(`after node install.js, jupyter kernelspec list shows ${JSON.stringify(names)}, not "${tsnnxKernelName}"`);
  }
}

/**
 * A scratch Jupyter with the tsnnx kernel installed, made before the tests of
 * the mocha suite this is called in and removed after them; returns its getter.
 */
export function scratchJupyterWithTsnnx(): () => JupyterEnv {
  let jenv: JupyterEnv | undefined;
  before(async function () {
    this.timeout(30 * 60_000);
    jenv = await createJupyterEnv();
    await installTsnnxKernel(jenv);
  });
  after(async () => {
    if (jenv) await removeJupyterEnv(jenv);
  });
  return () => {
    if (!jenv) throw new Error("the scratch Jupyter is not made yet: call its getter inside a test");
    return jenv;
  };
}

