import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");

/**
 * Without tsx (as the installed kernel runs), a notebook's own .ts files load
 * through src/kernel/exec/ts-hooks.ts: this runs imports.ts and the hooks,
 * transpiled, in a plain node process.
 */
describe("kernel exec: importing the notebook's TypeScript files without tsx", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "tsnnx-ts-hooks-"));
    const kernel = path.join(dir, "kernel");
    mkdirSync(kernel);
    writeFileSync(path.join(kernel, "package.json"), JSON.stringify({ type: "module" }));
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    for (const name of ["imports", "ts-hooks"]) {
      const source = readFileSync(path.join(repoRoot, "src/kernel/exec", `${name}.ts`), "utf8");
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      writeFileSync(path.join(kernel, `${name}.js`), js.outputText);
    }
    const notebook = path.join(dir, "notebook");
    mkdirSync(path.join(notebook, "lib"), { recursive: true });
    writeFileSync(
      path.join(notebook, "lib/util.ts"),
      "import { base } from './helper.js';\nexport interface Scaled { value: number }\nexport function twice(n: number): Scaled { return { value: base(n) * 2 }; }\n",
    );
    writeFileSync(path.join(notebook, "lib/helper.ts"), "export const base = (n: number): number => n;\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("transpiles the file and the .ts files it imports as .js", () => {
    const script = [
      `const { importFromNotebook } = await import(${JSON.stringify(path.join(dir, "kernel/imports.js"))});`,
      `const m = await importFromNotebook(${JSON.stringify(path.join(dir, "notebook"))}, "./lib/util.ts");`,
      "console.log(JSON.stringify(m.twice(21)));",
    ].join("\n");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: "" },
      encoding: "utf8",
    });
    assert.equal(out.trim(), '{"value":42}');
  });
});
