/** The tsnnx package folder, found by walking up from this file (it runs from src/ under tsx and from dist/src/ when built). */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageRoot {
  dir: string;
  version: string;
}

export function packageRoot(): PackageRoot {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tsnnx") return { dir, version: pkg.version ?? "unknown" };
    } catch {
      // no package.json here: keep walking
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the tsnnx package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
