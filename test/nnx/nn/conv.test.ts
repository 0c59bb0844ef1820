import assert from "node:assert/strict";
import * as jax from "@jax-js/jax";
import { describeEachDevice } from "../../helpers/devices.js";
import * as nnx from "../../../src/nnx/index.js";

const np = jax.numpy;
const rngs = () => new nnx.Rngs(0);

/** 1..9 as a [1, 3, 3, 1] NHWC image. */
const image3x3 = () => np.arange(1, 10).astype(np.float32).reshape([1, 3, 3, 1]);

describeEachDevice("nnx.Conv", () => {
  it("has Flax's kernel layout: kernelSize + [in / groups, out]", () => {
    const conv = new nnx.Conv(6, 4, [3, 5], { rngs: rngs(), featureGroupCount: 2 });
    assert.deepEqual(conv.kernel.shape, [3, 5, 3, 4]);
    assert.deepEqual(conv.bias!.shape, [4]);
    assert.deepEqual(new nnx.Conv(2, 3, 4, { rngs: rngs() }).kernel.shape, [4, 2, 3]); // an integer size is 1-D, as in Flax
  });

  it("gives SAME and VALID output shapes with strides", () => {
    const x = () => np.zeros([2, 8, 8, 3]);
    const shapeOf = (options: Partial<nnx.ConvOptions>) => {
      const y = new nnx.Conv(3, 4, [3, 3], { rngs: rngs(), ...options }).call(x());
      const shape = y.shape;
      y.dispose();
      return shape;
    };
    assert.deepEqual(shapeOf({}), [2, 8, 8, 4]);
    assert.deepEqual(shapeOf({ padding: "VALID" }), [2, 6, 6, 4]);
    assert.deepEqual(shapeOf({ strides: 2 }), [2, 4, 4, 4]); // ceil(8 / 2)
    assert.deepEqual(shapeOf({ strides: 2, padding: "VALID" }), [2, 3, 3, 4]); // floor((8 - 3) / 2) + 1
    assert.deepEqual(shapeOf({ padding: [[1, 1], [0, 0]] }), [2, 8, 6, 4]);
  });

  it("computes a small convolution worked out by hand", async () => {
    const conv = new nnx.Conv(1, 1, [2, 2], { rngs: rngs(), kernelInit: nnx.initializers.ones });
    conv.bias!.value = np.array([0.5]);
    // SAME with a 2x2 window pads one row/column after (XLA: low = 0, high = 1).
    // [[1,2,3],[4,5,6],[7,8,9]] -> sums of the 2x2 windows starting at each pixel.
    const same = conv.call(image3x3());
    assert.deepEqual(Array.from(await same.data(), Number), [12, 16, 9, 24, 28, 15, 15, 17, 9].map((v) => v + 0.5));
    const valid = new nnx.Conv(1, 1, [2, 2], { rngs: rngs(), padding: "VALID", useBias: false });
    valid.kernel.value = np.array([1, 10, 100, 1000]).astype(np.float32).reshape([2, 2, 1, 1]);
    // window at (0,0): 1*1 + 2*10 + 4*100 + 5*1000 = 5421
    const y = valid.call(image3x3());
    assert.deepEqual(y.shape, [1, 2, 2, 1]);
    assert.deepEqual(Array.from(await y.data(), Number), [5421, 6532, 8754, 9865]);
  });

  it("mixes channels and groups them as XLA does", async () => {
    // Two input channels, two output channels, 1x1 kernel.
    const x = () => np.array([[[[1, 10]], [[2, 20]]]]); // [1, 2, 1, 2]
    const dense = new nnx.Conv(2, 2, [1, 1], { rngs: rngs(), useBias: false });
    dense.kernel.value = np.array([[[[1, 2], [3, 4]]]]); // [1, 1, in=2, out=2]
    // out_o = sum_i x_i * k[i, o]: (1, 10) -> (1 + 30, 2 + 40)
    assert.deepEqual(Array.from(await dense.call(x()).data(), Number), [31, 42, 62, 84]);
    const grouped = new nnx.Conv(2, 2, [1, 1], { rngs: rngs(), useBias: false, featureGroupCount: 2 });
    grouped.kernel.value = np.array([[[[5, 7]]]]); // [1, 1, in/groups=1, out=2]: out_0 = 5 x_0, out_1 = 7 x_1
    assert.deepEqual(Array.from(await grouped.call(x()).data(), Number), [5, 70, 10, 140]);
  });

  it("accepts unbatched input and several batch dimensions", async () => {
    const conv = new nnx.Conv(1, 1, 2, { rngs: rngs(), padding: "VALID", kernelInit: nnx.initializers.ones, useBias: false });
    const y = conv.call(np.array([[1], [2], [4]])); // [length 3, 1 feature]
    assert.deepEqual(y.shape, [2, 1]);
    assert.deepEqual(Array.from(await y.data(), Number), [3, 6]);
    const z = conv.call(np.ones([2, 5, 3, 1]));
    assert.deepEqual(z.shape, [2, 5, 2, 1]);
    z.dispose();
  });

  it("names the layer and both shapes on a mismatch, and rejects bad options", () => {
    const conv = new nnx.Conv(3, 4, [3, 3], { rngs: rngs() });
    assert.throws(() => conv.call(np.zeros([1, 8, 8, 2])), /Conv: expected input \[batch\.\.\., 2 spatial dims, 3 features\], got shape \[1, 8, 8, 2\] \(kernel shape \[3, 3, 3, 4\]\)/);
    assert.throws(() => new nnx.Conv(3, 4, [3, 3], { rngs: rngs(), featureGroupCount: 2 }), /featureGroupCount 2 must divide inFeatures \(3\)/);
    assert.throws(() => new nnx.Conv(3, 4, [3, 3], { rngs: rngs(), padding: "CIRCULAR" as "SAME" }), /Conv: padding must be 'SAME', 'VALID'/);
    assert.throws(() => new nnx.Conv(3, 4, [3, 3], { rngs: rngs(), strides: [1, 2, 3] }), /Conv: strides must be a positive integer or 2 of them/);
  });
});
