/**
 * The numeric suites run on every device this machine has: wasm always, and
 * webgpu wherever Dawn finds an adapter (lavapipe in CI, a real GPU when lent).
 */
import "../../src/runtime/globals.js";
import * as jax from "@jax-js/jax";
import { initRuntime, type DeviceName } from "../../src/runtime/index.js";

export const runtime = await initRuntime();
export const testDevices: DeviceName[] = runtime.initialized;

/** `describe` once per device, with that device as jax-js's default inside. */
export function describeEachDevice(title: string, body: (device: DeviceName) => void): void {
  for (const device of testDevices) {
    describe(`${title} [${device}]`, function () {
      before(() => void jax.defaultDevice(device));
      after(() => void jax.defaultDevice(runtime.device));
      body(device);
    });
  }
}
