/**
 * Node flags of every kernel process: the one kernel.json starts and the
 * cell host of `tsnnx run` / `tsnnx test`.
 *
 * Young generation of up to 64 MiB (V8's default is 16): checking a cell
 * allocates a few megabytes that die with the check, and with small
 * semi-spaces they are copied around and promoted to the old generation
 * before they die. Measured with bench/kernel-typecheck.ts on the 2-core VM:
 * a new distinct type-checked cell after 5 cells 15.5 -> 12.4 ms, after 100
 * cells 13.3 -> 11.0 ms (medians), with no more memory over 300 cells.
 */
export const KERNEL_NODE_FLAGS = ["--max-semi-space-size=64"];
