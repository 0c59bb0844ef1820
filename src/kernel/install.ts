/**
 * Registers the tsnnx kernelspec with Jupyter (`node install.js`, `tsnnx install`):
 * through `jupyter kernelspec install` when `jupyter` is on PATH, otherwise
 * straight into the Jupyter data folder. The installed kernel.json holds
 * absolute paths to the node binary running the install and to the built
 * kernel entry, so the kernel starts whatever PATH Jupyter runs with.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { delimiter, join } from "node:path";
import { jupyterDataDir } from "./jupyter-paths.js";
import { packageRoot } from "./package-root.js";
import { KERNEL_NODE_FLAGS } from "./node-flags.js";

export type InstallTarget = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

export interface InstallRequest {
  target: InstallTarget;
  name: string;
  uninstall: boolean;
}

export const INSTALL_USAGE = "usage: tsnnx install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--uninstall]";
const KERNEL_NAME = /^[a-z0-9._-]+$/i;
const LOGOS = ["logo-32x32.png", "logo-64x64.png"];

export function parseInstallArgs(args: string[]): InstallRequest {
  let target: InstallTarget | undefined;
  let name = "tsnnx";
  let uninstall = false;
  const setTarget = (next: InstallTarget): void => {
    if (target !== undefined) throw new Error(`choose one of --user, --sys-prefix, --prefix\n${INSTALL_USAGE}`);
    target = next;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const next = args[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value\n${INSTALL_USAGE}`);
      return next;
    };
    if (arg === "--user") setTarget({ kind: "user" });
    else if (arg === "--sys-prefix") setTarget({ kind: "sys-prefix" });
    else if (arg === "--prefix") setTarget({ kind: "prefix", dir: value() });
    else if (arg.startsWith("--prefix=")) setTarget({ kind: "prefix", dir: arg.slice("--prefix=".length) });
    else if (arg === "--name") name = value();
    else if (arg.startsWith("--name=")) name = arg.slice("--name=".length);
    else if (arg === "--uninstall") uninstall = true;
    else throw new Error(`unknown option ${JSON.stringify(arg)}\n${INSTALL_USAGE}`);
  }
  if (!KERNEL_NAME.test(name)) throw new Error(`kernel name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-" only`);
  return { target: target ?? { kind: "user" }, name, uninstall };
}

export interface InstallEnvironment {
  env: NodeJS.ProcessEnv;
  /** The command the kernelspec runs, `{connection_file}` included; default: this node on the built entry. */
  argv?: string[];
}

/** Installs or uninstalls; returns a line saying what was done. */
export function runInstall(request: InstallRequest, environment: InstallEnvironment = { env: process.env }): string {
  const jupyter = findOnPath("jupyter", environment.env);
  return request.uninstall ? uninstallSpec(request, jupyter, environment.env) : installSpec(request, jupyter, environment);
}

