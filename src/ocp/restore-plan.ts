/**
 * Matching a stored tree against a restore template: every difference is
 * found up front and reported together (or skipped under partialRestore), and
 * every dtype conversion and shape change is recorded in the restore report.
 */
import * as jax from "@jax-js/jax";
import { ShapeDtypeStruct } from "../runtime/shape-dtype.js";
import { encodeFromTypedArray, type HostArray, type LeafEntry, type LeafMetadata, type StoredDType } from "./format/index.js";
import { hostToArray, jaxCanHold, naturalJaxDType, typedArrayDType, type ArrayTarget, type JaxDType } from "./host.js";
import { TreeMismatchError } from "./errors.js";
import { buildNested, flattenTree, mapTree, pathName, type KeyType, type TreeLeaf } from "./tree.js";
import { padOrTruncate } from "./reshape.js";

export interface RestoreOptions {
  /** false: pad with zeros / truncate arrays whose stored shape differs from the template's (same rank), as Orbax does. */
  strict?: boolean;
  /** Restore only what matches the template; everything else is skipped and reported. */
  partialRestore?: boolean;
}

/** What a restore changed or left out, path by path. */
export interface RestoreReport {
  conversions: { path: string; from: StoredDType; to: string }[];
  reshaped: { path: string; from: number[]; to: number[] }[];
  skipped: { path: string; reason: string }[];
}

export function emptyReport(): RestoreReport {
  return { conversions: [], reshaped: [], skipped: [] };
}

type LeafTarget = { kind: "array"; target: ArrayTarget } | { kind: "number" } | { kind: "string" };

interface PlannedLeaf {
  keys: (string | number)[];
  keyTypes: KeyType[];
  target: LeafTarget;
}

export interface RestorePlan {
  /** The stored leaves to read (by path key). */
  wanted: Set<string>;
  /** Builds the restored tree from the leaves read. */
  assemble(entries: LeafEntry[]): unknown;
  report: RestoreReport;
}

export function pathKey(keys: readonly (string | number)[]): string {
  return JSON.stringify(keys.map(String));
}

function templateTarget(leaf: unknown): LeafTarget | string {
  if (leaf instanceof jax.Array) return { kind: "array", target: { kind: "jax", dtype: leaf.dtype as JaxDType, shape: [...leaf.shape], device: leaf.device } };
  if (leaf instanceof ShapeDtypeStruct) return { kind: "array", target: { kind: "jax", dtype: leaf.dtype as JaxDType, shape: [...leaf.shape] } };
  if (typeof leaf === "number") return { kind: "number" };
  if (typeof leaf === "string") return { kind: "string" };
  const dtype = typedArrayDType(leaf);
  if (dtype !== undefined) return { kind: "array", target: { kind: "typed", dtype, shape: [(leaf as { length: number }).length] } };
  return `the template leaf is a ${leaf === null ? "null" : (leaf as object).constructor?.name ?? typeof leaf}, not an array, ShapeDtypeStruct, number, string or typed array`;
}

