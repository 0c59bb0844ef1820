/**
 * Completion on a magic line: magic names after `%` (`%sa` → `save`, `%%ti`
 * → `time`) and a magic's flags after `-` (`%save model --` → `--dir`, ...).
 * Operands are completed by the type checker (see withoutMagicSyntax).
 */
import type { MagicRegistry } from "./registry.js";

/** Matches and where the completed word starts in `lineBeforeCursor`; null where this is not a magic's name or flag. */
export function completeMagic(registry: MagicRegistry, lineBeforeCursor: string): { matches: string[]; start: number } | null {
  const name = /^(\s*)(%%?)(\w*)$/.exec(lineBeforeCursor);
  if (name) {
    const [, indent, percents, prefix] = name as unknown as [string, string, string, string];
    const names = percents === "%%" ? registry.cellMagicNames() : registry.names();
    return { matches: names.filter((n) => n.startsWith(prefix)), start: indent.length + percents.length };
  }
  const flag = /^\s*%(\w+)\s(?:.*\s)?(-{1,2}[\w-]*)$/.exec(lineBeforeCursor);
  if (!flag) return null;
  const [, magicName, prefix] = flag as unknown as [string, string, string];
  const magic = registry.runtimeMagic(magicName);
  if (!magic) return null;
  const spelled = magic.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
  return { matches: spelled.filter((s) => s.startsWith(prefix)), start: lineBeforeCursor.length - prefix.length };
}
