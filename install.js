#!/usr/bin/env node
// Registers the tsnnx Jupyter kernel: node install.js [--user | --sys-prefix | --prefix DIR] [--name NAME] [--uninstall]
// The logic lives in src/kernel/install.ts; the kernel runs from dist/, so build first (npm run build).
import { existsSync } from "node:fs";

const built = new URL("./dist/src/kernel/install.js", import.meta.url);
if (!existsSync(built)) {
  console.error("install.js: dist/src/kernel/install.js is missing; run `npm run build` first");
  process.exit(1);
}
const { installMain } = await import(built.href);
process.exitCode = installMain(process.argv.slice(2));
