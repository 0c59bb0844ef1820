/**
 * Runs the official conformance suite (jupyter_kernel_test, from the shared
 * venv) against the built kernel, installed with install.js's logic into a
 * scratch Jupyter folder so the user's own setup is untouched.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ensureKernelBuilt } from "../e2e/tsnnx-kernelspec.js";
import { parseInstallArgs, runInstall } from "../../src/kernel/install.js";
import { REPO } from "./client.js";

const run = promisify(execFile);

describe("jupyter_kernel_test conformance suite", function () {
  this.timeout(900000);

  it("passes every test of the suite", async () => {
    const python = execFileSync("bash", [join(REPO, "test/python/ensure-venv.sh")], { encoding: "utf8" }).trim();
    await ensureKernelBuilt();
    const dir = mkdtempSync(join(os.tmpdir(), "tsnnx-conformance-"));
    const env = {
      ...process.env,
      PATH: `${dirname(python)}:${process.env.PATH}`,
      JUPYTER_DATA_DIR: join(dir, "data"),
      JUPYTER_PATH: join(dir, "data"),
      JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
      JUPYTER_CONFIG_DIR: join(dir, "config"),
      TSNNX_KERNEL_NAME: "tsnnx-conformance",
    };
    const argv = [process.execPath, join(REPO, "dist/src/kernel/main.js"), "-f", "{connection_file}"];
    runInstall(parseInstallArgs(["--user", "--name", "tsnnx-conformance"]), { env, argv });
    let output: string;
    try {
      const result = await run(python, ["-m", "unittest", "-v", "test_tsnnx"], { cwd: join(REPO, "test/kernel/conformance"), env, maxBuffer: 16 << 20 });
      output = result.stderr + result.stdout;
    } catch (error) {
      const e = error as Error & { stdout?: string; stderr?: string };
      assert.fail(`conformance suite failed:\n${e.stderr ?? ""}${e.stdout ?? ""}`);
    }
    console.log(output.split("\n").filter((line) => / \.\.\. /.test(line)).map((line) => `      ${line}`).join("\n"));
    assert.match(output, /\nOK\b/);
    assert.doesNotMatch(output, / \.\.\. skipped/, "every test of the suite applies");
  });
});
