"""Reference values from the real Optax for test/optax/optax-parity.test.ts.

Each optimiser runs five steps on params {w: [3], b: [1]} with gradients that
change every step; prints the params after each run and the final state's
leaves, as one JSON object.
"""
import json

import jax.numpy as jnp
import numpy as np
import optax


def flat(x):
    return np.asarray(x, dtype=np.float64).ravel().tolist()


def grads_at(t):
    return {"b": jnp.array([-1.0 + 0.5 * t]), "w": jnp.array([0.1 * t, -0.2, 3.0 / t])}


def run(tx):
    params = {"b": jnp.array([0.25]), "w": jnp.array([1.0, -2.0, 0.5])}
    state = tx.init(params)
    for t in range(1, 6):
        updates, state = tx.update(grads_at(t), state, params)
        params = optax.apply_updates(params, updates)
    return params, state


schedule = lambda step: 0.1 / (1.0 + step)
optimisers = {
    "adam": optax.adam(0.1),
    "adam_b": optax.adam(0.05, b1=0.5, b2=0.9, eps=1e-3),
    "adam_schedule": optax.adam(schedule),
    "adamw": optax.adamw(0.05, weight_decay=0.1),
    "sgd": optax.sgd(0.1),
    "sgd_momentum": optax.sgd(0.1, momentum=0.9),
    "sgd_nesterov": optax.sgd(0.1, momentum=0.9, nesterov=True),
    "clip_adam": optax.chain(optax.clip_by_global_norm(1.0), optax.adam(0.1)),
}
out = {}
for name, tx in optimisers.items():
    params, state = run(tx)
    out[name + ".w"] = flat(params["w"])
    out[name + ".b"] = flat(params["b"])
    out[name + ".state"] = [flat(leaf) for leaf in __import__("jax").tree_util.tree_leaves(state)]
print(json.dumps(out))
