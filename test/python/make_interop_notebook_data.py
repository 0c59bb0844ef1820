"""Writes the Python-made checkpoints that notebooks/04-orbax-interop.ipynb opens, into
notebooks/data/ (committed: the notebook must run without Python). Run it with the test
venv's python (`bash test/python/ensure-venv.sh` prints it) from the repository root:

  $(bash test/python/ensure-venv.sh) test/python/make_interop_notebook_data.py

It writes, with Orbax's defaults (OCDBT, zstd):
  data/python-mlp/       a CheckpointManager folder: a Flax NNX MLP (Linear, BatchNorm,
                         Linear) trained 30 Adam steps, steps 10/20/30 saved with
                         max_to_keep=2 ranked by the loss; items `model`, `optimizer` (nnx.state of each) and
                         `config` (JSON); metrics {"loss": ...}; custom metadata on each step
  data/python-mlp-bf16/  a StandardCheckpointer folder: the final model state cast to
                         bfloat16 (a dtype jax-js cannot hold, so tsnnx converts it)
  data/python-predictions.json
                         the inputs the notebook uses and the predictions of Python's
                         final model on them, in eval mode, in float32 and from the
                         bfloat16 copy

The same MLP and inputs are in test/python/notebook_interop.py, which reads back what
the notebook writes.
"""
import json
import math
import pathlib
import shutil
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
from flax import nnx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from notebook_interop import MLP, CONFIG, inputs, predictions, targets  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[2] / "notebooks" / "data"


def main():
    manager_dir = DATA / "python-mlp"
    bf16_dir = DATA / "python-mlp-bf16"
    for folder in (manager_dir, bf16_dir):
        shutil.rmtree(folder, ignore_errors=True)
    DATA.mkdir(parents=True, exist_ok=True)

    model = MLP(CONFIG["din"], CONFIG["dhidden"], CONFIG["dout"], rngs=nnx.Rngs(CONFIG["seed"]))
    optimizer = nnx.Optimizer(model, optax.adam(CONFIG["learning_rate"]), wrt=nnx.Param)

    def loss_fn(model, x, y):
        return jnp.mean((model(x) - y) ** 2)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss

    # Orbax stores a step's metrics only when a best_fn ranks them.
    options = ocp.CheckpointManagerOptions(max_to_keep=2, save_interval_steps=10, best_fn=lambda m: m["loss"], best_mode="min")
    with ocp.CheckpointManager(manager_dir, options=options) as mngr:
        x, y = inputs(), targets()
        for step in range(1, 31):
            loss = float(train_step(model, optimizer, x, y))
            mngr.save(
                step,
                args=ocp.args.Composite(
                    model=ocp.args.StandardSave(nnx.state(model)),
                    optimizer=ocp.args.StandardSave(nnx.state(optimizer)),
                    config=ocp.args.JsonSave(CONFIG),
                ),
                metrics={"loss": loss},
                custom_metadata={"written_by": "Python Orbax + Flax NNX", "flax": "nnx"},
            )
        mngr.wait_until_finished()

    state = nnx.state(model)
    bf16_state = jax.tree.map(lambda a: a.astype(jnp.bfloat16), state)
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(bf16_dir.resolve(), bf16_state)
    checkpointer.wait_until_finished()

    graphdef, _ = nnx.split(model)
    bf16_model = nnx.merge(graphdef, jax.tree.map(lambda a: a.astype(jnp.float32), bf16_state))
    with open(DATA / "python-predictions.json", "w") as f:
        json.dump(
            {
                "inputs": np.asarray(inputs()).astype(np.float64).tolist(),
                "float32": predictions(model),
                "bfloat16": predictions(bf16_model),
            },
            f,
            indent=1,
        )
        f.write("\n")
    drop_machine_paths(DATA)
    print(f"wrote {manager_dir}, {bf16_dir} and python-predictions.json")


def drop_machine_paths(folder):
    """Orbax writes the absolute path of each committed folder into its commit_success.txt
    (information only: readers test that the file exists). The committed copies name the
    folder relative to the repository root instead, so no machine's paths are committed."""
    root = DATA.parents[1]
    for marker in folder.rglob("commit_success.txt"):
        text = marker.read_text()
        marker.write_text(text.replace(f"{root}/", ""))


if __name__ == "__main__":
    main()
