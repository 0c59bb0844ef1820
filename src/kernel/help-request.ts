/**
 * IPython's help syntax: a cell that is only `name?`, `?name` (or `??` for more
 * detail) shows the inspection of `name` in the frontend's pager instead of
 * running. TypeScript has no such expression (`a?.b` and `a ? b : c` do not
 * match), so nothing valid is taken from the executor.
 */
const HELP = /^\s*(\?{1,2})?\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(\?{1,2})?\s*$/;

export interface HelpRequest {
  expression: string;
  detailLevel: 0 | 1;
}

export function parseHelpRequest(code: string): HelpRequest | undefined {
  const match = HELP.exec(code);
  if (match === null) return undefined;
  const [, before, expression, after] = match;
  if (before === undefined && after === undefined) return undefined;
  return { expression, detailLevel: before === "??" || after === "??" ? 1 : 0 };
}
