/** Step folder names as Orbax writes them: `<step>`, `<prefix>_<step>`, optionally zero-padded. */
import { isTmpName } from "./atomic.js";

export interface StepNameFormat {
  stepPrefix?: string;
  stepFormatFixedLength?: number;
}

export function stepName(step: number, format: StepNameFormat): string {
  const digits = format.stepFormatFixedLength !== undefined ? String(step).padStart(format.stepFormatFixedLength, "0") : String(step);
  return format.stepPrefix !== undefined ? `${format.stepPrefix}_${digits}` : digits;
}

/** The step a folder name stands for, or undefined when the name is not a committed step's (temporary folders never are). */
export function parseStepName(name: string, format: StepNameFormat): number | undefined {
  if (isTmpName(name)) return undefined;
  let digits = name;
  if (format.stepPrefix !== undefined) {
    if (!name.startsWith(`${format.stepPrefix}_`)) return undefined;
    digits = name.slice(format.stepPrefix.length + 1);
  }
  if (!/^\d+$/.test(digits)) return undefined;
  if (format.stepFormatFixedLength !== undefined && digits.length < format.stepFormatFixedLength) return undefined;
  return Number(digits);
}

export function checkStep(step: unknown, what: string): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new Error(`${what}: the step must be a non-negative integer, got ${typeof step === "number" ? step : JSON.stringify(step)}`);
  }
  return step;
}
