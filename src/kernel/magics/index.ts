/**
 * Magics: `%save`, `%restore`, `%checkpoints`, `%checkpoint_dir`,
 * `%eval_shape`, `%diff`, `%time`/`%%time`, `%timeit`, `%who`, `%whos`,
 * `%lsmagic`, `%device`, `%typecheck`, and `%name?` for any of them.
 *
 * The executor prepares each cell with `prepareCell` (magic lines become
 * calls of `__tsnnxMagic` in place) and binds the two functions
 * `createMagics` returns; the registry answers completion and `%lsmagic`.
 */
import { checkFlagValue, MAGIC_FUNCTION, MAGIC_VALUE_FUNCTION } from "./parse.js";
import { checkpointMagics } from "./checkpoints.js";
import { namespaceMagics } from "./namespace.js";
import { diffMagic, evalShapeMagic } from "./shapes.js";
import { deviceMagic, lsmagicMagic } from "./system.js";
import { timeitMagic, timeMagic } from "./timing.js";
import { TYPECHECK_USAGE, typecheckMagic, UsageError, type MagicCall, type MagicRegistry, type NotebookBindings } from "./registry.js";

export { MagicRegistry, UsageError } from "./registry.js";
export type { MagicContext, MagicHandler, NotebookBindings, RuntimeMagic } from "./registry.js";
export { prepareCell, withoutMagicSyntax, cellMagicWithoutBody } from "./prepare.js";
export { completeMagic } from "./complete.js";
export { MAGIC_FUNCTION, MAGIC_VALUE_FUNCTION } from "./parse.js";

type MagicFunction = (name: string, flags: Record<string, unknown>, ...operands: unknown[]) => Promise<unknown>;

export interface NotebookMagics {
  /** Bind as `__tsnnxMagic`: a magic line used as a statement. */
  [MAGIC_FUNCTION]: MagicFunction;
  /** Bind as `__tsnnxMagicValue`: a magic line whose value is used (`const m = ...`). */
  [MAGIC_VALUE_FUNCTION]: MagicFunction;
}

/**
 * Registers every magic in `registry` for a notebook in `cwd`, and returns
 * the functions its rewritten lines call. `isKernelName` tells `%who` which
 * bindings the kernel made (not the user).
 */
export function createMagics(registry: MagicRegistry, cwd: string, notebook: NotebookBindings, isKernelName: (name: string) => boolean): NotebookMagics {
  registry.register("typecheck", typecheckMagic, TYPECHECK_USAGE);
  const checkpoints = checkpointMagics(cwd);
  for (const magic of [
    ...checkpoints.magics,
    evalShapeMagic,
    diffMagic(checkpoints.folder),
    timeMagic,
    timeitMagic,
    ...namespaceMagics(notebook, isKernelName),
    lsmagicMagic(registry),
    deviceMagic,
  ]) {
    registry.add(magic);
  }
  const call =
    (form: MagicCall["form"]): MagicFunction =>
    async (name, flags, ...operands) => {
      const magic = registry.runtimeMagic(name);
      if (!magic) throw new UsageError(`unknown magic %${name}`);
      // Interpolated values (`--step {i}`) are known only now: the same checks as for literal ones.
      for (const [flagName, value] of Object.entries(flags)) {
        const spec = magic.flags.find((f) => f.name === flagName);
        const problem = spec ? checkFlagValue(spec, value) : `unknown flag --${flagName}`;
        if (problem) throw new UsageError(`%${name}: ${problem}`);
      }
      return magic.run({ flags, operands, form });
    };
  return { [MAGIC_FUNCTION]: call("statement"), [MAGIC_VALUE_FUNCTION]: call("value") };
}
