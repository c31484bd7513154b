"""IDX files (the MNIST/EMNIST container), gzipped or not: read and write.

Layout: two zero bytes, a type code, the number of dimensions ``d``, then ``d``
big-endian uint32 sizes, then the data in C order and big-endian.  Reading never copies
through Python bytes: plain byte files are memory-mapped, others read into the array,
gzipped ones decompressed into it.
"""

from __future__ import annotations

import gzip
import math
import mmap
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from fastiter.errors import FormatError

__all__ = ["read_idx", "write_idx"]

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # Linux only; elsewhere faults on use
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _TYPES.items()}


def _parse_header(path: Path, head: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
        raise FormatError(
            f"{path} is not an IDX file (magic bytes {head[:4].hex()}; "
            f"expected 0000 then a type code in {sorted(_TYPES)})"
        )
    dtype, ndim = _TYPES[head[2]], head[3]
    header = 4 + 4 * ndim
    if len(head) < header:
        raise FormatError(f"{path} is truncated inside its IDX header")
    return dtype, struct.unpack(f">{ndim}I", head[4:header]), header


def _count(path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> int:
    """Elements the header asks for, in Python ints: an int64 product of sizes up to
    2**32 - 1 wraps around (2**64 + 4 would read as 4) and could match a tiny file."""
    count = math.prod(shape)
    if count * dtype.itemsize > np.iinfo(np.intp).max:
        raise FormatError(
            f"{path}: its IDX header {shape} of {dtype} needs "
            f"{count * dtype.itemsize} bytes, more than any array can hold"
        )
    return count


def _size_error(
    path: Path, data_bytes: int, dtype: np.dtype, shape: tuple[int, ...], count: int
) -> FormatError:
    return FormatError(
        f"{path} holds {data_bytes} data bytes, but its header {shape} of "
        f"{dtype} needs {count * dtype.itemsize}"
    )


def _read_gzip(path: Path) -> np.ndarray:
    """Decompress straight into the array (no intermediate bytes object)."""
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(4)
            if len(head) == 4:
                head += f.read(4 * head[3])
            dtype, shape, header = _parse_header(path, head)
            count = _count(path, dtype, shape)
            try:
                arr = np.empty(count, dtype)
            except (MemoryError, ValueError):
                raise FormatError(
                    f"{path}: its IDX header {shape} asks for more memory than is available"
                ) from None
            view, got = arr.data.cast("B"), 0
            while got < arr.nbytes:
                n = f.readinto(view[got:])
                if not n:
                    raise _size_error(path, got, dtype, shape, count)
                got += n
            extra = len(f.read(1 << 16))
            if extra:
                while chunk := f.read(1 << 20):
                    extra += len(chunk)
                raise _size_error(path, got + extra, dtype, shape, count)
    except (OSError, EOFError, zlib.error) as exc:
        raise FormatError(f"{path} is a damaged gzip file: {exc}") from exc
    return arr.reshape(shape)


def _map_read_only(fileno: int) -> mmap.mmap:
    if hasattr(mmap, "PROT_READ"):
        return mmap.mmap(fileno, 0, flags=mmap.MAP_SHARED | _MAP_POPULATE, prot=mmap.PROT_READ)
    return mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)


def _read_plain(path: Path, use_mmap: bool) -> np.ndarray:
    with open(path, "rb") as f:
        dtype, shape, header = _parse_header(path, f.read(4 + 4 * 255))
        size = os.fstat(f.fileno()).st_size
        count = _count(path, dtype, shape)
        if size - header != count * dtype.itemsize:
            raise _size_error(path, size - header, dtype, shape, count)
        if use_mmap and dtype.itemsize == 1 and count:
            # Byte pixels need no conversion: map the file read-only (pages shared with
            # the OS cache, populated up front so that the first epoch takes no faults).
            m = _map_read_only(f.fileno())
            return np.frombuffer(m, dtype, count, offset=header).reshape(shape)
        f.seek(header)
        return np.fromfile(f, dtype=dtype, count=count).reshape(shape)


def read_idx(path: str | os.PathLike, *, use_mmap: bool = True) -> np.ndarray:
    """Read an IDX file (gzip detected from its magic bytes) into a native-endian array.

    An uncompressed file of bytes (uint8/int8, e.g. MNIST's pixels) is memory-mapped
    read-only when ``use_mmap`` (opening is then near free and the pages are shared with
    the OS cache; the file must not be truncated while the array lives).  Other files are
    read into a new array; a gzipped file is decompressed straight into it.

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
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    arr = _read_gzip(path) if gz else _read_plain(path, use_mmap)
    return arr.astype(arr.dtype.newbyteorder("="), copy=False) if arr.itemsize > 1 else arr


def write_idx(
    path: str | os.PathLike,
    array: np.ndarray,
    *,
    compress: bool | None = None,
    overwrite: bool = True,
) -> None:
    """Write ``array`` as an IDX file, atomically (gzip when ``compress`` or a ``.gz`` name)."""
    path = Path(path)
    arr = np.ascontiguousarray(array)
    code = _CODES.get(arr.dtype)
    if code is None:
        raise TypeError(
            f"array dtype must be one of uint8, int8, int16, int32, float32, "
            f"float64 for IDX, got {arr.dtype}"
        )
    if arr.ndim > 255:
        raise ValueError(f"IDX holds at most 255 dimensions, got {arr.ndim}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    big = arr.astype(arr.dtype.newbyteorder(">"), copy=False) if arr.itemsize > 1 else arr
    payload = (
        bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()
    )
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
