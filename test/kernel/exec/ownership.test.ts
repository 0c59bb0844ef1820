import assert from "node:assert/strict";
import type { Array as JaxArray } from "@jax-js/jax";
import { Notebook } from "./helpers.js";

/**
 * The notebook ownership rule (src/kernel/exec/scope.ts): arrays bound to
 * top-level names survive being passed on; re-binding releases them.
 */
describe("kernel exec: array ownership in a notebook", function () {
  this.timeout(300_000);
  let nb: Notebook;
  /** The arrays `%peek name` saw, in order (a magic reads bindings without taking a reference). */
  const peeked: unknown[] = [];
  before(async () => {
    nb = await Notebook.open();
    nb.executor.registerMagic("peek", (name, context) => void peeked.push(context.notebook.get(name)));
  });
  after(() => nb.executor.dispose());

  const refCount = (value: unknown) => (value as JaxArray).refCount;

  it("keeps a top-level array usable after passing it to jax-js functions twice", async () => {
    await nb.value("const x = np.array([1, 2, 3]);");
    await nb.value("const y = np.add(x, x);\nconst z = np.multiply(x, 10);");
    assert.equal(await nb.value("x.refCount"), "1");
    assert.equal(await nb.value("await x.ref.jsAsync()"), "[ 1, 2, 3 ]");
    assert.equal(await nb.value("await np.add(y, z).jsAsync()"), "[ 12, 24, 36 ]");
    await nb.value("const plusOne = x.add(1);\nconst plusTwo = x.add(2);"); // a consuming method call gets its own reference
    assert.equal(await nb.value("x.refCount"), "1");
    await nb.value("display(x); console.log(x.shape);");
    assert.equal(await nb.value("x.refCount"), "1"); // display and console borrow
  });

  it("gives aliases and containers their own references", async () => {
    await nb.value("const base = np.ones([2]);\nconst alias = base;\nconst list = [base, alias];");
    assert.equal(await nb.value("base.refCount"), "4"); // base, alias, and both list elements
    await nb.value("const alias = 0;");
    assert.equal(await nb.value("base.refCount"), "3");
  });

  it("releases the array a name held when the name is re-bound (re-run, assignment)", async () => {
    await nb.value("%peek x");
    const oldX = peeked.at(-1);
    assert.equal(refCount(oldX), 1);
    await nb.value("const x = np.zeros([4]);");
    assert.equal(refCount(oldX), 0, "the re-declared x released its old array");
    await nb.value("let w = np.ones([3]);");
    await nb.value("%peek w");
    const boundW = peeked.at(-1) as JaxArray;
    await nb.value("w = np.add(w, 1);");
    assert.equal(refCount(boundW), 0, "the assignment released the array w held");
    assert.equal(await nb.value("await w.ref.jsAsync()"), "[ 2, 2, 2 ]");
  });

  it("applies jax-js's own move rules to a function's own locals", async () => {
    await nb.value("const inside = np.ones([2]);\nfunction consumeTwice() { const local = np.add(inside, 1); return np.add(local, local); }");
    const error = await nb.error("consumeTwice()");
    assert.match(error.evalue, /Referenced tracer Array:float32\[2\] freed, please use \.ref move semantics/);
    assert.ok(error.traceback.includes(`    at consumeTwice (cell[${nb.executionCount - 1}]:2:70)`), error.traceback.join("\n"));
    assert.equal(await nb.value("inside.refCount"), "1"); // the notebook's array was only lent
  });

  it("releases the result of a call once it is shown, but not a named array", async () => {
    await nb.value("const kept = np.ones([2]);");
    await nb.value("kept");
    assert.equal(await nb.value("kept.refCount"), "1");
    await nb.value("let made: any;\nfunction make() { made = np.ones([2]); return made; }");
    await nb.value("make()");
    assert.equal(await nb.value("made.refCount"), "1", "`return made` handed over a new reference, which the display released");
  });

  it("keeps memory flat over 1,000 cells of `const x = np.ones([1024, 1024]); f(x)`", async () => {
    await nb.value("%typecheck off"); // the loop measures ownership, not the type checker
    const seen: JaxArray[] = [];
    for (let i = 0; i < 1000; i++) {
      // %peek runs before the cell: it sees the array the previous cell bound.
      await nb.value("%peek big\nconst big = np.ones([1024, 1024]);\nconst total = np.sum(big);");
      if (i > 0) seen.push(peeked.at(-1) as JaxArray);
    }
    await nb.value("%typecheck on");
    assert.equal(seen.length, 999);
    assert.ok(seen.every((a) => a.refCount === 0), "every replaced 4 MiB array was released");
    assert.equal(new Set(seen).size, 999);
    assert.equal(await nb.value("big.refCount"), "1");
    assert.equal(await nb.value("await total.ref.jsAsync()"), String(1024 * 1024));
  });

  it("releases every notebook array when the executor is disposed", async () => {
    const other = await Notebook.open();
    other.executor.registerMagic("peek", (name, context) => void peeked.push(context.notebook.get(name)));
    await other.value("const held = np.ones([8]);\nconst copy = held;");
    await other.value("%peek held");
    const held = peeked.at(-1) as JaxArray;
    assert.equal(held.refCount, 2);
    other.executor.dispose();
    assert.equal(held.refCount, 0);
  });
});
