import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import * as nnx from "../../src/nnx/index.js";
import { ShapeDtypeStruct } from "../../src/runtime/shape-dtype.js";
import { Counter, Plain, TinyLinear } from "./fixtures.js";

class Net extends nnx.Module {
  first = new Counter();
  blocks = [new Counter(), new Plain()];
  config = { nested: new Counter() };
}

describe("nnx.Module", () => {
  it("train() / eval() set deterministic and useRunningAverage wherever defined", () => {
    const net = new Net();
    const counters = [net.first, net.blocks[0] as Counter, net.config.nested];
    net.eval();
    for (const c of counters) assert.deepEqual([c.deterministic, c.useRunningAverage], [true, true]);
    const plain = net.blocks[1] as Plain;
    assert.equal("deterministic" in plain, false, "modules without the flag are left alone");
    net.train();
    for (const c of counters) assert.deepEqual([c.deterministic, c.useRunningAverage], [false, false]);
  });

  it("setAttributes sets existing attributes and names ones no module has", () => {
    const net = new Net();
    net.setAttributes({ deterministic: true });
    assert.equal(net.first.deterministic, true);
    assert.throws(() => net.setAttributes({ temperature: 2 }), /no module under Net has the attribute\(s\) temperature/);
    net.setAttributes({ temperature: 2 }, { raiseIfNotFound: false });
    assert.equal((net.first as unknown as { temperature?: number }).temperature, undefined);
  });

  it("iterModules visits each module once with its path", () => {
    const net = new Net();
    net.blocks.push(net.first);
    const paths = [...net.iterModules()].map(([p, m]) => `${p.join(".")}:${m.constructor.name}`);
    assert.deepEqual(paths, [":Net", "blocks.0:Counter", "blocks.1:Plain", "blocks.2:Counter", "config.nested:Counter"]);
  });

  it("reprs concisely, one line when short", () => {
    const lin = new nnx.Module();
    Object.assign(lin, {
      kernel: new nnx.Param(new ShapeDtypeStruct([4, 4], jax.numpy.float32)),
      bias: new nnx.Param(new ShapeDtypeStruct([4], jax.numpy.float32)),
      features: 4,
    });
    assert.equal(String(lin), "Module(kernel=Param(float32[4,4]), bias=Param(float32[4]), features=4)");
    const text = String(new Net());
    assert.match(text, /^Net\(\n {2}first=Counter\(calls=BatchStat\(int32\[\]\), deterministic=false, useRunningAverage=false\),\n/);
    assert.match(text, /\n {2}config=\{"nested": Counter\(/);
  });

  it("marks a shared module instead of printing it twice", () => {
    const a = new TinyLinear([[1]], [2]);
    const pair = new nnx.Module();
    Object.assign(pair, { a, b: a });
    // Over 100 characters on one line: one attribute per line.
    assert.equal(String(pair), "Module(\n  a=TinyLinear(kernel=Param(float32[1,1]), bias=Param(float32[1]), inFeatures=1),\n  b=<shared TinyLinear>\n)");
  });
});
