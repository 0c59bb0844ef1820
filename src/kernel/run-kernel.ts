/** Starts a kernel from the command line: `<entry> [-f] <connection_file>`. */
import { readConnectionFile } from "./connection.js";
import { historyFile } from "./jupyter-paths.js";
import { KernelServer, type CreateExecutor } from "./server.js";

export const KERNEL_USAGE = "usage: tsnnx kernel [-f] <connection_file>";

export function connectionFileArgument(args: string[]): string {
  const rest = args[0] === "-f" || args[0] === "--connection-file" ? args.slice(1) : args;
  if (rest.length !== 1 || rest[0].startsWith("-")) throw new Error(`expected one connection file, got ${JSON.stringify(args)}\n${KERNEL_USAGE}`);
  return rest[0];
}

export async function runKernel(args: string[], createExecutor: CreateExecutor): Promise<KernelServer> {
  const connection = await readConnectionFile(connectionFileArgument(args));
  return KernelServer.start({ connection, createExecutor, historyPath: historyFile(), cwd: process.cwd() });
}
