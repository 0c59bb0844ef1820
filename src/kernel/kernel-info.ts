/** The kernel_info_reply content: cheap to build, so kernel_info never waits for the executor. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION } from "./wire.js";

/** The tsnnx package.json, found by walking up (this file runs from src/ under tsx and from dist/src/ when built). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tsnnx" && pkg.version) return pkg.version;
    } catch {
      // not here: keep walking
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

function typescriptVersion(): string {
  try {
    return (createRequire(import.meta.url)("typescript/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function kernelInfo(): Record<string, unknown> {
  const version = packageVersion();
  const tsVersion = typescriptVersion();
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "tsnnx",
    implementation_version: version,
    language_info: {
      name: "typescript",
      version: tsVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: { name: "javascript", typescript: true },
      pygments_lexer: "typescript",
      nbconvert_exporter: "script",
    },
    banner: `tsnnx ${version}: TypeScript ${tsVersion} on Node ${process.version}, Flax NNX-style modules on jax-js, Orbax checkpoints`,
    help_links: [
      { text: "jax-js", url: "https://github.com/ekzhang/jax-js" },
      { text: "Flax NNX", url: "https://flax.readthedocs.io/en/latest/nnx_basics.html" },
      { text: "Orbax checkpointing", url: "https://orbax.readthedocs.io/" },
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/" },
    ],
    debugger: false,
  };
}
