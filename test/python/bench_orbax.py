"""Python Orbax on the same state as bench/checkpoint.ts: prints JSON medians (seconds).

  bench_orbax.py DIR SHAPE_KIND REPEATS   SHAPE_KIND: large (4 x 64 MiB) or small (10,000 arrays)
"""
import json
import os
import shutil
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp


def state(kind):
    # The same values as bench/checkpoint.ts (sin(i * 0.001 + a) rounded to float32): constant arrays
    # would compress to almost nothing under zstd and make Orbax's figures meaningless.
    count = 4 if kind == "large" else 10_000
    n = (256 * 1024 * 1024 // 4) // count
    base = np.arange(n, dtype=np.float64) * 0.001
    return {f"p{a}": jnp.asarray(np.sin(base + a).astype(np.float32)) for a in range(count)}


def quiet_disk():
    # As bench/checkpoint.ts does: each timed save starts once the disk has finished the previous step's work.
    os.sync()
    time.sleep(0.3)


def main(out, kind, repeats):
    tree = state(kind)
    jax.block_until_ready(tree)
    template = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), tree)
    rows = {"std_blocking": [], "std_total": [], "std_load": [], "mgr_blocking": [], "mgr_total": []}
    for r in range(repeats):
        path = f"{out}/std{r}"
        quiet_disk()
        t0 = time.perf_counter()
        ckptr = ocp.StandardCheckpointer()
        ckptr.save(path, tree)
        t1 = time.perf_counter()
        ckptr.wait_until_finished()
        t2 = time.perf_counter()
        restored = ckptr.restore(path, template)
        jax.block_until_ready(restored)
        t3 = time.perf_counter()
        rows["std_blocking"].append(t1 - t0)
        rows["std_total"].append(t2 - t0)
        rows["std_load"].append(t3 - t2)
        del restored
        shutil.rmtree(path)
        mngr = ocp.CheckpointManager(f"{out}/mgr{r}")
        quiet_disk()
        t0 = time.perf_counter()
        mngr.save(0, args=ocp.args.StandardSave(tree))
        t1 = time.perf_counter()
        mngr.wait_until_finished()
        t2 = time.perf_counter()
        rows["mgr_blocking"].append(t1 - t0)
        rows["mgr_total"].append(t2 - t0)
        mngr.close()
        shutil.rmtree(f"{out}/mgr{r}")
    print(json.dumps({k: statistics.median(v) for k, v in rows.items()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
