/** Parses a JSON metadata file, naming it when it is not valid JSON or not an object. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${what}: corrupted metadata, not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what}: corrupted metadata, expected a JSON object`);
  return value as Record<string, unknown>;
}

export function shapeField(value: unknown, field: string, what: string): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${what}: "${field}" must be a list of non-negative integers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}
