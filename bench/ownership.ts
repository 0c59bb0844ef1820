/**
 * What the notebook ownership rule costs per hand-over (src/kernel/exec/scope.ts):
 * `use(x)` on an array against writing `x.ref` by hand (the baseline, measured
 * in the same run, interleaved), and `use(v)` on a value that is not an array
 * (a namespace such as `np`, a model) against passing it unchanged. Each
 * array reference taken is given back at once, so the arrays stay as they were.
 *
 *   npx tsx bench/ownership.ts [--rounds 15] [--calls 100000]
 */
import "../src/runtime/globals.js";
import * as jax from "@jax-js/jax";
import { use } from "../src/kernel/exec/scope.js";

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const ROUNDS = flag("rounds", 15);
const CALLS = flag("calls", 100_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const x = jax.random.normal(jax.random.key(0), [32, 2]);
const namespace = jax.numpy as unknown;

/** Nanoseconds per call of `body`. */
function time(body: () => void): number {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) body();
  return ((performance.now() - start) * 1e6) / CALLS;
}

let sink: unknown;
const byHand: number[] = [];
const viaUse: number[] = [];
const plain: number[] = [];
const useOnOther: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  byHand.push(time(() => x.ref.dispose()));
  viaUse.push(time(() => use(x).dispose()));
  plain.push(time(() => void (sink = namespace)));
  useOnOther.push(time(() => void (sink = use(namespace))));
}
void sink;
const [hand, used, bare, other] = [byHand, viaUse, plain, useOnOther].map(median) as [number, number, number, number];
console.log(`array:     x.ref + dispose ${hand.toFixed(1)} ns, use(x) + dispose ${used.toFixed(1)} ns: +${(used - hand).toFixed(1)} ns per hand-over (${(used / hand).toFixed(2)}x)`);
console.log(`non-array: pass ${bare.toFixed(1)} ns, use(v) ${other.toFixed(1)} ns: +${(other - bare).toFixed(1)} ns per hand-over`);
console.log(`x.refCount after the run: ${x.refCount}`);
