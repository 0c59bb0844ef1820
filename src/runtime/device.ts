/**
 * Device choice at start-up: Dawn WebGPU when a real adapter exists, else
 * jax-js's wasm device (multi-threaded through worker_threads).
 *
 * `TSNNX_DEVICE=auto|webgpu|wasm` overrides the choice (read by the first
 * `initRuntime()`); `TSNNX_THREADS` caps the wasm worker count (read at load,
 * see globals.ts).
 */
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
  const probe =
    requested === "wasm" ? { adapter: null, reason: "TSNNX_DEVICE=wasm" } : await probeWebGPU();
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
    return {
      adapter: null,
      reason:
        "Dawn found no adapter (no Vulkan driver: install the GPU's Vulkan ICD, " +
        "or Mesa >= 23 lavapipe for a software one, and check VK_ICD_FILENAMES)",
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
