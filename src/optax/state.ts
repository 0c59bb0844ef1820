/** Checks that a state handed back to `update` is the one `init` made. */
import type { OptState } from "./types.js";

export function expectState<K extends string>(
  state: OptState,
  keys: readonly K[],
  transformation: string,
): Record<K, unknown> {
  const ok =
    typeof state === "object" &&
    state !== null &&
    !Array.isArray(state) &&
    keys.every((k) => k in state) &&
    Object.keys(state).length === keys.length;
  if (!ok) {
    const got = typeof state === "object" && state !== null ? `keys [${Object.keys(state).join(", ")}]` : String(state);
    throw new Error(`${transformation}: expected a state with keys [${keys.join(", ")}] (from its init), got ${got}`);
  }
  return state as Record<K, unknown>;
}

export function checkNumber(value: number, name: string, transformation: string, ok: (v: number) => boolean, rule: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`${transformation}: ${name} must be ${rule}, got ${value}`);
  }
}
