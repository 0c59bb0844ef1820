/** The kernel_info_reply content: cheap to build, so kernel_info never waits for the executor. */
import { createRequire } from "node:module";
import { packageRoot } from "./package-root.js";
import { PROTOCOL_VERSION } from "./wire.js";

function typescriptVersion(): string {
  try {
    return (createRequire(import.meta.url)("typescript/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function kernelInfo(): Record<string, unknown> {
  const { version } = packageRoot();
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
