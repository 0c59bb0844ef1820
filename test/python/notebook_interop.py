"""Python's side of notebooks/04-orbax-interop.ipynb: the Flax NNX model and data that
notebook and test/python/make_interop_notebook_data.py share, and a reader for the
checkpoint the notebook writes (see test/e2e/tutorial-interop.test.ts).

  notebook_interop.py read DIR   restore the latest step of the CheckpointManager folder
                                 DIR (items `model` and `eval`) into the Flax MLP; print
                                 its steps, metrics, the notebook's `eval` item and the
                                 predictions of the restored model on the eval inputs (JSON)
"""
import json
import math
import sys

import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

CONFIG = {"din": 2, "dhidden": 16, "dout": 1, "seed": 0, "learning_rate": 0.02}


class MLP(nnx.Module):
    def __init__(self, din, dhidden, dout, *, rngs):
        self.linear1 = nnx.Linear(din, dhidden, rngs=rngs)
        self.bn = nnx.BatchNorm(dhidden, rngs=rngs)
        self.linear2 = nnx.Linear(dhidden, dout, rngs=rngs)

    def __call__(self, x):
        return self.linear2(nnx.relu(self.bn(self.linear1(x))))


def inputs():
    return jnp.array([[math.sin(0.5 * i), math.cos(0.3 * i)] for i in range(32)], dtype=jnp.float32)


def targets():
    return jnp.array([[math.sin(3 * math.sin(0.5 * i)) * math.cos(0.3 * i)] for i in range(32)], dtype=jnp.float32)


def predictions(model, x=None):
    """Eval mode: BatchNorm normalises with its running statistics."""
    model.eval()
    return np.asarray(model(inputs() if x is None else x)).astype(np.float64).ravel().tolist()


def read(directory):
    mngr = ocp.CheckpointManager(directory)
    step = mngr.latest_step()
    abstract = nnx.eval_shape(lambda: MLP(CONFIG["din"], CONFIG["dhidden"], CONFIG["dout"], rngs=nnx.Rngs(0)))
    graphdef, abstract_state = nnx.split(abstract)
    restored = mngr.restore(
        step,
        args=ocp.args.Composite(model=ocp.args.StandardRestore(abstract_state), eval=ocp.args.JsonRestore()),
    )
    model = nnx.merge(graphdef, restored.model)
    evaluation = restored.eval
    json.dump(
        {
            "all_steps": list(mngr.all_steps()),
            "latest_step": step,
            "metrics": {str(s): mngr.metrics(s) for s in mngr.all_steps()},
            "eval": evaluation,
            "predictions": predictions(model, jnp.array(evaluation["inputs"], dtype=jnp.float32)),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    else:
        sys.exit(f"usage: notebook_interop.py read DIR (got {sys.argv[1:]}); see the module docstring")
