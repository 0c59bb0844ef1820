/**
 * Imports from cells. Packages resolve from the notebook's folder first (its
 * node_modules, walking up) with Node's ESM rules (package `exports` with the
 * `import` condition, so ESM-only packages work), then from the kernel's own
 * dependencies; `node:` builtins and relative files (to the notebook folder)
 * work too. Everything is loaded with a real dynamic `import()`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isBuiltin, register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const CONDITIONS = new Set(["node", "import", "default"]);
const FILE_EXTENSIONS = ["", ".ts", ".js", ".mts", ".mjs", ".cjs", ".json"];

/** Loads `specifier` as a cell in folder `cwd` imports it. */
export async function importFromNotebook(cwd: string, specifier: string): Promise<Record<string, unknown>> {
  if (typeof specifier !== "string" || specifier === "") {
    throw new TypeError(`import needs a module name or path, got ${JSON.stringify(specifier)}`);
  }
  const target = resolveFromNotebook(cwd, specifier);
  try {
    return await importTypeScriptAware(target);
  } catch (error) {
    if (isNotFound(error) && target === specifier) {
      throw new Error(
        `Cannot find module '${specifier}': not in ${path.join(cwd, "node_modules")} (or a parent folder's) nor among the kernel's packages`,
      );
    }
    throw error;
  }
}

let typeScriptHooks = false;

/**
 * Imports `target`; a TypeScript file Node cannot load by itself (no tsx,
 * no type stripping) is loaded again through ts-hooks.ts, registered on first need.
 */
async function importTypeScriptAware(target: string): Promise<Record<string, unknown>> {
  try {
    return (await import(target)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string } | null)?.code;
    if (code !== "ERR_UNKNOWN_FILE_EXTENSION" || !/\.(ts|mts|cts)$/.test(target)) throw error;
    if (!typeScriptHooks) {
      register(new URL("./ts-hooks.js", import.meta.url));
      typeScriptHooks = true;
    }
    // A new URL: the failed attempt stays in the module cache under the old one.
    return (await import(`${target}?typescript`)) as Record<string, unknown>;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/** A URL for `import()`, or the bare specifier itself to let the kernel's own resolution try. */
export function resolveFromNotebook(cwd: string, specifier: string): string {
  if (specifier.startsWith("node:") || isBuiltin(specifier)) return specifier;
  if (specifier.startsWith("file:")) return specifier;
  if (specifier.startsWith(".") || path.isAbsolute(specifier)) {
    return pathToFileURL(resolveFile(path.resolve(cwd, specifier), specifier)).href;
  }
  const resolved = resolvePackage(cwd, specifier);
  return resolved ? pathToFileURL(resolved).href : specifier;
}

function resolveFile(file: string, specifier: string): string {
  for (const extension of FILE_EXTENSIONS) {
    if (isFile(file + extension)) return file + extension;
  }
  // TypeScript sources import each other as `./util.js`.
  const asTs = file.replace(/\.(m?)js$/, ".$1ts");
  if (asTs !== file && isFile(asTs)) return asTs;
  if (isDirectory(file)) {
    for (const index of ["index.ts", "index.js", "index.mjs"]) {
      if (isFile(path.join(file, index))) return path.join(file, index);
    }
  }
  throw new Error(`Cannot find module '${specifier}': no file ${file} (tried ${FILE_EXTENSIONS.filter(Boolean).join(", ")})`);
}

function resolvePackage(cwd: string, specifier: string): string | null {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLength).join("/");
  const subpath = parts.length > nameLength ? "./" + parts.slice(nameLength).join("/") : ".";
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, "node_modules", name);
    const manifestPath = path.join(packageDir, "package.json");
    if (isFile(manifestPath)) return resolveInPackage(packageDir, manifestPath, subpath, specifier);
    if (path.dirname(dir) === dir) return null;
  }
}

interface PackageManifest {
  exports?: unknown;
  main?: string;
}

function resolveInPackage(packageDir: string, manifestPath: string, subpath: string, specifier: string): string {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as PackageManifest;
  if (manifest.exports !== undefined) {
    const target = resolveExports(manifest.exports, subpath);
    if (target === null) {
      throw new Error(`Cannot import '${specifier}': ${manifestPath} does not export '${subpath}' for import`);
    }
    return path.join(packageDir, target);
  }
  if (subpath === ".") return resolveFile(path.join(packageDir, manifest.main ?? "index.js"), specifier);
  return resolveFile(path.join(packageDir, subpath), specifier);
}

/** Node's `exports` lookup for the conditions node/import/default (first matching key wins). */
function resolveExports(exports: unknown, subpath: string): string | null {
  const isSubpathMap =
    typeof exports === "object" && exports !== null && !Array.isArray(exports) &&
    Object.keys(exports).some((key) => key.startsWith("."));
  if (!isSubpathMap) return subpath === "." ? resolveTarget(exports, "") : null;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return resolveTarget(map[subpath], "");
  for (const [key, target] of Object.entries(map)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      return resolveTarget(target, subpath.slice(prefix.length, subpath.length - suffix.length));
    }
  }
  return null;
}

function resolveTarget(target: unknown, star: string): string | null {
  if (typeof target === "string") return target.replaceAll("*", star);
  if (Array.isArray(target)) {
    for (const option of target) {
      const resolved = resolveTarget(option, star);
      if (resolved !== null) return resolved;
    }
    return null;
  }
  if (typeof target === "object" && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const resolved = resolveTarget(value, star);
      if (resolved !== null) return resolved;
    }
  }
  return null;
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

function isDirectory(file: string): boolean {
  return existsSync(file) && statSync(file).isDirectory();
}
