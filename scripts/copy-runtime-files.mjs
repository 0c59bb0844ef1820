/**
 * Copies the files the built kernel runs besides its JavaScript from src/ to
 * dist/ (run by `npm run build`), keeping them executable.
 */
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const file of ["src/kernel/exec/tsgo-child.sh"]) {
  const target = join(root, "dist", file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, file), target);
  chmodSync(target, 0o755);
}
