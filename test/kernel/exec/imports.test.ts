import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Notebook } from "./helpers.js";

/** A notebook folder with its own node_modules: an ESM-only package, a CommonJS one, local files. */
function makeNotebookFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsnnx-exec-imports-"));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  // ESM only: `require` cannot load it (no "require" condition), import must.
  write(
    "node_modules/esm-only/package.json",
    JSON.stringify({ name: "esm-only", type: "module", exports: { ".": { import: "./main.js" }, "./extra": { import: "./extra.js" } } }),
  );
  write("node_modules/esm-only/main.js", "export const triple = (n) => 3 * n;\nexport default 'esm default';\n");
  write("node_modules/esm-only/extra.js", "export const extra = 'from the subpath';\n");
  write(
    "node_modules/esm-only/main.d.ts",
    "export declare const triple: (n: number) => number;\ndeclare const d: string;\nexport default d;\n",
  );
  write("node_modules/cjs-pkg/package.json", JSON.stringify({ name: "cjs-pkg", main: "lib.js" }));
  write("node_modules/cjs-pkg/lib.js", "exports.add = (a, b) => a + b;\nexports.kind = 'commonjs';\n");
  write("node_modules/@scope/dual/package.json", JSON.stringify({ name: "@scope/dual", exports: { import: "./m.mjs", require: "./c.cjs" } }));
  write("node_modules/@scope/dual/m.mjs", "export const which = 'import condition';\n");
  write("node_modules/@scope/dual/c.cjs", "exports.which = 'require condition';\n");
  write("util.js", "export function shout(s) { return s.toUpperCase() + '!'; }\n");
  write("helpers/math.ts", "export function square(n: number): number { return n * n; }\nexport interface Shape { area: number }\n");
  return dir;
}

describe("kernel exec: imports", function () {
  this.timeout(120_000);
  let dir: string;
  let nb: Notebook;
  before(async () => {
    dir = makeNotebookFolder();
    nb = await Notebook.open(dir);
  });
  after(() => {
    nb.executor.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports an ESM-only package from the notebook's node_modules (default, named, subpath)", async () => {
    await nb.value("import esmDefault, { triple } from 'esm-only';\nimport { extra } from 'esm-only/extra';");
    assert.equal(await nb.value("triple(14)"), "42");
    assert.equal(await nb.value("esmDefault"), "'esm default'");
    assert.equal(await nb.value("extra"), "'from the subpath'");
  });

  it("type-checks against an imported package's declarations; untyped packages are `any`", async () => {
    const error = await nb.error("import { triple as t3 } from 'esm-only';\nt3('x')");
    assert.match(error.traceback[0]!, /:2:4 - error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
    assert.equal(await nb.value("import { add as untypedAdd } from 'cjs-pkg';\nuntypedAdd('a', 'b')"), "'ab'");
  });

  it("imports a CommonJS package: named, default and namespace imports", async () => {
    await nb.value("import { add } from 'cjs-pkg';\nimport cjs from 'cjs-pkg';\nimport * as ns from 'cjs-pkg';");
    assert.equal(await nb.value("add(40, 2)"), "42");
    assert.equal(await nb.value("cjs.kind + ' ' + ns.kind"), "'commonjs commonjs'");
  });

  it("picks a dual package's import condition", async () => {
    assert.equal(await nb.value("import { which } from '@scope/dual';\nwhich"), "'import condition'");
  });

  it("imports node: builtins and bare builtin names", async () => {
    assert.equal(await nb.value("import path from 'node:path';\nimport { EOL } from 'os';\npath.join('a', 'b') + JSON.stringify(EOL)"), `'a/b"\\\\n"'`);
  });

  it("imports relative files from the notebook folder, .js and .ts", async () => {
    assert.equal(await nb.value("import { shout } from './util.js';\nshout('hey')"), "'HEY!'");
    assert.equal(await nb.value("import { square } from './helpers/math.ts';\nsquare(7)"), "49");
    assert.equal(await nb.value("import { square as sq } from './helpers/math.js';\nsq(3)"), "9");
  });

  it("supports dynamic import() in cells and inside functions", async () => {
    assert.equal(await nb.value("const m = await import('cjs-pkg');\nm.add(1, 2)"), "3");
    assert.equal(await nb.value("async function load() { return (await import('esm-only')).triple(2); }\nawait load()"), "6");
  });

  it("falls back to the kernel's own dependencies", async () => {
    assert.equal(await nb.value("import { numpy as jnp } from '@jax-js/jax';\ntypeof jnp.ones"), "'function'");
  });

  it("imports tsnnx itself by its package name, with its types", async () => {
    assert.equal(await nb.value("import { ShapeDtypeStruct as SDS } from 'tsnnx';\nnew SDS([2, 3], np.float32).shape.length"), "2");
    assert.match((await nb.error("const wrongShape: SDS = { shape: 'two', dtype: np.float32 };")).evalue, /TS2322: Type 'string' is not assignable to type '(readonly )?number\[\]'/);
  });

  it("names a missing module and the folder it looked in", async () => {
    const typeError = await nb.error("import { nope } from 'no-such-package';");
    assert.match(typeError.evalue, /:1:22 - error TS2307: Cannot find module 'no-such-package'/);
    await nb.value("%typecheck off");
    const error = await nb.error("import { nope } from 'no-such-package';");
    assert.match(error.evalue, /Cannot find module 'no-such-package': not in .*node_modules/);
    const local = await nb.error("import { x } from './missing.js';");
    assert.match(local.evalue, /Cannot find module '\.\/missing\.js': no file .*missing\.js/);
    const blocked = await nb.error("import { x } from 'esm-only/private';");
    assert.match(blocked.evalue, /does not export '\.\/private'/);
    await nb.value("%typecheck on");
  });

  it("binds the tsnnx namespaces in every cell without an import", async () => {
    assert.equal(await nb.value("[typeof np.ones, typeof random.key, typeof jax.grad, typeof display.html].join(',')"), "'function,function,function,function'");
  });
});
