"""Holds tsnnx's S3 checkpoints against the real Orbax, through an S3-compatible server (MinIO, SeaweedFS).

  s3_interop.py save URL ENDPOINT [--steps N] [--max-to-keep K]
                                                Python Orbax saves a known tree through a CheckpointManager
                                                at steps 0..N-1 (default 2) into URL (s3://bucket/prefix) and
                                                prints every value it saved as JSON on stdout.
  s3_interop.py restore URL ENDPOINT            Python Orbax restores every step under URL (what tsnnx or
                                                `save` wrote) and prints what it got as JSON on stdout; a URL
                                                that is one checkpoint (has _METADATA) is restored as such.

Credentials and region come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION (default
us-east-1); ENDPOINT is the server's URL, e.g. http://127.0.0.1:9123.

Stock Orbax (0.12.x) cannot do this by itself, so three things are set up here:
  * paths: Orbax reaches s3:// through etils.epath, which needs fsspec + s3fs (not in requirements.txt:
    `pip install s3fs`); the endpoint reaches s3fs/botocore through AWS_ENDPOINT_URL and fsspec's config.
  * arrays: Orbax builds TensorStore specs with the native driver only for gs://; any other URL gets
    the local `file` driver ("Checkpoint path should be absolute. Got s3:/bucket/..." for OCDBT, and
    `_sharding` written to a relative local folder "s3:/bucket/..." for the rest). `_patch_orbax_for_s3`
    makes those specs TensorStore's own `s3` kvstore driver with the endpoint, region and credentials.
  * atomicity: for s3:// Orbax defaults to write-then-rename, and s3fs cannot rename a folder
    (copy_object of a folder key: "FileNotFoundError: The specified key does not exist"), so both
    subcommands use AtomicityMode.COMMIT_FILE, as Orbax does for gs://: a step is written in place and is
    complete once `<step>/commit_success.txt` exists; steps without it are not listed or restored.
"""
import json
import os
import sys
from urllib import parse

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from orbax.checkpoint import options as ocp_options
from orbax.checkpoint._src.path import gcs_utils
from orbax.checkpoint._src.serialization import tensorstore_utils as ts_utils

from ocp_interop import as_json, flat  # the same JSON shapes as the folder interop script


