/**
 * The type checker remembers what it read from disk between cells (speed);
 * what changed on disk since must still be seen before a cell is blamed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Notebook } from "./helpers.js";

describe("kernel exec: type checking against files on disk", function () {
  this.timeout(120_000);
  let dir: string;
  let nb: Notebook;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "tsnnx-exec-disk-"));
    nb = await Notebook.open(dir);
  });
  after(() => {
    nb?.executor.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sees a package installed after a cell failed to find it", async () => {
    const missing = await nb.error(`import { late } from "installed-later";\nconst n: number = late();`);
    assert.equal(missing.ename, "TSError");
    assert.match(missing.evalue, /Cannot find module 'installed-later'/);
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write("node_modules/installed-later/package.json", JSON.stringify({ name: "installed-later", type: "module", main: "index.js", types: "index.d.ts" }));
    write("node_modules/installed-later/index.js", "export const late = () => 7;\n");
    write("node_modules/installed-later/index.d.ts", "export declare const late: () => number;\n");
    assert.equal(await nb.value(`import { late } from "installed-later";\nconst n: number = late();\nn * 6`), "42");
    // Its declarations are checked, not taken as any.
    const wrong = await nb.error(`const s: string = late();`);
    assert.match(wrong.evalue, /TS2322: Type 'number' is not assignable to type 'string'/);
  });
});
