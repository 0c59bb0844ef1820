/**
 * Recognises jax-js arrays by shape rather than `instanceof`: a process can
 * hold two copies of jax-js (its ESM and CommonJS builds, as under a
 * CommonJS test runner), and arrays from either must be managed alike.
 */
import type { Array as JaxArray } from "@jax-js/jax";

export type { JaxArray };

export function isJaxArray(value: unknown): value is JaxArray {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<"refCount" | "dispose" | "jsAsync" | "dataSync", unknown>>;
  return (
    typeof candidate.refCount === "number" &&
    typeof candidate.dispose === "function" &&
    typeof candidate.jsAsync === "function" &&
    typeof candidate.dataSync === "function" &&
    "ref" in value
  );
}

/** An array whose memory is still held (reading or passing it is allowed). */
export function isLiveArray(value: unknown): value is JaxArray {
  return isJaxArray(value) && value.refCount > 0;
}