const floats = new Set<StoredDType>(["float16", "bfloat16", "float32", "float64"]);
const ints = new Set<StoredDType>(["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]);

/** A stored dtype jax-js cannot hold converts to a template dtype of the same kind; anything else must match. */
function conversionAllowed(from: StoredDType, to: StoredDType): boolean {
  if (from === to) return true;
  const sameKind = (floats.has(from) && floats.has(to)) || (ints.has(from) && ints.has(to));
  return sameKind && !jaxCanHold(from) && jaxCanHold(to);
}

const fmtShape = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** Checks stored metadata against `template` (or plans a plain restore without one); throws TreeMismatchError listing every difference. */
export function planRestore(stored: LeafMetadata[], template: unknown, options: RestoreOptions, where: string): RestorePlan {
  const report = emptyReport();
  const storedByKey = new Map(stored.map((m) => [pathKey(m.path.keys), m]));
  const planned = new Map<string, PlannedLeaf>();
  const reshape = new Map<string, number[]>();
  const differences: { path: string; reason: string }[] = [];

  if (template === undefined) {
    for (const m of stored) {
      const key = pathKey(m.path.keys);
      if (m.kind === "array") {
        const dtype = naturalJaxDType(m.dtype);
        if (dtype !== m.dtype) report.conversions.push({ path: pathName(m.path.keys), from: m.dtype, to: dtype });
        planned.set(key, { keys: m.path.keys, keyTypes: m.path.keyTypes, target: { kind: "array", target: { kind: "jax", dtype, shape: m.shape } } });
      } else {
        planned.set(key, { keys: m.path.keys, keyTypes: m.path.keyTypes, target: { kind: m.kind === "scalar" ? "number" : "string" } });
      }
    }
  } else {
    const templateLeaves = flattenTree(template);
    const templateKeys = new Set(templateLeaves.map((l) => pathKey(l.keys)));
    for (const leaf of templateLeaves) {
      const key = pathKey(leaf.keys);
      const name = pathName(leaf.keys);
      const m = storedByKey.get(key);
      const problem = m === undefined ? "in the template but not in the checkpoint" : checkLeaf(m, leaf, options, report, reshape, key);
      if (typeof problem === "string") differences.push({ path: name, reason: problem });
      else planned.set(key, { keys: leaf.keys, keyTypes: leaf.keyTypes, target: problem });
    }
    for (const m of stored) {
      if (!templateKeys.has(pathKey(m.path.keys))) differences.push({ path: pathName(m.path.keys), reason: "in the checkpoint but not in the template" });
    }
  }

  if (differences.length > 0) {
    if (!options.partialRestore) throw new TreeMismatchError(differences.map((d) => `${d.path}: ${d.reason}`), where);
    report.skipped.push(...differences);
  }

  const assemble = (entries: LeafEntry[]): unknown => {
    const values = new Map<string, unknown>();
    for (const entry of entries) {
      const key = pathKey(entry.path.keys);
      const plan = planned.get(key);
      if (plan === undefined) continue;
      values.set(key, materialize(entry, plan.target, reshape.get(key), where));
    }
    if (template === undefined) {
      const leaves: TreeLeaf[] = [...planned.entries()].map(([key, p]) => ({ keys: p.keys, keyTypes: p.keyTypes, leaf: values.get(key) }));
      return buildNested(leaves);
    }
    return mapTree(template, (leaf) => {
      const key = pathKey(leaf.keys);
      return values.has(key) ? values.get(key) : leaf.leaf;
    });
  };
  return { wanted: new Set(planned.keys()), assemble, report };
}

function checkLeaf(m: LeafMetadata, leaf: TreeLeaf, options: RestoreOptions, report: RestoreReport, reshape: Map<string, number[]>, key: string): LeafTarget | string {
  const target = templateTarget(leaf.leaf);
  if (typeof target === "string") return target;
  const name = pathName(leaf.keys);
  if (target.kind === "number") {
    if (m.kind === "scalar") return target;
    if (m.kind === "array" && m.shape.length === 0) return target;
    return `the checkpoint holds ${m.kind === "array" ? `an array of shape ${fmtShape(m.shape)}` : "a string"}, the template a number`;
  }
  if (target.kind === "string") return m.kind === "string" ? target : `the checkpoint holds ${m.kind === "array" ? "an array" : "a number"}, the template a string`;
  const want = target.target;
  if (m.kind === "string") return "the checkpoint holds a string, the template an array";
  if (m.kind === "scalar") {
    if (want.shape.length === 0) return target;
    return `the checkpoint holds a scalar, the template an array of shape ${fmtShape(want.shape)}`;
  }
  const problems: string[] = [];
  if (want.kind === "jax" && !jaxCanHold(want.dtype)) return `jax-js cannot build ${want.dtype} arrays from data in this JS engine (it lacks Float16Array); use a float32 template`;
  if (!conversionAllowed(m.dtype, want.dtype)) problems.push(`dtype ${m.dtype} in the checkpoint, ${want.dtype} in the template`);
  const sameShape = m.shape.length === want.shape.length && m.shape.every((d, i) => d === want.shape[i]);
  if (!sameShape) {
    if (options.strict === false && m.shape.length === want.shape.length) reshape.set(key, want.shape);
    else problems.push(`shape ${fmtShape(m.shape)} in the checkpoint, ${fmtShape(want.shape)} in the template`);
  }
  if (problems.length > 0) return problems.join("; ");
  if (m.dtype !== want.dtype) report.conversions.push({ path: name, from: m.dtype, to: want.dtype });
  if (!sameShape) report.reshaped.push({ path: name, from: m.shape, to: want.shape });
  return target;
}

function materialize(entry: LeafEntry, target: LeafTarget, reshapeTo: number[] | undefined, where: string): unknown {
  const name = pathName(entry.path.keys);
  const value = entry.value;
  if (target.kind === "string") {
    if (value.kind !== "string") throw new Error(`${where}: leaf "${name}" was read as ${value.kind}, expected a string`);
    return value.value;
  }
  if (target.kind === "number") {
    if (value.kind === "scalar") return value.value;
    if (value.kind === "array") {
      const data = hostToArray(value.array, { kind: "typed", dtype: "float64", shape: [] }, name) as Float64Array;
      return data[0];
    }
    throw new Error(`${where}: leaf "${name}" was read as a string, expected a number`);
  }
  let array: HostArray;
  if (value.kind === "array") array = value.array;
  else if (value.kind === "scalar") array = scalarHost(value.value, target.target.dtype);
  else throw new Error(`${where}: leaf "${name}" was read as a string, expected an array`);
  if (reshapeTo !== undefined) array = padOrTruncate(array, reshapeTo);
  return hostToArray(array, target.target, name);
}

/** A stored Python scalar restored into a rank-0 array of the template's dtype. */
function scalarHost(value: number, dtype: StoredDType): HostArray {
  switch (dtype) {
    case "int32":
      return encodeFromTypedArray(new Int32Array([value]), "int32", []);
    case "uint32":
      return encodeFromTypedArray(new Uint32Array([value]), "uint32", []);
    case "bool":
      return encodeFromTypedArray(new Uint8Array([value ? 1 : 0]), "bool", []);
    case "float64":
      return encodeFromTypedArray(new Float64Array([value]), "float64", []);
    default:
      return encodeFromTypedArray(new Float32Array([value]), "float32", []);
  }
}