def _patch_orbax_for_s3(endpoint):
    """Points Orbax's s3:// paths at the server: epath/s3fs for files, TensorStore's s3 driver for arrays."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_REGION", "us-east-1")
    import fsspec

    fsspec.config.conf.setdefault("s3", {})["endpoint_url"] = endpoint
    region = os.environ["AWS_REGION"]
    credentials = {"type": "environment"} if os.environ.get("AWS_ACCESS_KEY_ID") else {"type": "default"}

    normalize, use_native, native_kvstore = ts_utils._normalize_path, ts_utils._use_gcs_driver, gcs_utils.get_kvstore_for_gcs

    def _normalize_path(path):
        path = str(path)
        return "s3://" + os.path.normpath(path[len("s3://"):]) if path.startswith("s3://") else normalize(path)

    def _use_gcs_driver(directory):
        return str(directory).startswith("s3://") or use_native(directory)

    def get_kvstore_for_gcs(path):
        path = str(path)
        if not path.startswith("s3://"):
            return native_kvstore(path)
        url = parse.urlparse(path)
        return {
            "driver": "s3",
            "bucket": url.netloc,
            "path": url.path.lstrip("/"),
            "endpoint": endpoint,
            "aws_region": region,
            "aws_credentials": credentials,
        }

    ts_utils._normalize_path = _normalize_path
    ts_utils._use_gcs_driver = _use_gcs_driver
    gcs_utils.get_kvstore_for_gcs = get_kvstore_for_gcs


def _manager(url, **options):
    return ocp.CheckpointManager(
        url,
        options=ocp.CheckpointManagerOptions(
            atomicity_options=ocp_options.AtomicityOptions(mode=ocp_options.AtomicityMode.COMMIT_FILE),
            best_fn=lambda m: m["loss"],  # Orbax writes <step>/metrics/metrics only when it tracks a best step
            best_mode="min",
            **options,
        ),
    )


def tree_at(step):
    """The tree saved at `step` (the same dtypes as ocp_interop.py, every array shifted by `step`)."""
    return {
        "f32": jnp.arange(6, dtype=jnp.float32).reshape(2, 3) / 4 + step,
        "bf16": jnp.array([1.5, -2.0, 0.15625], dtype=jnp.bfloat16) + step,
        "f16": jnp.array([0.5, 65504.0, -3.25], dtype=jnp.float16) * (1 if step == 0 else -1),
        "i32": jnp.array([[1, -2], [3, 4]], dtype=jnp.int32) + step,
        "i64": np.array([-5, 123456789], dtype=np.int64) + step,
        "nested": {"list": [jnp.ones((2,), jnp.float32) * step, jnp.zeros((1,), jnp.float32)]},
        "step": step,
        "lr": 0.25 / (step + 1),
    }


def save(url, steps, max_to_keep):
    mngr = _manager(url, max_to_keep=max_to_keep)
    expected = {"steps": {}}
    for step in range(steps):
        tree = tree_at(step)
        meta = {"step": step, "note": "python"}
        mngr.save(
            step,
            args=ocp.args.Composite(params=ocp.args.StandardSave(tree), meta=ocp.args.JsonSave(meta)),
            metrics={"loss": 1.0 / (step + 1)},
        )
        expected["steps"][str(step)] = {"params": flat(tree), "meta": meta, "metrics": {"loss": 1.0 / (step + 1)}}
    mngr.wait_until_finished()
    expected["all_steps"] = list(mngr.all_steps())
    expected["latest_step"] = mngr.latest_step()
    expected["best_step"] = mngr.best_step()
    mngr.close()
    json.dump(expected, sys.stdout)


def restore(url):
    from etils import epath

    jax.config.update("jax_enable_x64", True)  # int64 leaves come back as int64
    if (epath.Path(url) / "_METADATA").exists():  # one checkpoint (StandardCheckpointer), not a manager's root
        ckptr = ocp.StandardCheckpointer(atomicity_options=ocp_options.AtomicityOptions(mode=ocp_options.AtomicityMode.COMMIT_FILE))
        json.dump({"checkpoint": flat(ckptr.restore(url)), "commit_success": (epath.Path(url) / "commit_success.txt").exists()}, sys.stdout)
        return
    mngr = _manager(url, read_only=True)
    got = {"all_steps": list(mngr.all_steps()), "latest_step": mngr.latest_step(), "best_step": mngr.best_step(), "steps": {}}
    for step in mngr.all_steps():
        step_dir = epath.Path(url) / str(step)
        args = {}
        for item in sorted(step_dir.iterdir(), key=lambda p: p.name):
            if (item / "_METADATA").exists():
                args[item.name] = ocp.args.StandardRestore()
            elif (item / "metadata").exists():  # JsonSave's file
                args[item.name] = ocp.args.JsonRestore()
        restored = mngr.restore(step, args=ocp.args.Composite(**args))
        got["steps"][str(step)] = {
            name: flat(restored[name]) if isinstance(args[name], ocp.args.StandardRestore) else restored[name]
            for name in args
        }
        got["steps"][str(step)]["metrics"] = mngr.metrics(step)
        got["steps"][str(step)]["commit_success"] = (step_dir / "commit_success.txt").exists()
    mngr.close()
    json.dump(got, sys.stdout)


if __name__ == "__main__":
    try:
        import s3fs  # noqa: F401  (epath's s3:// backend; not in requirements.txt)
    except ImportError:
        sys.exit("s3_interop.py needs s3fs for s3:// paths: pip install s3fs (or put it on PYTHONPATH)")
    command, url, endpoint, *rest = sys.argv[1:]
    _patch_orbax_for_s3(endpoint)

    def flag(name, default):
        return int(rest[rest.index(name) + 1]) if name in rest else default

    if command == "save":
        save(url, flag("--steps", 2), flag("--max-to-keep", None))
    elif command == "restore":
        restore(url)
    else:
        raise SystemExit(__doc__)
