/** Kernelspec installation: argument parsing, the direct write without jupyter, and `jupyter kernelspec install` from the venv. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { parseInstallArgs, runInstall } from "../../src/kernel/install.js";
import { KernelClient, REPO } from "./client.js";
import { crc32, renderLogo } from "./logo-png.js";
import { KERNEL_NODE_FLAGS } from "../../src/kernel/node-flags.js";

const argv = [process.execPath, "/opt/tsnnx/dist/src/kernel/main.js", "-f", "{connection_file}"];
const scratch = () => mkdtempSync(join(os.tmpdir(), "tsnnx-install-"));

describe("kernel install", function () {
  this.timeout(600000);

  it("parses the flags, defaulting to --user and the name tsnnx", () => {
    assert.deepEqual(parseInstallArgs([]), { target: { kind: "user" }, name: "tsnnx", uninstall: false });
    assert.deepEqual(parseInstallArgs(["--sys-prefix", "--name", "ts2", "--uninstall"]), { target: { kind: "sys-prefix" }, name: "ts2", uninstall: true });
    assert.deepEqual(parseInstallArgs(["--prefix=/p", "--name=x.y-z_1"]), { target: { kind: "prefix", dir: "/p" }, name: "x.y-z_1", uninstall: false });
    assert.throws(() => parseInstallArgs(["--user", "--prefix", "/p"]), /choose one of --user, --sys-prefix, --prefix/);
    assert.throws(() => parseInstallArgs(["--prefix"]), /--prefix needs a value/);
    assert.throws(() => parseInstallArgs(["--name", "has space"]), /kernel name "has space" is invalid/);
    assert.throws(() => parseInstallArgs(["--global"]), /unknown option "--global"/);
  });

  it("writes the kernelspec straight into the data folder when jupyter is not on PATH, and removes it again", () => {
    const dir = scratch();
    const env = { PATH: join(dir, "empty-bin"), JUPYTER_DATA_DIR: join(dir, "data") };
    const message = runInstall(parseInstallArgs(["--name", "tsx-test"]), { env, argv });
    const spec = join(dir, "data", "kernels", "tsx-test");
    assert.match(message, /jupyter is not on PATH/);
    const installed = JSON.parse(readFileSync(join(spec, "kernel.json"), "utf8"));
    assert.deepEqual(installed.argv, argv);
    assert.equal(installed.display_name, "TypeScript (tsnnx)");
    assert.equal(installed.language, "typescript");
    assert.equal(installed.interrupt_mode, "message");
    for (const logo of ["logo-32x32.png", "logo-64x64.png"]) assert.deepEqual(readFileSync(join(spec, logo)), readFileSync(join(REPO, "kernel", logo)));

    const prefixed = runInstall(parseInstallArgs(["--prefix", join(dir, "prefix")]), { env, argv });
    assert.ok(existsSync(join(dir, "prefix", "share", "jupyter", "kernels", "tsnnx", "kernel.json")), prefixed);

    runInstall(parseInstallArgs(["--name", "tsx-test", "--uninstall"]), { env, argv });
    assert.equal(existsSync(spec), false);
    assert.throws(() => runInstall(parseInstallArgs(["--name", "tsx-test", "--uninstall"]), { env }), /no kernelspec "tsx-test" in/);
  });

  it("runs as `tsnnx install` through the CLI, pointing at the built kernel with this node", () => {
    const dir = scratch();
    const env = { ...process.env, PATH: join(dir, "empty-bin"), JUPYTER_DATA_DIR: join(dir, "data") };
    const cli = () => execFileSync(process.execPath, ["--import", "tsx", join(REPO, "src/cli.ts"), "install", "--name", "via-cli"], { cwd: REPO, env, encoding: "utf8", stdio: "pipe" });
    const entry = join(REPO, "dist/src/kernel/main.js");
    if (!existsSync(entry)) {
      assert.throws(cli, /the kernel is not built .* run `npm run build` first/s);
      return;
    }
    assert.match(cli(), /installed kernelspec "via-cli"/);
    const installed = JSON.parse(readFileSync(join(dir, "data", "kernels", "via-cli", "kernel.json"), "utf8"));
    assert.deepEqual(installed.argv, [process.execPath, ...KERNEL_NODE_FLAGS, entry, "-f", "{connection_file}"]);
  });

  it("starts the kernel as `tsnnx -f <connection file>` and `tsnnx kernel <connection file>`", async () => {
    for (const args of [["-f"], ["kernel"]]) {
      const kernel = await KernelClient.start({ argv: [process.execPath, "--import", "tsx", join(REPO, "src/cli.ts"), ...args, "{connection_file}"] });
      try {
        assert.equal((await kernel.request("shell", "kernel_info_request")).content.implementation, "tsnnx");
        await kernel.shutdown();
        assert.equal(await kernel.exited, 0);
      } finally {
        kernel.close();
      }
    }
  });

  it("ships the logos its generator draws, as valid PNGs of the right size", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926); // the CRC-32 check value
    for (const size of [32, 64]) {
      const file = readFileSync(join(REPO, "kernel", `logo-${size}x${size}.png`));
      assert.deepEqual(file, renderLogo(size), `kernel/logo-${size}x${size}.png is stale: run npx tsx test/kernel/logo-png.ts`);
      assert.deepEqual([...file.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.deepEqual([file.readUInt32BE(16), file.readUInt32BE(20)], [size, size]);
    }
  });

  it("refuses to uninstall a kernelspec that is not tsnnx's", () => {
    const dir = scratch();
    const foreign = join(dir, "data", "kernels", "python3");
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, "kernel.json"), JSON.stringify({ argv: ["python"], display_name: "Python 3", language: "python" }));
    const env = { PATH: "", JUPYTER_DATA_DIR: join(dir, "data") };
    assert.throws(() => runInstall(parseInstallArgs(["--name", "python3", "--uninstall"]), { env }), /not a tsnnx kernelspec; left untouched/);
    assert.ok(existsSync(join(foreign, "kernel.json")));
  });

  it("registers through `jupyter kernelspec install` when jupyter is on PATH (the venv's), and uninstalls", () => {
    const python = execFileSync("bash", [join(REPO, "test/python/ensure-venv.sh")], { encoding: "utf8" }).trim();
    const dir = scratch();
    const env = { ...process.env, PATH: `${dirname(python)}:/usr/bin:/bin`, JUPYTER_DATA_DIR: join(dir, "data"), JUPYTER_PATH: join(dir, "data") };
    const list = () => JSON.parse(execFileSync(join(dirname(python), "jupyter"), ["kernelspec", "list", "--json"], { env, encoding: "utf8" })).kernelspecs;
    const message = runInstall(parseInstallArgs(["--user", "--name", "tsnnx-j"]), { env, argv });
    assert.match(message, /kernelspec install/);
    const listed = list()["tsnnx-j"];
    assert.equal(listed.resource_dir, join(dir, "data", "kernels", "tsnnx-j"));
    assert.deepEqual(listed.spec.argv, argv);
    assert.equal(listed.spec.display_name, "TypeScript (tsnnx)");
    runInstall(parseInstallArgs(["--user", "--name", "tsnnx-j", "--uninstall"]), { env });
    assert.equal(list()["tsnnx-j"], undefined);
  });
});
