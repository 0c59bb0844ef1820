/**
 * A string that is equal for two graphdefs (or static arguments) exactly when
 * a traced program built for one fits the other: classes and non-primitive
 * static values count by identity, primitives by value.
 */
import type { AttrDef, GraphDef, NodeDef } from "../graph.js";

const ids = new WeakMap<object, number>();
let nextId = 0;

function identity(value: object): string {
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = nextId++));
  return `#${id}`;
}

export function fingerprintValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object" || typeof value === "function") return identity(value);
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value}:${String(value)}`;
}

function attr(a: AttrDef): string {
  switch (a.kind) {
    case "static": return `s${fingerprintValue(a.value)}`;
    case "node": return node(a.node);
    case "variable": return `v${identity(a.type)}${Object.entries(a.metadata).map(([k, v]) => `${k}=${fingerprintValue(v)}`).join(",")}`;
    case "leaf": return "l";
    case "ref": return `r${a.index}`;
  }
}

function node(def: NodeDef): string {
  if (def.kind === "list") return `[${def.items.map(attr).join(";")}]`;
  const body = def.attributes.map(([k, a]) => `${JSON.stringify(k)}:${attr(a)}`).join(";");
  return def.kind === "dict" ? `{${body}}` : `${identity(def.type)}(${body}|${def.order.join(",")})`;
}

export function fingerprintGraph(graphdef: GraphDef): string {
  return node(graphdef.root);
}
