/**
 * Node's internal bindings through `process.binding`: deprecated (DEP0111),
 * but the one way to reach the few functions the kernel needs
 * (sigint-hold.ts, terminate-main.ts). The deprecation warning would only
 * confuse the kernel's log, so it is silenced for the lookup. Undefined where
 * this Node refuses the binding; callers keep a fallback.
 */
export function nodeBinding(name: string): Record<string, unknown> | undefined {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return (process as unknown as { binding(name: string): Record<string, unknown> }).binding(name);
  } catch {
    return undefined;
  } finally {
    process.noDeprecation = quiet;
  }
}
