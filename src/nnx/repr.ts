/**
 * Text reprs of graph nodes, concise like NNX's:
 * `Linear(kernel=Param(float32[4,4]), bias=Param(float32[4]), inFeatures=4)`,
 * one line when short, one attribute per line when not. A node met again
 * (shared or cyclic) prints as `<shared Name>`.
 */
import { isPlainObject } from "../runtime/pytree.js";
import { describeLeaf } from "./arrays.js";
import { Pytree } from "./pytreelib.js";
import { Variable } from "./variablelib.js";

const maxLine = 100;

export function reprNode(node: object): string {
  return repr(node, "", new Set());
}

function repr(value: unknown, indent: string, seen: Set<unknown>): string {
  if (value instanceof Variable) return value.toString();
  const isNode = (typeof value === "object" || typeof value === "function") && value !== null && (Array.isArray(value) || isPlainObject(value) || value instanceof Pytree);
  if (!isNode) return describeLeaf(value);
  if (seen.has(value)) return `<shared ${nameOf(value)}>`;
  seen.add(value);
  const inner = indent + "  ";
  const entries = Object.entries(value as object);
  const parts = Array.isArray(value)
    ? value.map((v) => repr(v, inner, seen))
    : entries.map(([k, v]) => `${isPlainObject(value) ? JSON.stringify(k) + ": " : k + "="}${repr(v, inner, seen)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : isPlainObject(value) ? ["{", "}"] : [`${nameOf(value)}(`, ")"];
  const oneLine = `${open}${parts.join(", ")}${close}`;
  if (oneLine.length + indent.length <= maxLine && !oneLine.includes("\n")) return oneLine;
  return `${open}\n${parts.map((p) => inner + p).join(",\n")}\n${indent}${close}`;
}

function nameOf(value: unknown): string {
  return (value as { constructor?: { name?: string } }).constructor?.name ?? "";
}
