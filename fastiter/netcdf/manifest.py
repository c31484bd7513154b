"""The manifest: a JSON record of the files a split wrote, with sizes and checksums.

It is written last (atomically), so a manifest marked ``complete`` means every file in it
was closed, checksummed and renamed into place.  After a failure a manifest marked
incomplete lists the files that did finish, which ``save_chunks(resume=True)`` skips.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any, Iterable

from fastiter.errors import FormatError

__all__ = ["manifest_path", "write_manifest", "read_manifest", "completed_files",
           "atomic_write_text"]

FORMAT = "fastiter-netcdf-manifest"
VERSION = 1


def manifest_path(root: str, prefix: str) -> str:
    """Where the manifest of ``prefix`` files in ``root`` lives."""
    return os.path.join(root, f"{prefix}.manifest.json")


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to a temporary name in the same folder, then ``os.replace`` it."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_manifest(path: str, entries: Iterable[dict[str, Any]], *, complete: bool,
                   total: int, engine: str) -> None:
    """Record ``entries`` (one dict per finished file) at ``path``.

    Paths are stored relative to the manifest's folder so the set can be moved.
    """
    folder = os.path.dirname(os.path.abspath(path))
    files = []
    for e in sorted(entries, key=lambda e: e["index"]):
        e = dict(e)
        e["path"] = os.path.relpath(os.path.abspath(e["path"]), folder)
        files.append(e)
    doc = {"format": FORMAT, "version": VERSION, "complete": bool(complete),
           "expected_files": int(total), "engine": engine,
           "written": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
           "files": files}
    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")


def read_manifest(path: str) -> dict[str, Any]:
    """Load and check a manifest; raises :class:`FormatError` when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as err:
        raise FormatError(f"{path} is not a fastiter manifest (bad JSON: {err})") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(f"{path} is not a fastiter manifest (format field is "
                          f"{doc.get('format') if isinstance(doc, dict) else None!r})")
    if doc.get("version") != VERSION:
        raise FormatError(f"{path} has manifest version {doc.get('version')}, "
                          f"this fastiter reads version {VERSION}")
    folder = os.path.dirname(os.path.abspath(path))
    for e in doc["files"]:
        e["path"] = os.path.normpath(os.path.join(folder, e["path"]))
    return doc


def completed_files(path: str) -> dict[str, dict[str, Any]]:
    """The manifest's entries whose file is still present with the recorded size.

    Keyed by absolute, normalised path; an absent manifest means nothing is complete.
    """
    if not os.path.exists(path):
        return {}
    out = {}
    for e in read_manifest(path)["files"]:
        p = e["path"]
        if os.path.exists(p) and os.path.getsize(p) == e["size"]:
            out[os.path.abspath(p)] = e
    return out
