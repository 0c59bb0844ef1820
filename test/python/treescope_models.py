"""Renders the side-by-side models with Treescope (the view `nnx.display` gives
in Python), for test/e2e/treescope-side-by-side.test.ts: each model's HTML is
written to OUT_DIR/<name>.html. The same models are built in TypeScript by the
test; their shapes must match these.

usage: python treescope_models.py OUT_DIR
"""
import os
import sys

import treescope
from flax import nnx


class MLP(nnx.Module):
    """Treescope's anchor: a 2-layer MLP with BatchNorm."""

    def __init__(self, rngs):
        self.linear1 = nnx.Linear(4, 16, rngs=rngs)
        self.bn = nnx.BatchNorm(16, rngs=rngs)
        self.linear2 = nnx.Linear(16, 2, rngs=rngs)


class CNN(nnx.Module):
    def __init__(self, rngs):
        self.conv1 = nnx.Conv(1, 8, kernel_size=(3, 3), rngs=rngs)
        self.bn1 = nnx.BatchNorm(8, rngs=rngs)
        self.conv2 = nnx.Conv(8, 16, kernel_size=(3, 3), rngs=rngs)
        self.head = nnx.Linear(16, 10, rngs=rngs)


class DeepMLP(nnx.Module):
    def __init__(self, rngs):
        for i in range(8):
            setattr(self, f"layer{i}", nnx.Linear(64, 64, rngs=rngs))
        self.out = nnx.Linear(64, 10, rngs=rngs)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, build in [("mlp", MLP), ("cnn", CNN), ("deep-mlp", DeepMLP)]:
        html = treescope.render_to_html(build(nnx.Rngs(0)), compressed=False)
        with open(os.path.join(out_dir, f"{name}.html"), "w") as f:
            f.write(html)


if __name__ == "__main__":
    main(sys.argv[1])
