"""The normalizer file format: one JSON document, written atomically.

Layout (version 1)::

    {"format": "fastiter.normalizer", "version": 1, "type": "NormalizerStandardize",
     "state": {...}}

``state`` is the class's own ``_state()``; numbers are JSON floats, which round-trip
float64 exactly.  No pickle is ever involved, so loading a file cannot run code.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from fastiter.errors import FormatError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "write_document",
    "read_document",
    "register",
    "load_normalizer",
    "load_as",
]

FORMAT_NAME = "fastiter.normalizer"
FORMAT_VERSION = 1

#: class name -> normalizer class, for :func:`load_normalizer`; each normalizer module
#: registers its classes, so this module needs none of them (no import circle).
_CLASSES: dict[str, type] = {}


def register(cls: type) -> type:
    """Let :func:`load_normalizer` build ``cls`` from the type name a file records."""
    _CLASSES[cls.__name__] = cls
    return cls


def write_document(
    path: str | os.PathLike, type_name: str, state: dict[str, Any], overwrite: bool = False
) -> None:
    """Write ``state`` under ``type_name`` to ``path`` via a temp file and ``os.replace``.

    Refuses to replace an existing file unless ``overwrite`` is true.
    """
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "type": type_name, "state": state}
    text = json.dumps(doc, allow_nan=False, indent=1)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_document(path: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """Read a file written by :func:`write_document`; returns ``(type_name, state)``.

    Raises :class:`~fastiter.errors.FormatError` for a foreign, truncated or
    newer-version file (and ``FileNotFoundError`` when it does not exist).
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(
            f"{path} is not a fastiter normalizer file (not valid JSON: "
            f"{exc}); it may be truncated or of another format"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise FormatError(
            f"{path} is not a fastiter normalizer file (its 'format' field "
            f"is {doc.get('format') if isinstance(doc, dict) else None!r}, "
            f"expected {FORMAT_NAME!r})"
        )
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise FormatError(
            f"{path} has format version {version!r}; this fastiter reads "
            f"versions 1 to {FORMAT_VERSION}"
        )
    if not isinstance(doc.get("type"), str) or not isinstance(doc.get("state"), dict):
        raise FormatError(f"{path} lacks the 'type' or 'state' field of a normalizer file")
    return doc["type"], doc["state"]


def state_error(path: str | os.PathLike, exc: Exception) -> FormatError:
    """A FormatError for a document whose fields are missing or malformed."""
    return FormatError(
        f"{os.fspath(path)} holds a malformed normalizer state ({type(exc).__name__}: {exc})"
    )


def load_normalizer(path: str | os.PathLike) -> Any:
    """Load any fastiter normalizer written by ``save`` (the file names its class).

    >>> import tempfile, os
    >>> from fastiter.preprocessing import NormalizerMinMaxScaler
    >>> norm = NormalizerMinMaxScaler(); norm.fit(DataSet(np.array([[1.0], [3.0]])))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     norm.save(os.path.join(d, "n.json"))
    ...     load_normalizer(os.path.join(d, "n.json")).get_max().tolist()
    [3.0]
    """
    type_name, state = read_document(path)
    if type_name not in _CLASSES:
        raise FormatError(
            f"{os.fspath(path)} holds an unknown normalizer type "
            f"{type_name!r}; known: {sorted(_CLASSES)}"
        )
    obj = _CLASSES[type_name]()
    try:
        obj._set_state(state)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise state_error(path, exc) from None
    return obj


def load_as(cls: type, path: str | os.PathLike) -> Any:
    """:func:`load_normalizer`, refusing (FormatError) a file that holds another class."""
    obj = load_normalizer(path)
    if not isinstance(obj, cls):
        raise FormatError(f"{os.fspath(path)} holds a {type(obj).__name__}, not a {cls.__name__}")
    return obj
