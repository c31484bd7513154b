"""The manifest: a JSON record of the files a split wrote, and of the source they came from.

It is rewritten atomically as files finish (at most about once a second) and last, so a
manifest marked ``complete`` means every file in it was closed, hashed and renamed into
place.  After a failure a manifest marked incomplete lists the files that did finish.
Each file's entry holds its integrity regions and the digest of each variable's data
(:mod:`fastiter.netcdf.integrity`); ``source`` holds the source fingerprint
(:mod:`fastiter.netcdf.fingerprint`).  :mod:`fastiter.netcdf.resume` decides from these
what ``save_chunks(resume=True)`` may keep.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable
from typing import Any

from fastiter.errors import FormatError

__all__ = ["manifest_path", "write_manifest", "read_manifest", "atomic_write_text"]

FORMAT = "fastiter-netcdf-manifest"
VERSION = 2
#: Versions this fastiter reads (version 1 has no source fingerprint: never resumed from).
READS = (1, 2)


def manifest_path(root: str, prefix: str) -> str:
    """Where the manifest of ``prefix`` files in ``root`` lives."""
    return os.path.join(root, f"{prefix}.manifest.json")


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to a temporary name in the same folder, then ``os.replace`` it."""
    tmp = f"{path}.tmp-{os.getpid()}"
    created = False
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            created = True
            f.write(text)
            f.flush()
        os.replace(tmp, path)
        created = False
    except FileExistsError:
        os.remove(tmp)  # a stale temporary of a killed process with our pid: retry once
        return atomic_write_text(path, text)
    finally:
        if created:
            try:
                os.remove(tmp)
            except OSError:
                pass  # the error being raised is the one that matters


def write_manifest(
    path: str,
    entries: Iterable[dict[str, Any]],
    *,
    complete: bool,
    total: int,
    engine: str,
    source: dict[str, str] | None = None,
    claimed: Iterable[str] = (),
) -> None:
    """Record ``entries`` (one dict per finished file) at ``path``.

    ``claimed`` lists the targets this run is writing (each checked absent, or allowed
    to be replaced, before the run started): a file found there later without an entry
    (its worker finished it but the run stopped before hearing so) is this run's own, to
    rewrite, never someone else's.  Paths are stored relative to the manifest's folder
    so the set can be moved.
    """
    folder = os.path.dirname(os.path.abspath(path))
    files = []
    for e in sorted(entries, key=lambda e: e["index"]):
        e = dict(e)
        e["path"] = os.path.relpath(os.path.abspath(e["path"]), folder)
        files.append(e)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "complete": bool(complete),
        "expected_files": int(total),
        "engine": engine,
        "written": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "files": files,
        "claimed": sorted(os.path.relpath(os.path.abspath(p), folder) for p in claimed),
    }
    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")


def read_manifest(path: str) -> dict[str, Any]:
    """Load and check a manifest; raises :class:`FormatError` when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as err:
        raise FormatError(f"{path} is not a fastiter manifest (bad JSON: {err})") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(
            f"{path} is not a fastiter manifest (format field is "
            f"{doc.get('format') if isinstance(doc, dict) else None!r})"
        )
    if doc.get("version") not in READS:
        raise FormatError(
            f"{path} has manifest version {doc.get('version')}, "
            f"this fastiter reads versions {READS}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    for e in doc["files"]:
        e["path"] = os.path.normpath(os.path.join(folder, e["path"]))
    doc["claimed"] = [os.path.normpath(os.path.join(folder, p)) for p in doc.get("claimed", [])]
    return doc
