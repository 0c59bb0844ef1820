"""Treescope's side of bench/display.ts: render_to_html time (median of
`runs`; once for 10,000 leaves, about 34 s a render) and HTML bytes for a Flax NNX model of N Linear(8, 8) layers in a
list, random weights, for each N given. Prints one JSON line:
[{"leaves", "ms", "bytes"}, ...].

Usage: python bench_treescope.py 50,500,5000 5
"""
import json
import statistics
import sys
import time

import jax
from flax import nnx
import treescope


class Stack(nnx.Module):
    def __init__(self, n, rngs):
        init = nnx.initializers.normal(1.0)
        self.layers = nnx.List([nnx.Linear(8, 8, bias_init=init, rngs=rngs) for _ in range(n)])


def main():
    counts = [int(n) for n in sys.argv[1].split(",")]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rows = []
    for n in counts:
        model = Stack(n, nnx.Rngs(0))
        jax.block_until_ready(nnx.state(model))
        times = []
        html = ""
        for _ in range(runs if n < 5000 else 1):
            start = time.perf_counter()
            html = treescope.render_to_html(model)
            times.append((time.perf_counter() - start) * 1000)
        rows.append({"leaves": 2 * n, "ms": statistics.median(times), "bytes": len(html.encode("utf-8"))})
        print(f"treescope {2 * n} leaves: {statistics.median(times):.1f} ms", file=sys.stderr)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
