"""The checkpoints of notebooks/02-checkpointing.ipynb, seen from Python Orbax + Flax NNX
(see test/e2e/tutorial-interop.test.ts). The model is the tutorial's MLP(2, 8, 1) with a
BatchNorm between its layers; predictions are taken in eval mode (running statistics).

  tutorial_interop.py read DIR         restore the latest step of the manager folder DIR
                                       into the Flax model; print steps, metrics and the
                                       model's predictions on the tutorial's inputs (JSON)
  tutorial_interop.py write DIR STEP   save the latest step's state, halved, as STEP; print
                                       the predictions of that halved model (JSON)
  tutorial_interop.py train DIR STEP   restore items `model` and `optimizer` of STEP into a
                                       fresh model and Adam optimizer, take one training step
                                       on the tutorial's data, print its loss (JSON)
"""
import json
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx


class MLP(nnx.Module):
    def __init__(self, din, dhidden, dout, *, rngs):
        self.linear1 = nnx.Linear(din, dhidden, rngs=rngs)
        self.bn = nnx.BatchNorm(dhidden, rngs=rngs)
        self.linear2 = nnx.Linear(dhidden, dout, rngs=rngs)

    def __call__(self, x):
        return self.linear2(nnx.relu(self.bn(self.linear1(x))))


def tutorial_inputs():
    return jnp.array([[math.sin(i), math.cos(3 * i)] for i in range(32)], dtype=jnp.float32)


def tutorial_targets():
    return jnp.array([[math.sin(i) * math.cos(3 * i)] for i in range(32)], dtype=jnp.float32)


def restore_latest(mngr):
    abstract = nnx.eval_shape(lambda: MLP(2, 8, 1, rngs=nnx.Rngs(0)))
    graphdef, abstract_state = nnx.split(abstract)
    state = mngr.restore(mngr.latest_step(), args=ocp.args.StandardRestore(abstract_state))
    return nnx.merge(graphdef, state)


def predictions(model):
    model.eval()
    return np.asarray(model(tutorial_inputs())).astype(np.float64).ravel().tolist()


def read(directory):
    mngr = ocp.CheckpointManager(directory)
    model = restore_latest(mngr)
    json.dump(
        {
            "all_steps": list(mngr.all_steps()),
            "latest_step": mngr.latest_step(),
            "metrics": {str(step): mngr.metrics(step) for step in mngr.all_steps()},
            "predictions": predictions(model),
        },
        sys.stdout,
    )


def write(directory, step):
    mngr = ocp.CheckpointManager(directory)
    model = restore_latest(mngr)
    graphdef, state = nnx.split(model)
    halved = jax.tree.map(lambda x: x * 0.5, state)
    mngr.save(step, args=ocp.args.StandardSave(halved), metrics={"loss": 0.0})
    mngr.wait_until_finished()
    json.dump({"predictions": predictions(nnx.merge(graphdef, halved))}, sys.stdout)


def train(directory, step):
    import optax

    mngr = ocp.CheckpointManager(directory)
    model = MLP(2, 8, 1, rngs=nnx.Rngs(123))
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
    restored = mngr.restore(
        step,
        args=ocp.args.Composite(
            model=ocp.args.StandardRestore(nnx.state(model)),
            optimizer=ocp.args.StandardRestore(nnx.state(optimizer)),
        ),
    )
    nnx.update(model, restored.model)
    nnx.update(optimizer, restored.optimizer)

    def loss_fn(model):
        return jnp.mean((model(tutorial_inputs()) - tutorial_targets()) ** 2)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    json.dump({"loss": float(loss), "optimizer_step": int(optimizer.step.value)}, sys.stdout)


if __name__ == "__main__":
    command, directory = sys.argv[1], sys.argv[2]
    if command == "read":
        read(directory)
    elif command == "write":
        write(directory, int(sys.argv[3]))
    elif command == "train":
        train(directory, int(sys.argv[3]))
    else:
        sys.exit(f"unknown command {command!r}; see the module docstring")
