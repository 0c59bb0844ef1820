"""Reference for test/nnx/training/flax-parity.test.ts: three AdamW training
steps of a 2-4-1 MLP through the real nnx.Optimizer; prints the optimizer's
state (path, Variable type, dtype, values) and the model's params."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx


class MLP(nnx.Module):
    def __init__(self, rngs):
        self.layers = nnx.List([nnx.Linear(2, 4, rngs=rngs), nnx.Linear(4, 1, rngs=rngs)])

    def __call__(self, x):
        return self.layers[1](jax.nn.relu(self.layers[0](x)))


model = MLP(nnx.Rngs(0))
optimizer = nnx.Optimizer(model, optax.adamw(0.05, weight_decay=0.01), wrt=nnx.Param)
x = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -2.0]])
y = jnp.array([[1.0], [0.0], [-1.0]])


def loss_fn(m):
    return jnp.mean((m(x) - y) ** 2)


losses = []
for _ in range(3):
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    losses.append(float(loss))


def describe(state):
    return [
        [".".join(map(str, path)), type(v).__name__, str(v[...].dtype), np.asarray(v[...], dtype=np.float64).ravel().tolist()]
        for path, v in nnx.to_flat_state(state)
    ]


print(json.dumps({"losses": losses, "optimizer": describe(nnx.state(optimizer)), "params": describe(nnx.state(model, nnx.Param))}))
