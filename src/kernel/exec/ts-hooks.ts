/**
 * Module loader hooks (node:module `register`) that let a notebook import
 * its own TypeScript files (`import { f } from "./util.ts"`, or `./util.js`
 * naming a `util.ts`) when Node cannot load TypeScript itself. Each file is
 * transpiled on its own (types are stripped, not checked: the cell's type
 * check already read them). Runs on Node's loader thread.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ResolveContext {
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;
type NextLoad = (url: string, context: object) => Promise<LoadResult>;

const TS_FILE = /\.(ts|mts|cts)$/;

function isTypeScript(url: string): boolean {
  return url.startsWith("file:") && TS_FILE.test(new URL(url).pathname) && !url.includes("/node_modules/");
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
  const parent = context.parentURL;
  // TypeScript sources name each other by their output: `./util.js` for util.ts.
  if (parent && isTypeScript(parent) && /^\.\.?\//.test(specifier) && /\.(m?js)$/.test(specifier)) {
    const candidate = new URL(specifier.replace(/\.(m?)js$/, ".$1ts"), parent);
    if (!existsSync(fileURLToPath(new URL(specifier, parent))) && existsSync(fileURLToPath(candidate))) {
      return { url: candidate.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  if (!isTypeScript(url)) return nextLoad(url, context);
  const ts = (await import("typescript")).default;
  const fileName = fileURLToPath(url);
  const commonJs = fileName.endsWith(".cts");
  const output = ts.transpileModule(await readFile(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: commonJs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
      inlineSourceMap: true,
      inlineSources: true,
      useDefineForClassFields: true,
    },
  });
  return { format: commonJs ? "commonjs" : "module", source: output.outputText, shortCircuit: true };
}
