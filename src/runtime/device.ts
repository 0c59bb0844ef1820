/**
 * Device choice at start-up: Dawn WebGPU when a real adapter exists, else
 * jax-js's wasm device (multi-threaded through worker_threads).
 *
 * On Linux Dawn reaches GPUs only through Vulkan, and where no Vulkan loader
 * (`libvulkan.so.1`) is installed it writes a warning to the process's stderr
 * from native code, which JavaScript cannot silence. So unless WebGPU was
 * asked for, the loader is looked for first, as the dynamic linker would find
 * it (LD_LIBRARY_PATH, the ldconfig cache, the standard library folders), and
 * Dawn is not started without one: the probe stays quiet and `devices()`
 * says why. With `TSNNX_DEVICE=webgpu` Dawn is always tried, and speaks.
 *
 * `TSNNX_DEVICE=auto|webgpu|wasm` overrides the choice (read by the first
 * `initRuntime()`); `TSNNX_THREADS` caps the wasm worker count (read at load,
 * see globals.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { wasmThreads } from "./globals.js";
import * as jax from "@jax-js/jax";

export type DeviceRequest = "auto" | "webgpu" | "wasm";
export type DeviceName = "webgpu" | "wasm";

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface RuntimeReport {
  /** The device arrays are created on by default. */
  device: DeviceName;
  /** Why that device was chosen. */
  reason: string;
  requested: DeviceRequest;
  /** The WebGPU adapter Dawn offered, if any. */
  adapter: AdapterReport | null;
  /** Why WebGPU cannot be used at all; null when jax-js initialised it. */
  webgpuUnavailable: string | null;
  /** wasm worker threads (1 = no workers, synchronous reads allowed). */
  wasmThreads: number;
  /** Devices jax-js initialised. */
  initialized: DeviceName[];
}

export interface RuntimeOptions {
  device?: DeviceRequest;
}

/** Dawn's instance must stay reachable for the life of the process, or node crashes. */
let dawnInstance: GPU | null = null;
let ready: Promise<RuntimeReport> | null = null;
let report: RuntimeReport | null = null;

/**
 * Initialise jax-js once and choose the default device. Later calls return the
 * first call's report; options only matter the first time.
 */
export function initRuntime(options: RuntimeOptions = {}): Promise<RuntimeReport> {
  ready ??= start(options);
  return ready;
}

/** The report of the device choice; throws before `initRuntime()` settled. */
export function devices(): RuntimeReport {
  if (!report) throw new Error("tsnnx runtime is not initialised: await initRuntime() first");
  return report;
}

function parseDeviceRequest(value: string | undefined): DeviceRequest {
  const text = (value ?? "auto").trim().toLowerCase() || "auto";
  if (text === "auto" || text === "webgpu" || text === "wasm") return text;
  throw new Error(`TSNNX_DEVICE=${value} is not a device: use auto, webgpu or wasm`);
}

async function start(options: RuntimeOptions): Promise<RuntimeReport> {
  const requested = options.device ?? parseDeviceRequest(process.env.TSNNX_DEVICE);
  const noLoader = requested === "auto" && process.platform === "linux" && findVulkanLoader() === null;
  const probe =
    requested === "wasm"
      ? { adapter: null, reason: "TSNNX_DEVICE=wasm" }
      : noLoader
        ? { adapter: null, reason: `${NO_VULKAN_LOADER}; ${INSTALL_VULKAN}` }
        : await probeWebGPU();
  const wanted: DeviceName[] = probe.reason ? ["wasm"] : ["wasm", "webgpu"];
  const initialized = (await jax.init(...wanted)).filter(
    (d): d is DeviceName => d === "wasm" || d === "webgpu",
  );
  const webgpuUnavailable =
    probe.reason ??
    (initialized.includes("webgpu") ? null : "jax-js could not create a WebGPU device on the adapter");
  if (requested === "webgpu" && webgpuUnavailable) {
    throw new Error(`TSNNX_DEVICE=webgpu but WebGPU is unavailable: ${webgpuUnavailable}`);
  }
  const softwareOnly = requested === "auto" && probe.adapter?.isFallbackAdapter === true;
  const device: DeviceName = webgpuUnavailable || softwareOnly ? "wasm" : "webgpu";
  const reason =
    device === "webgpu"
      ? `WebGPU adapter ${describeAdapter(probe.adapter)}`
      : softwareOnly
        ? `the only WebGPU adapter is a software one (${describeAdapter(probe.adapter)}); wasm is faster there`
        : `WebGPU unavailable: ${webgpuUnavailable}`;
  jax.defaultDevice(device);
  report = { device, reason, requested, adapter: probe.adapter, webgpuUnavailable, wasmThreads, initialized };
  return report;
}

function describeAdapter(adapter: AdapterReport | null): string {
  if (!adapter) return "none";
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(" / ");
}

async function probeWebGPU(): Promise<{ adapter: AdapterReport | null; reason: string | null }> {
  let webgpu: typeof import("webgpu");
  try {
    webgpu = await import("webgpu");
  } catch (error) {
    return { adapter: null, reason: `the webgpu (Dawn) package failed to load: ${(error as Error).message}` };
  }
  Object.assign(globalThis, webgpu.globals);
  dawnInstance ??= webgpu.create([]);
  (globalThis.navigator as { gpu?: GPU }).gpu = dawnInstance;
  let gpuAdapter: GPUAdapter | null;
  try {
    gpuAdapter = await dawnInstance.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    return { adapter: null, reason: `Dawn failed to enumerate adapters: ${(error as Error).message}` };
  }
  if (!gpuAdapter) {
    const loader = process.platform === "linux" ? findVulkanLoader() : undefined;
    return {
      adapter: null,
      reason: loader === null ? `Dawn found no adapter: ${NO_VULKAN_LOADER}; ${INSTALL_VULKAN}` : `Dawn found no adapter (no Vulkan driver: ${INSTALL_VULKAN}, and check VK_ICD_FILENAMES)`,
    };
  }
  const info = gpuAdapter.info;
  const isFallbackAdapter = Boolean(
    (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (gpuAdapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter,
    },
    reason: null,
  };
}

const VULKAN_LOADER = "libvulkan.so.1";
const NO_VULKAN_LOADER = `no Vulkan loader (${VULKAN_LOADER}) in LD_LIBRARY_PATH, the ldconfig cache or the standard library folders`;
const INSTALL_VULKAN = "install it (Debian: libvulkan1) with the GPU's Vulkan driver, or Mesa >= 25 lavapipe for a software one";

const STANDARD_LIBRARY_FOLDERS = ["/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", `/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`];

export interface LoaderSearch {
  libraryPath?: string;
  ldCache?: string;
  folders?: string[];
}

/**
 * Where the dynamic linker would find the Vulkan loader: a file in a folder of
 * LD_LIBRARY_PATH or a standard folder, or the ldconfig cache (which lists
 * every library it knows by name: "ldconfig" when found there). Null when none.
 */
export function findVulkanLoader({ libraryPath = process.env.LD_LIBRARY_PATH ?? "", ldCache = "/etc/ld.so.cache", folders = STANDARD_LIBRARY_FOLDERS }: LoaderSearch = {}): string | null {
  for (const folder of [...libraryPath.split(":").filter(Boolean), ...folders]) {
    const file = path.join(folder, VULKAN_LOADER);
    if (existsSync(file)) return file;
  }
  try {
    if (readFileSync(ldCache).includes(`${VULKAN_LOADER}\0`)) return "ldconfig";
  } catch {
    // No cache: the folders above are all the linker searches.
  }
  return null;
}
