#!/usr/bin/env node
/**
 * The `tsnnx` command. Subcommands live in one dispatch table; each takes its
 * arguments and resolves to an exit code.
 */
// Must come first: jax-js reads these globals while it loads.
import "./runtime/globals.js";
import { runCkptCommand } from "./ocp/ckpt-command.js";
import { installMain, INSTALL_USAGE } from "./kernel/install.js";
import { createExecutor } from "./kernel/lazy-executor.js";
import { RUN_USAGE, runNotebook } from "./kernel/notebook-cli/run.js";
import { TEST_USAGE, runTestCommand } from "./kernel/notebook-cli/test-command.js";
import { KERNEL_USAGE, runKernel } from "./kernel/run-kernel.js";
import { guardStdStreams } from "./kernel/std-streams.js";

type Command = { summary: string; run(args: string[]): Promise<number> };

const commands: Record<string, Command> = {
  ckpt: { summary: "inspect Orbax checkpoints: ckpt ls DIR | ckpt show DIR [STEP] | ckpt verify DIR [STEP]", run: runCkptCommand },
  install: { summary: `register the Jupyter kernel (${INSTALL_USAGE.replace("usage: tsnnx install ", "")})`, run: async (args) => installMain(args) },
  // Resolves once the kernel listens; its sockets keep the process alive until shutdown_request.
  run: { summary: `execute a notebook headless, without Jupyter (${RUN_USAGE.replace("usage: tsnnx run ", "")})`, run: runNotebook },
  test: { summary: `run notebooks as tests, each in a fresh kernel (${TEST_USAGE.replace("usage: tsnnx test ", "")})`, run: runTestCommand },
  kernel: { summary: `run the Jupyter kernel (${KERNEL_USAGE.replace("usage: tsnnx kernel ", "")}); also the default when the first argument is -f or a .json file`, run: async (args) => (await runKernel(args, createExecutor), 0) },
};

function usage(): string {
  return ["usage: tsnnx <command> [args]", "", ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)].join("\n");
}

async function main(argv: string[]): Promise<number> {
  // Jupyter-style `tsnnx -f connection.json` starts the kernel.
  if (argv[0] === "-f" || argv[0]?.endsWith(".json")) {
    guardStdStreams("drop");
    return commands.kernel.run(argv);
  }
  const [name, ...rest] = argv;
  // The kernel's own log may go unread; a command whose output is cut off (`| head`) ends as other CLIs do.
  guardStdStreams(name === "kernel" ? "drop" : "exit");
  if (name === undefined || name === "-h" || name === "--help") {
    process.stdout.write(usage() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`tsnnx: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tsnnx: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
