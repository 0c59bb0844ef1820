"""Reference values from the real Flax NNX for test/nnx/nn/flax-parity.test.ts.

Prints one JSON object: parameters of layers built from fixed seeds, layer
outputs on fixed inputs, and jax.nn.initializers draws from fixed keys.
"""
import json

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx


def flat(x):
    return np.asarray(x, dtype=np.float64).ravel().tolist()


out = {}

linear = nnx.Linear(3, 4, rngs=nnx.Rngs(0))
out["linear.kernel"] = flat(linear.kernel[...])
out["linear.bias"] = flat(linear.bias[...])
x = jnp.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
out["linear.call"] = flat(linear(x))

conv = nnx.Conv(2, 3, kernel_size=(3, 3), rngs=nnx.Rngs(1))
out["conv.kernel"] = flat(conv.kernel[...])
image = jnp.arange(2 * 5 * 5 * 2, dtype=jnp.float32).reshape(2, 5, 5, 2) / 10.0
out["conv.call"] = flat(conv(image))
strided = nnx.Conv(2, 4, kernel_size=(3, 3), strides=2, padding="VALID", feature_group_count=2, rngs=nnx.Rngs(5))
out["strided.kernel"] = flat(strided.kernel[...])
out["strided.call"] = flat(strided(image))

embed = nnx.Embed(5, 4, rngs=nnx.Rngs(2))
out["embed.embedding"] = flat(embed.embedding[...])

bn = nnx.BatchNorm(3, momentum=0.8, rngs=nnx.Rngs(0))
batch = jnp.array([[1.0, 2.0, 3.0], [4.0, 0.0, -1.0], [0.5, 0.5, 0.5], [2.0, -3.0, 7.0]])
out["bn.train"] = flat(bn(batch))
out["bn.train2"] = flat(bn(batch * 2.0 + 1.0))
out["bn.mean"] = flat(bn.mean[...])
out["bn.var"] = flat(bn.var[...])
bn.eval()
out["bn.eval"] = flat(bn(batch))

ln = nnx.LayerNorm(3, rngs=nnx.Rngs(0))
out["ln.call"] = flat(ln(batch))

drop = nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=3))
ones = jnp.ones((4, 8))
out["dropout.first"] = flat(drop(ones))
out["dropout.second"] = flat(drop(ones))
shared = nnx.Dropout(0.25, broadcast_dims=(0,), rngs=nnx.Rngs(params=0, dropout=9))
out["dropout.broadcast"] = flat(shared(ones))

key = jax.random.key(3)
init = jax.nn.initializers
out["init.glorot_uniform"] = flat(init.glorot_uniform()(key, (4, 5)))
out["init.he_normal"] = flat(init.he_normal()(key, (4, 5)))
out["init.lecun_uniform"] = flat(init.lecun_uniform()(key, (3, 3, 2, 4)))
out["init.normal"] = flat(init.normal(0.5)(key, (7,)))
out["init.uniform"] = flat(init.uniform(2.0)(key, (7,)))
out["init.truncated_normal"] = flat(init.truncated_normal(0.1)(key, (7,)))
out["init.variance_scaling"] = flat(init.variance_scaling(2.0, "fan_out", "normal")(key, (4, 5)))

print(json.dumps(out))
