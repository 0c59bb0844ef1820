/** The GPU probe stays quiet where Vulkan cannot work, and says why. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findVulkanLoader } from "../../src/runtime/device.js";

describe("Vulkan loader search", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "tsnnx-vulkan-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("finds libvulkan.so.1 in LD_LIBRARY_PATH, then the standard folders, then the ldconfig cache", async () => {
    const missingCache = path.join(dir, "no-cache");
    assert.equal(findVulkanLoader({ libraryPath: "", ldCache: missingCache, folders: [dir] }), null);
    const libs = path.join(dir, "libs");
    await mkdir(libs);
    await writeFile(path.join(libs, "libvulkan.so.1"), "");
    assert.equal(findVulkanLoader({ libraryPath: `/nowhere:${libs}`, ldCache: missingCache, folders: [] }), path.join(libs, "libvulkan.so.1"));
    assert.equal(findVulkanLoader({ libraryPath: "", ldCache: missingCache, folders: [dir, libs] }), path.join(libs, "libvulkan.so.1"));
    const cache = path.join(dir, "ld.so.cache");
    await writeFile(cache, Buffer.concat([Buffer.from("glibc-ld.so.cache1.1\0libz.so.1\0"), Buffer.from("libvulkan.so.1\0/usr/lib/libvulkan.so.1\0")]));
    assert.equal(findVulkanLoader({ libraryPath: "", ldCache: cache, folders: [] }), "ldconfig");
    await writeFile(cache, "glibc-ld.so.cache1.1\0libvulkan.so.10\0");
    assert.equal(findVulkanLoader({ libraryPath: "", ldCache: cache, folders: [] }), null);
  });
});

describe("GPU probe at start-up (child process)", function () {
  this.timeout(60000);
  const report = fileURLToPath(new URL("./scripts/report.ts", import.meta.url));
  // Worked out apart from the code under test: what the dynamic linker knows, and LD_LIBRARY_PATH.
  const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8", env: { PATH: `${process.env.PATH}:/sbin:/usr/sbin` } });
  const loaderHere =
    /\blibvulkan\.so\.1\b/.test(ldconfig.stdout ?? "") || (process.env.LD_LIBRARY_PATH ?? "").split(":").some((folder) => folder && existsSync(path.join(folder, "libvulkan.so.1")));

  it("prints nothing on a machine without a Vulkan loader, and devices() says why", function () {
    if (process.platform !== "linux" || loaderHere) this.skip();
    const env = { ...process.env };
    delete env.TSNNX_DEVICE;
    const out = spawnSync(process.execPath, ["--import", "tsx", report], { encoding: "utf8", env });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr, "");
    const result = JSON.parse(out.stdout.trim().split("\n").pop()!);
    assert.equal(result.device, "wasm");
    assert.match(result.webgpuUnavailable, /^no Vulkan loader \(libvulkan\.so\.1\) in LD_LIBRARY_PATH/);
    assert.equal(result.reason, `WebGPU unavailable: ${result.webgpuUnavailable}`);
  });

  it("still asks Dawn when TSNNX_DEVICE=webgpu, and the error says there is no loader", function () {
    if (process.platform !== "linux" || loaderHere) this.skip();
    const out = spawnSync(process.execPath, ["--import", "tsx", report], { encoding: "utf8", env: { ...process.env, TSNNX_DEVICE: "webgpu" } });
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /TSNNX_DEVICE=webgpu but WebGPU is unavailable: Dawn found no adapter: no Vulkan loader \(libvulkan\.so\.1\)/);
  });
});
