"""What a run may touch, and what ``resume`` keeps.

The rules, checked before the first byte is written:

- A file is this run's own only when the manifest in ``root`` records it at the same
  index and path.  Any other existing target is refused (:class:`TargetsExistError`,
  listing them) unless ``overwrite=True``, with or without ``resume``.
- ``resume`` first compares the manifest's source fingerprint with this source; any
  difference is refused (:class:`ResumeError`, saying what differs).
- An own file is kept only when every byte re-hashes to what was recorded when it was
  written; otherwise it is rewritten, or with ``resume='strict'`` refused, listing
  the bad files.
- For in-memory data the pieces of every kept file are re-hashed and compared with the
  digests recorded as they were written, so a changed value is refused too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from fastiter.netcdf.encoding import encode_piece
from fastiter.netcdf.fingerprint import differences
from fastiter.netcdf.integrity import check_file, content_digests
from fastiter.netcdf.manifest import read_manifest

__all__ = [
    "ResumeError",
    "TargetsExistError",
    "own_entries",
    "refuse_existing",
    "check_source",
    "verify_own",
    "check_content",
    "plan_resume",
]


class ResumeError(ValueError):
    """``resume`` found files it must not keep; ``bad`` lists them, ``differences`` why."""

    def __init__(
        self, message: str, bad: Sequence[str] = (), differences: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.bad = list(bad)
        self.differences = list(differences)


class TargetsExistError(FileExistsError):
    """Target files exist that this run did not write; ``paths`` lists them."""

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.paths = list(paths)


def _listing(paths: Sequence[str]) -> str:
    return "\n  ".join(list(paths[:20]) + (["..."] if len(paths) > 20 else []))


def own_entries(doc: Mapping[str, Any] | None, paths: Sequence[str]) -> dict[int, dict[str, Any]]:
    """The manifest's entries recorded at this run's index and path.

    A target the manifest claims but has no entry for (a worker finished it as the run
    stopped) is own too, with nothing recorded to verify it by: resume rewrites it.
    """
    if not doc:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for e in doc.get("files", []):
        i = e.get("index", -1)
        if (
            isinstance(i, int)
            and 0 <= i < len(paths)
            and os.path.abspath(paths[i]) == os.path.abspath(e.get("path", ""))
        ):
            out[i] = e
    claimed = {os.path.abspath(p) for p in doc.get("claimed", [])}
    for i, p in enumerate(paths):
        if i not in out and os.path.abspath(p) in claimed:
            out[i] = {"index": i, "path": p}
    return out


def refuse_existing(
    paths: Sequence[str], own: Mapping[int, Any], overwrite: bool, resume: Any
) -> None:
    """Raise :class:`TargetsExistError` for existing targets this run may not replace."""
    if overwrite:
        return
    existing = [p for i, p in enumerate(paths) if os.path.lexists(p) and not (resume and i in own)]
    if existing:
        why = (
            "the manifest does not record them as written by this run"
            if resume
            else "overwrite=False"
        )
        raise TargetsExistError(
            f"{len(existing)} target file(s) already exist and {why}; nothing was "
            f"written:\n  {_listing(existing)}\nPass overwrite=True to replace them"
            + ("" if resume else " or resume=True to complete an interrupted run")
            + ".",
            existing,
        )


def check_source(doc: Mapping[str, Any], fingerprint: Mapping[str, str], manifest: str) -> None:
    """Refuse to resume from a manifest written from a different source."""
    old = doc.get("source")
    if old is None:
        raise ResumeError(
            f"{manifest} records no source fingerprint (written by an "
            f"older fastiter), so resume cannot tell whether its files come "
            f"from this source; pass overwrite=True to write them again"
        )
    diff = differences(old, fingerprint)
    if diff:
        raise ResumeError(
            "resume=True refused: this source differs from the one the "
            f"files listed in {manifest} were written from, and resuming "
            "would mix the two; nothing was written:\n  "
            + "\n  ".join(diff)
            + "\nPass overwrite=True (without resume) to write them again.",
            differences=diff,
        )


def verify_own(
    own: Mapping[int, Mapping[str, Any]], paths: Sequence[str], strict: bool
) -> tuple[dict[int, Mapping[str, Any]], list[int]]:
    """(kept entries, indices to rewrite); every kept file re-hashed byte for byte."""
    keep: dict[int, Mapping[str, Any]] = {}
    bad: dict[int, str] = {}
    for i, e in sorted(own.items()):
        if not os.path.exists(paths[i]):
            continue  # never finished or removed: written again
        why = check_file(paths[i], e)
        if why is None:
            keep[i] = e
        else:
            bad[i] = why
    if bad and strict:
        raise ResumeError(
            f"resume='strict' refused: {len(bad)} file(s) written by this "
            f"run no longer hold the bytes recorded when they were written; "
            f"nothing was written:\n  "
            + _listing([f"{paths[i]}: {why}" for i, why in bad.items()])
            + "\nPass resume=True to rewrite them.",
            bad=[paths[i] for i in bad],
        )
    return keep, sorted(bad)


def _arrays(encoded: Any, names: set[str]) -> dict[str, np.ndarray]:
    from fastiter.netcdf.filejob import _materialise

    return {v.name: _materialise(v.data) for v in encoded.variables if v.name in names}


def check_content(
    ds: xr.Dataset,
    keep: Mapping[int, Mapping[str, Any]],
    encoded: Sequence[Any],
    paths: Sequence[str],
) -> None:
    """Refuse when a kept file's in-memory data differ from this source's piece.

    Lazy variables are covered by their dask token in the fingerprint; in-memory ones
    are re-hashed here, piece by piece, with the digests recorded as they were written.
    """
    names = {str(n) for n, v in ds.variables.items() if v.chunks is None}
    diff = []
    for i, e in sorted(keep.items()):
        recorded = e.get("content") or {}
        now = content_digests(_arrays(encoded[i], names), e["algorithm"])
        for name, digest in now.items():
            if recorded.get(name) != digest:
                diff.append(
                    f"variable {name!r} of {paths[i]} holds other values than this source's piece"
                )
    if diff:
        raise ResumeError(
            "resume=True refused: the data differ from what the kept files "
            "were written from, and resuming would mix the two; nothing "
            "was written:\n  " + _listing(diff) + "\nPass overwrite=True "
            "(without resume) to write them again.",
            differences=diff,
        )


def plan_resume(
    ds: xr.Dataset, f: dict[str, Any], mpath: str, overwrite: bool, resume: Any
) -> tuple[dict[int, Any], list[int]]:
    """(kept manifest entries by index, indices rewritten because their bytes changed).

    ``f`` is the writer's plan: ``paths``, ``slices``, ``plan``, ``unlimited``,
    ``encoded`` (None per piece on a cluster) and ``fingerprint``.
    """
    paths = f["paths"]
    doc = read_manifest(mpath) if resume and os.path.exists(mpath) else None
    if doc is not None:
        check_source(doc, f["fingerprint"], mpath)
    own = own_entries(doc, paths)
    refuse_existing(paths, own, overwrite, resume)
    if not resume:
        return {}, []
    keep, bad = verify_own(own, paths, strict=resume == "strict")
    if keep:
        encoded = f["encoded"]
        if encoded[0] is None:  # cluster: encode just the pieces to compare, here
            encoded = {
                i: encode_piece(
                    ds.isel(f["slices"][i]) if f["slices"][i] else ds, f["plan"], f["unlimited"]
                )
                for i in keep
            }
        check_content(ds, keep, encoded, paths)
    return keep, bad
