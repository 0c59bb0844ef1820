/**
 * Builds src/ocp/format/libzstd-shim.c into dist/src/ocp/format/libzstd-shim.node
 * (run by `npm run build`). It needs a C compiler, Node's headers (they come
 * with Node) and the system's libzstd.so.1; where one is missing it says so
 * and exits 0, and tsnnx uses the prebuilt zstd binding instead (slower).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src/ocp/format/libzstd-shim.c");
const output = join(root, "dist/src/ocp/format/libzstd-shim.node");
const headers = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"].find((d) => existsSync(join(d, "node_api.h")));
const compiler = process.env.CC ?? "cc";

function skip(why) {
  console.warn(`build-libzstd-shim: not built (${why}); zstd runs through @toondepauw/node-zstd instead`);
  process.exit(0);
}

// A shim left by an earlier build must not outlive a failed one.
rmSync(output, { force: true });
if (process.platform !== "linux") skip(`the shim links the system libzstd.so.1, which is set up for Linux only`);
if (!headers) skip("Node's headers (node_api.h) were not found next to the node binary");
mkdirSync(dirname(output), { recursive: true });
try {
  execFileSync(compiler, ["-O2", "-shared", "-fPIC", "-Wall", "-Werror", `-I${headers}`, source, "-o", output, "-l:libzstd.so.1"], { stdio: ["ignore", "inherit", "pipe"] });
} catch (e) {
  skip(`${compiler} failed: ${String(e.stderr ?? e.message).trim().split("\n").slice(0, 3).join(" / ")}`);
}
console.log(`build-libzstd-shim: built ${output}`);
