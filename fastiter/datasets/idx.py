"""IDX files (the MNIST/EMNIST container), gzipped or not: read and write.

Layout: two zero bytes, a type code, the number of dimensions ``d``, then ``d``
big-endian uint32 sizes, then the data in C order and big-endian.  Reading maps the
payload straight into a numpy array (one ``frombuffer`` over the decompressed bytes),
so there is no per-element Python.
"""
from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from fastiter.errors import FormatError

__all__ = ["read_idx", "write_idx"]

_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code
          for code, dt in _TYPES.items()}


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _read_gzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as exc:
        raise FormatError(f"{path} is a damaged gzip file: {exc}") from exc


def _parse_header(path: Path, head: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
        raise FormatError(f"{path} is not an IDX file (magic bytes {head[:4].hex()}; "
                          f"expected 0000 then a type code in {sorted(_TYPES)})")
    dtype, ndim = _TYPES[head[2]], head[3]
    header = 4 + 4 * ndim
    if len(head) < header:
        raise FormatError(f"{path} is truncated inside its IDX header")
    return dtype, struct.unpack(f">{ndim}I", head[4:header]), header


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip detected from its magic bytes) into a native-endian array.

    Raises :class:`fastiter.FormatError` for a foreign, truncated or oversized file.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.idx")
    >>> write_idx(p, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(p).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    path = Path(path)
    gz = _is_gzip(path)
    if gz:
        raw = _read_gzip(path)
        dtype, shape, header = _parse_header(path, raw[:4 + 4 * 255])
        size = len(raw)
    else:
        with open(path, "rb") as f:
            dtype, shape, header = _parse_header(path, f.read(4 + 4 * 255))
        size = path.stat().st_size
    count = int(np.prod(shape, dtype=np.int64))
    if size - header != count * dtype.itemsize:
        raise FormatError(f"{path} holds {size - header} data bytes, but its header "
                          f"{shape} of {dtype} needs {count * dtype.itemsize}")
    if gz:
        arr = np.frombuffer(raw, dtype=dtype, offset=header)
    else:  # straight from the file into the array: no intermediate bytes object
        arr = np.fromfile(path, dtype=dtype, count=count, offset=header)
    arr = arr.reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else arr


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None,
              overwrite: bool = True) -> None:
    """Write ``array`` as an IDX file, atomically (gzip when ``compress`` or a ``.gz`` name)."""
    path = Path(path)
    arr = np.ascontiguousarray(array)
    code = _CODES.get(arr.dtype)
    if code is None:
        raise TypeError(f"array dtype must be one of uint8, int8, int16, int32, float32, "
                        f"float64 for IDX, got {arr.dtype}")
    if arr.ndim > 255:
        raise ValueError(f"IDX holds at most 255 dimensions, got {arr.ndim}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    big = arr.astype(arr.dtype.newbyteorder(">"), copy=False) if arr.itemsize > 1 else arr
    payload = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) \
        + big.tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
