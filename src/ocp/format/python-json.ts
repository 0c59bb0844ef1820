/**
 * JSON the way Python's `json.dumps` writes it by default (", " and ": "
 * separators, non-ASCII escaped): Orbax writes `_METADATA` and
 * `array_metadatas` this way, and we match it byte for byte.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return String(value);
  }
  if (typeof value === "string") return asciiString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (typeof value === "object") {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${asciiString(k)}: ${pythonJsonDumps(v)}`);
    return `{${parts.join(", ")}}`;
  }
  throw new Error(`cannot write ${typeof value} as JSON`);
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Python's `repr()` of a str, which Orbax uses to key `tree_metadata`. */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a tuple of str: `('a',)`, `('a', 'b')`. */
export function pythonTupleRepr(items: string[]): string {
  const inner = items.map(pythonStrRepr).join(", ");
  return items.length === 1 ? `(${inner},)` : `(${inner})`;
}
