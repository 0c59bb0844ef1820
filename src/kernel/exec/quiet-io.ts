import type { CellIO } from "./types.js";

/** A CellIO that drops all output and refuses input with `refusal` (code run for its value only). */
export function quietCellIO(refusal: string): CellIO {
  return {
    stream: () => undefined,
    display: () => undefined,
    clearOutput: () => undefined,
    requestInput: () => Promise.reject(new Error(refusal)),
    requestInputSync: () => {
      throw new Error(refusal);
    },
  };
}
