import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh folder under the OS temp dir for one test. */
export function scratchDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsnnx-${name}-`));
}
