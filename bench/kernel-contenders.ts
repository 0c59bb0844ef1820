/**
 * The kernels the kernel benchmarks race, started the same way: the built
 * tsnnx kernel and tslab (installed from npm into a scratch folder on first
 * use, so it is no dependency of the package), plus stopping any of them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { KERNEL_NODE_FLAGS } from "../src/kernel/node-flags.js";
import { KernelClient, REPO, withTimeout } from "../test/kernel/client.js";

/** tsnnx's kernel from `dist/` (`npm run build` first), as kernel.json starts it. */
export function tsnnxArgv(): string[] {
  const entry = join(REPO, "dist/src/kernel/main.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return [process.execPath, ...KERNEL_NODE_FLAGS, entry, "-f", "{connection_file}"];
}

/** tslab 1.x's kernel, or undefined where `npm install tslab` cannot run. */
export function tslabArgv(): string[] | undefined {
  const dir = join(os.tmpdir(), "tsnnx-bench-tslab");
  const bin = join(dir, "node_modules", "tslab", "bin", "tslab");
  if (!existsSync(bin)) {
    try {
      mkdirSync(dir, { recursive: true });
      execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, "tslab@1"], { stdio: "ignore", timeout: 300000 });
    } catch {
      return undefined;
    }
  }
  return existsSync(bin) ? [process.execPath, bin, "kernel", "--config-path", "{connection_file}"] : undefined;
}

/** Asks the kernel to shut down; kills it if it has not exited 5 s later (not every kernel exits on request). */
export async function stopKernel(kernel: KernelClient): Promise<void> {
  await withTimeout(kernel.shutdown(), 5000, "shutdown_reply").catch(() => undefined);
  await withTimeout(kernel.exited, 5000, "exit").catch(() => undefined);
  kernel.close();
}
