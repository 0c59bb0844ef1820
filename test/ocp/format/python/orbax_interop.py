"""Holds tsnnx's Orbax format layer against the real Orbax (test helper, not product code).

  restore DIR                 restore DIR with PyTreeCheckpointer and print every leaf as JSON
  ocdbt DIR KEY...            open DIR as an OCDBT kvstore with tensorstore; print the key count and the named values (hex)
  save DIR USE_OCDBT USE_ZARR3  save the reference tree with PyTreeCheckpointHandler
"""
import json
import sys

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import orbax.checkpoint as ocp
import tensorstore as ts

# int64 leaves must come back as int64 (without x64, jax narrows restored jax.Arrays to int32).
jax.config.update("jax_enable_x64", True)


def describe(value):
    if isinstance(value, str):
        return {"kind": "string", "value": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "scalar", "type": type(value).__name__, "value": value}
    array = np.asarray(value)
    flat = array.astype(np.float64) if array.dtype in (ml_dtypes.bfloat16, np.float16) else array
    return {"kind": "array", "dtype": str(array.dtype), "shape": list(array.shape), "values": flat.ravel().tolist()}


def flatten(tree):
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    out = {}
    for path, value in leaves:
        name = ".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)
        out[name] = describe(value)
    return out


def reference_tree():
    return {
        "a": jnp.arange(8, dtype=jnp.int32),
        "b": {"c": np.array([1.5, -2, 65504], dtype=ml_dtypes.bfloat16)},
        "h": np.array([1.5, -2, 65504], dtype=np.float16),
        "layers": [{"kernel": jnp.arange(12, dtype=jnp.float32).reshape(3, 4) / 4}, {"bias": jnp.array([True, False])}],
        "big": jnp.arange(3000, dtype=jnp.float32).reshape(1000, 3),
        "big2": jnp.arange(600, dtype=jnp.float32) * 2,
        "i64": np.array([-(2**40), 2**40], dtype=np.int64),
        "s": 3,
        "f": 2.5,
        "name": "hello",
    }


def main():
    command, directory = sys.argv[1], sys.argv[2]
    if command == "restore":
        print(json.dumps(flatten(ocp.PyTreeCheckpointer().restore(directory))))
    elif command == "ocdbt":
        kv = ts.KvStore.open({"driver": "ocdbt", "base": f"file://{directory}"}).result()
        values = {key: kv.read(key.encode()).result().value.hex() for key in sys.argv[3:]}
        print(json.dumps({"count": len(kv.list().result()), "values": values}))
    elif command == "save":
        use_ocdbt, use_zarr3 = sys.argv[3] == "1", sys.argv[4] == "1"
        tree = reference_tree()
        save_args = jax.tree_util.tree_map(lambda _: ocp.SaveArgs(), tree)
        save_args["big"] = ocp.SaveArgs(chunk_byte_size=4000)  # several chunks / inner chunks
        checkpointer = ocp.Checkpointer(ocp.PyTreeCheckpointHandler(use_ocdbt=use_ocdbt, use_zarr3=use_zarr3))
        checkpointer.save(directory, args=ocp.args.PyTreeSave(tree, save_args=save_args))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
