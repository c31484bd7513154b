"""fastiter's HDF5 file format for DataSet and MultiDataSet (through h5py; no pickle).

Layout of format version 1:

- root attributes ``fastiter_kind`` (``"DataSet"`` or ``"MultiDataSet"``),
  ``fastiter_format_version`` (1) and ``arrays`` (a JSON list of the dataset paths that
  are present, so None and "absent" are told apart);
- ``example_metadata`` and ``label_names`` as JSON string attributes, when set;
- a DataSet stores ``features``, ``labels``, ``features_mask``, ``labels_mask``; a
  MultiDataSet stores ``features/<i>``, ``labels/<i>``, ``features_masks/<i>``,
  ``labels_masks/<i>`` plus the counts ``num_features`` / ``num_labels`` and the flags
  ``has_features_masks`` / ``has_labels_masks``.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from fastiter.errors import FormatError

__all__ = ["FORMAT_VERSION", "save", "load"]

FORMAT_VERSION = 1
_SINGLE = ("features", "labels", "features_mask", "labels_mask")
_MULTI = ("features", "labels", "features_masks", "labels_masks")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (common in metadata) as their Python equivalents."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _to_json(name: str, value: Any) -> str:
    try:
        return json.dumps(value, default=_plain)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be JSON-serialisable to be saved ({exc}); convert "
            f"its entries to str/int/float/list/dict first"
        ) from None


def _single(cls: type) -> bool:
    """Whether ``cls`` is a DataSet (one array per field) rather than a MultiDataSet; read
    from its fields so this module need not import the classes that import it."""
    return hasattr(cls, "features_mask")


def _arrays_of(obj: Any) -> dict[str, np.ndarray]:
    if _single(type(obj)):
        return {n: getattr(obj, n) for n in _SINGLE if getattr(obj, n) is not None}
    out = {}
    for name in _MULTI:
        for i, arr in enumerate(getattr(obj, name) or []):
            if arr is not None:
                out[f"{name}/{i}"] = arr
    return out


def _kind(cls: type) -> str:
    return "DataSet" if _single(cls) else "MultiDataSet"


def _write(f: Any, obj: Any) -> None:
    arrays = _arrays_of(obj)
    f.attrs["fastiter_kind"] = _kind(type(obj))
    f.attrs["fastiter_format_version"] = FORMAT_VERSION
    f.attrs["arrays"] = json.dumps(sorted(arrays))
    if obj.example_metadata is not None:
        f.attrs["example_metadata"] = _to_json("example_metadata", obj.example_metadata)
    if getattr(obj, "label_names", None) is not None:
        f.attrs["label_names"] = _to_json("label_names", obj.label_names)
    if not _single(type(obj)):
        f.attrs["num_features"] = len(obj.features)
        f.attrs["num_labels"] = len(obj.labels)
        f.attrs["has_features_masks"] = obj.features_masks is not None
        f.attrs["has_labels_masks"] = obj.labels_masks is not None
    for path, arr in arrays.items():
        f.create_dataset(path, data=np.ascontiguousarray(arr))


def save(obj: Any, path: str | os.PathLike, overwrite: bool = False) -> None:
    """Write ``obj`` to ``path`` atomically; refuse to replace a file unless ``overwrite``."""
    import h5py

    target = os.fspath(path)
    if not overwrite and os.path.exists(target):
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".fastiter-", suffix=".h5.tmp", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            _write(f, obj)
        if overwrite:
            os.replace(tmp, target)
        else:
            # a hard link publishes the file atomically and fails if the name was taken
            # meanwhile, which os.replace would silently clobber
            os.link(tmp, target)
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_attr(f: Any, name: str) -> Any:
    if name not in f.attrs:
        return None
    raw = f.attrs[name]
    return json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))


def _read(f: Any, cls: type, target: str) -> Any:
    kind = f.attrs.get("fastiter_kind")
    version = f.attrs.get("fastiter_format_version")
    if kind is None or version is None:
        raise FormatError(
            f"{target} is an HDF5 file but not one written by fastiter "
            f"(no fastiter_kind / fastiter_format_version attributes)"
        )
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind != _kind(cls):
        raise FormatError(f"{target} holds a {kind}, not a {_kind(cls)}; use {kind}.load")
    if int(version) > FORMAT_VERSION:
        raise FormatError(
            f"{target} has format version {int(version)}; this fastiter reads "
            f"versions up to {FORMAT_VERSION}, upgrade fastiter"
        )
    present = _json_attr(f, "arrays")
    arrays = {p: f[p][()] for p in present}
    meta = _json_attr(f, "example_metadata")
    if _single(cls):
        return cls(
            *(arrays.get(n) for n in _SINGLE),
            example_metadata=meta,
            label_names=_json_attr(f, "label_names"),
        )
    counts = {
        "features": int(f.attrs["num_features"]),
        "labels": int(f.attrs["num_labels"]),
        "features_masks": int(f.attrs["num_features"]),
        "labels_masks": int(f.attrs["num_labels"]),
    }
    lists = {n: [arrays.get(f"{n}/{i}") for i in range(counts[n])] for n in _MULTI}
    return cls(
        lists["features"],
        lists["labels"],
        lists["features_masks"] if bool(f.attrs["has_features_masks"]) else None,
        lists["labels_masks"] if bool(f.attrs["has_labels_masks"]) else None,
        example_metadata=meta,
    )


def load(cls: type, path: str | os.PathLike) -> Any:
    """Read a ``cls`` (DataSet or MultiDataSet) written by :func:`save`."""
    import h5py

    target = os.fspath(path)
    if not os.path.exists(target):
        raise FileNotFoundError(f"no such file: {target}")
    try:
        with h5py.File(target, "r") as f:
            return _read(f, cls, target)
    except FormatError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise FormatError(
            f"{target} is truncated, corrupt or not a fastiter {cls.__name__} file: {exc}"
        ) from exc
