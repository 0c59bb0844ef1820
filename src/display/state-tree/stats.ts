/**
 * Per-leaf statistics (mean, std, min, max, nonzero, NaN and Inf counts) for
 * the arrays a state tree shows, from reads issued all at once and awaited
 * together.
 *
 * On the device, a leaf larger than `exactLimit` elements is cut down to a
 * strided sample of `sampleSize` elements (a gather, so the device never
 * touches the rest of a huge array) and cast to float32; the moments are then
 * summed on the host over at most `readBudget` elements in all, in float64.
 * Why not reductions on the device: a leaf needs its values for the
 * mini-chart anyway, seven reductions per leaf would be seven dispatches per
 * leaf (a 10,000-leaf model would pay 70,000), and a bounded sample keeps a
 * 4-GB parameter from holding the cell up. Sampled stats say so. Why not one
 * concatenated read: on the wasm device, concatenating 1,000 8x8 leaves and
 * reading once took 80 ms; 1,000 reads in flight together took 3 ms.
 *
 * Arrays are read through `.ref`: the tree keeps its arrays.
 */
import * as jax from "@jax-js/jax";
import { sizeOf } from "./model.js";

const np = jax.numpy;

export interface StatsOptions {
  /** Leaves up to this many elements are read whole (default 65,536). */
  exactLimit?: number;
  /** Elements read from a larger leaf, evenly strided (default 65,536). */
  sampleSize?: number;
  /** Elements read for the whole tree; later leaves get no stats (default 4,194,304). */
  readBudget?: number;
}

export type LeafStats =
  | {
      readonly kind: "computed";
      /** Elements the stats were computed from: all of them, or a strided sample. */
      readonly read: number;
      readonly size: number;
      /** Over the finite elements; null when there are none. */
      readonly mean: number | null;
      readonly std: number | null;
      readonly min: number | null;
      readonly max: number | null;
      readonly nonzero: number;
      readonly nan: number;
      readonly inf: number;
      /** The elements read, row-major (a sample keeps its order), for the mini-chart. */
      readonly values: Float32Array;
    }
  | { readonly kind: "skipped"; readonly reason: string };

export const DEFAULT_EXACT_LIMIT = 65_536;
export const DEFAULT_SAMPLE_SIZE = 65_536;
export const DEFAULT_READ_BUDGET = 4_194_304;

/** Stats for each array, in order. */
export async function leafStats(arrays: readonly jax.Array[], options: StatsOptions = {}): Promise<LeafStats[]> {
  const exactLimit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  let budget = options.readBudget ?? DEFAULT_READ_BUDGET;
  const reads: (Promise<LeafStats> | LeafStats)[] = [];
  for (const array of arrays) {
    const size = sizeOf(array.shape);
    const read = size > exactLimit ? Math.min(size, sampleSize) : size;
    if (read > budget) {
      reads.push({ kind: "skipped", reason: "over the read budget of this display" });
      continue;
    }
    budget -= read;
    let values = array.ref;
    if (read < size) values = np.take(np.ravel(values), np.arange(0, read, 1, { dtype: np.int32 }).mul(Math.floor(size / read)));
    if (values.dtype !== np.float32) values = values.astype(np.float32);
    reads.push(values.data().then((data) => momentsOf(data as Float32Array, size)));
  }
  return Promise.all(reads);
}

function momentsOf(values: Float32Array, size: number): LeafStats {
  let finite = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonzero = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x !== 0) nonzero++;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else {
      finite++;
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const mean = finite > 0 ? sum / finite : null;
  let squares = 0;
  if (mean !== null) {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (Number.isFinite(x)) squares += (x - mean) * (x - mean);
    }
  }
  return {
    kind: "computed",
    read: values.length,
    size,
    mean,
    std: mean === null ? null : Math.sqrt(squares / finite),
    min: finite > 0 ? min : null,
    max: finite > 0 ? max : null,
    nonzero,
    nan,
    inf,
    values,
  };
}
