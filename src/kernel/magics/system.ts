/**
 * `%lsmagic` (every magic, IPython's layout) and `%device` (the default
 * device, and switching between wasm and webgpu where jax-js set up both).
 */
import * as jax from "@jax-js/jax";
import { devices } from "../../runtime/index.js";
import { print } from "./cell-io.js";
import { UsageError, type MagicRegistry, type RuntimeMagic } from "./registry.js";

export function lsmagicMagic(registry: MagicRegistry): RuntimeMagic {
  return {
    name: "lsmagic",
    summary: "List the available magics (%name? shows one's usage).",
    synopsis: "",
    flags: [],
    operands: { kind: "none" },
    async run() {
      const line = registry.names().map((n) => "%" + n).join("  ");
      const cell = registry.cellMagicNames().map((n) => "%%" + n).join("  ");
      print(`Available line magics:\n${line}\n\nAvailable cell magics:\n${cell}\n\n%name? shows a magic's usage; magics work on any line where a statement may start.`);
      return undefined;
    },
  };
}

export const deviceMagic: RuntimeMagic = {
  name: "device",
  summary: "Show the default device (and why it was chosen), or switch it: %device wasm | %device webgpu, where jax-js initialised both.",
  synopsis: "[wasm|webgpu]",
  flags: [],
  operands: { kind: "words", max: 1, choices: ["wasm", "webgpu"] },
  async run({ operands }) {
    const report = devices();
    const wanted = operands[0] as "wasm" | "webgpu" | undefined;
    if (wanted !== undefined) {
      if (!report.initialized.includes(wanted)) {
        const why = wanted === "webgpu" ? report.webgpuUnavailable ?? "jax-js did not initialise it" : "jax-js did not initialise it";
        throw new UsageError(`%device ${wanted}: not available in this kernel (${why}); available: ${report.initialized.join(", ")}`);
      }
      jax.defaultDevice(wanted);
      print(`Default device: ${wanted} (new arrays are created there; existing ones stay where they are)`);
      return undefined;
    }
    const current = jax.defaultDevice();
    const lines = [`Default device: ${current}`, `Chosen at start-up: ${report.device} (${report.reason})`, `Available: ${report.initialized.join(", ")}`];
    if (report.webgpuUnavailable) lines.push(`WebGPU: ${report.webgpuUnavailable}`);
    if (report.initialized.includes("wasm")) lines.push(`wasm threads: ${report.wasmThreads}`);
    print(lines.join("\n"));
    return undefined;
  },
};