function installSpec(request: InstallRequest, jupyter: string | undefined, environment: InstallEnvironment): string {
  const staged = stageSpec(environment.argv ?? defaultArgv());
  try {
    if (jupyter !== undefined) {
      const flag = request.target.kind === "prefix" ? ["--prefix", request.target.dir] : [`--${request.target.kind}`];
      execFileSync(jupyter, ["kernelspec", "install", staged, "--name", request.name, "--replace", ...flag], { env: environment.env, stdio: ["ignore", "pipe", "pipe"] });
      return `installed kernelspec "${request.name}" with ${jupyter} kernelspec install (${describe(request.target)})`;
    }
    const destination = join(kernelsDir(request.target, environment.env), request.name);
    mkdirSync(destination, { recursive: true });
    for (const file of ["kernel.json", ...LOGOS]) copyFileSync(join(staged, file), join(destination, file));
    return `installed kernelspec "${request.name}" in ${destination} (jupyter is not on PATH)`;
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

function uninstallSpec(request: InstallRequest, jupyter: string | undefined, env: NodeJS.ProcessEnv): string {
  // The target folder is computed, not searched for, so --uninstall removes exactly what the same flags installed.
  const destination = join(jupyter !== undefined ? jupyterKernelsDir(jupyter, request.target, env) : kernelsDir(request.target, env), request.name);
  if (!existsSync(join(destination, "kernel.json"))) throw new Error(`no kernelspec "${request.name}" in ${destination}`);
  const spec = JSON.parse(readFileSync(join(destination, "kernel.json"), "utf8")) as { display_name?: string };
  if (spec.display_name !== DISPLAY_NAME) throw new Error(`${destination} holds "${spec.display_name}", not a tsnnx kernelspec; left untouched`);
  rmSync(destination, { recursive: true });
  return `removed kernelspec "${request.name}" from ${destination}`;
}

const DISPLAY_NAME = "TypeScript (tsnnx)";

function defaultArgv(): string[] {
  const entry = join(packageRoot().dir, "dist", "src", "kernel", "main.js");
  if (!existsSync(entry)) throw new Error(`the kernel is not built (${entry} is missing): run \`npm run build\` first`);
  return [process.execPath, ...KERNEL_NODE_FLAGS, entry, "-f", "{connection_file}"];
}

/** A temporary copy of the kernel/ folder with argv made absolute. */
function stageSpec(argv: string[]): string {
  if (!argv.includes("{connection_file}")) throw new Error(`kernel argv ${JSON.stringify(argv)} lacks {connection_file}`);
  const source = join(packageRoot().dir, "kernel");
  const spec = JSON.parse(readFileSync(join(source, "kernel.json"), "utf8")) as Record<string, unknown>;
  const staged = mkdtempSync(join(os.tmpdir(), "tsnnx-kernelspec-"));
  writeFileSync(join(staged, "kernel.json"), JSON.stringify({ ...spec, argv }, null, 2) + "\n");
  for (const logo of LOGOS) copyFileSync(join(source, logo), join(staged, logo));
  return staged;
}

/** Where the kernelspec lands without jupyter: the same folders jupyter_client would use. */
function kernelsDir(target: InstallTarget, env: NodeJS.ProcessEnv): string {
  switch (target.kind) {
    case "user":
      return join(jupyterDataDir(env), "kernels");
    case "prefix":
      return join(target.dir, "share", "jupyter", "kernels");
    case "sys-prefix":
      return join(pythonSysPrefix(env), "share", "jupyter", "kernels");
  }
}

/** With jupyter, ask its own Python where --user / --sys-prefix point, so uninstall matches what `jupyter kernelspec install` did. */
function jupyterKernelsDir(jupyter: string, target: InstallTarget, env: NodeJS.ProcessEnv): string {
  if (target.kind === "prefix") return kernelsDir(target, env);
  const script = target.kind === "user"
    ? "from jupyter_core.paths import jupyter_data_dir; import os; print(os.path.join(jupyter_data_dir(), 'kernels'))"
    : "import sys, os; print(os.path.join(sys.prefix, 'share', 'jupyter', 'kernels'))";
  return execFileSync(jupyterPython(jupyter), ["-c", script], { env, encoding: "utf8" }).trim();
}

/** The interpreter in the `jupyter` script's shebang. */
function jupyterPython(jupyter: string): string {
  const firstLine = readFileSync(jupyter, "utf8").split("\n", 1)[0];
  const match = /^#!\s*(\S+)/.exec(firstLine);
  if (match === null) throw new Error(`cannot tell which Python runs ${jupyter}`);
  return match[1];
}

function pythonSysPrefix(env: NodeJS.ProcessEnv): string {
  const python = findOnPath("python3", env) ?? findOnPath("python", env);
  if (python === undefined) throw new Error("--sys-prefix needs python3 on PATH to find sys.prefix (or use --prefix DIR)");
  return execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { env, encoding: "utf8" }).trim();
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function describe(target: InstallTarget): string {
  return target.kind === "prefix" ? `--prefix ${target.dir}` : `--${target.kind}`;
}

/** `tsnnx install ...` and `node install.js ...`: returns the exit code. */
export function installMain(args: string[]): number {
  try {
    console.log(runInstall(parseInstallArgs(args)));
    return 0;
  } catch (error) {
    console.error(`tsnnx install: ${(error as Error).message}`);
    return 1;
  }
}
