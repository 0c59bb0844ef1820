"""Holds tsnnx's checkpoints against the real Orbax + Flax NNX (see test/ocp/python-interop.test.ts).

  ocp_interop.py write OUT   Python Orbax writes checkpoints with its defaults (and variants) into OUT,
                             plus OUT/expected.json with every value, for tsnnx to restore.
  ocp_interop.py read DIR    Python Orbax restores what tsnnx wrote into DIR (an NNX model through
                             nnx.eval_shape + split/merge, an optimizer-like tree, a manager with
                             metrics) and prints what it got as JSON.
"""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx


class TwoLayerMLP(nnx.Module):
    def __init__(self, din, dmid, dout, *, rngs):
        self.linear1 = nnx.Linear(din, dmid, rngs=rngs)
        self.linear2 = nnx.Linear(dmid, dout, rngs=rngs)

    def __call__(self, x):
        return self.linear2(nnx.relu(self.linear1(x)))


def as_json(value):
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        arr = np.asarray(value)
        return {"dtype": str(arr.dtype), "shape": list(arr.shape), "values": arr.astype(np.float64).ravel().tolist()}
    if isinstance(value, (int, float, str)):
        return value
    raise TypeError(type(value))


def flat(tree):
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        key = ".".join(str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", k)))) for k in path)
        out[key] = as_json(leaf)
    return out


def write(out):
    expected = {}
    tree = {
        "f32": jnp.arange(6, dtype=jnp.float32).reshape(2, 3) / 4,
        "bf16": jnp.array([1.5, -2.0, 0.15625], dtype=jnp.bfloat16),
        "f16": jnp.array([0.5, 65504.0, -3.25], dtype=jnp.float16),
        "i32": jnp.array([[1, -2], [3, 4]], dtype=jnp.int32),
        "i64": np.array([-5, 123456789], dtype=np.int64),
        "nested": {"list": [jnp.ones((2,), jnp.float32), jnp.zeros((1,), jnp.float32)]},
        "step": 7,
        "lr": 0.25,
    }
    expected["tree"] = flat(tree)
    ckptr = ocp.StandardCheckpointer()
    ckptr.save(f"{out}/ocdbt_zarr2", tree)
    ckptr.wait_until_finished()
    zarr3 = ocp.Checkpointer(ocp.PyTreeCheckpointHandler(use_zarr3=True))
    zarr3.save(f"{out}/ocdbt_zarr3", args=ocp.args.PyTreeSave(tree))
    plain = ocp.Checkpointer(ocp.PyTreeCheckpointHandler(use_ocdbt=False))
    plain.save(f"{out}/plain_zarr2", args=ocp.args.PyTreeSave(tree))

    model = TwoLayerMLP(3, 4, 2, rngs=nnx.Rngs(0))
    _, state = nnx.split(model)
    params = nnx.to_pure_dict(state)
    expected["params"] = flat(params)
    mngr = ocp.CheckpointManager(
        f"{out}/manager",
        options=ocp.CheckpointManagerOptions(max_to_keep=2, best_fn=lambda m: m["loss"], best_mode="min"),
    )
    losses = {0: 0.9, 1: 0.3, 2: 0.5, 3: 0.4}
    for step, loss in losses.items():
        mngr.save(
            step,
            args=ocp.args.Composite(
                params=ocp.args.StandardSave(jax.tree.map(lambda x: x + step, state)),
                opt=ocp.args.StandardSave({"count": jnp.array(step, jnp.int32), "mu": jax.tree.map(lambda x: x * 0 + step, params)}),
                meta=ocp.args.JsonSave({"step": step, "note": "python"}),
            ),
            metrics={"loss": loss},
        )
    mngr.wait_until_finished()
    expected["manager"] = {"all_steps": list(mngr.all_steps()), "best_step": mngr.best_step(), "latest_step": mngr.latest_step()}
    with open(f"{out}/expected.json", "w") as f:
        json.dump(expected, f)


def read(directory):
    got = {}
    abstract = nnx.eval_shape(lambda: TwoLayerMLP(3, 4, 2, rngs=nnx.Rngs(0)))
    graphdef, abstract_state = nnx.split(abstract)
    ckptr = ocp.StandardCheckpointer()
    state = ckptr.restore(f"{directory}/mlp", abstract_state)
    model = nnx.merge(graphdef, state)
    got["mlp"] = flat(nnx.to_pure_dict(nnx.state(model)))
    got["mlp_forward"] = as_json(model(jnp.array([[1.0, 2.0, 3.0]])))
    nnx_state = ckptr.restore(f"{directory}/nnx_mlp", abstract_state)
    got["nnx_mlp"] = flat(nnx.to_pure_dict(nnx_state))
    got["opt"] = flat(ckptr.restore(f"{directory}/opt"))

    mngr = ocp.CheckpointManager(f"{directory}/manager", options=ocp.CheckpointManagerOptions(best_fn=lambda m: m["loss"], best_mode="min"))
    got["manager"] = {
        "all_steps": list(mngr.all_steps()),
        "latest_step": mngr.latest_step(),
        "best_step": mngr.best_step(),
        "metrics": {str(s): mngr.metrics(s) for s in mngr.all_steps()},
    }
    restored = mngr.restore(
        mngr.latest_step(),
        args=ocp.args.Composite(params=ocp.args.StandardRestore(abstract_state), config=ocp.args.JsonRestore()),
    )
    got["manager"]["latest_params"] = flat(nnx.to_pure_dict(restored["params"]))
    got["manager"]["latest_config"] = restored["config"]
    json.dump(got, sys.stdout)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
