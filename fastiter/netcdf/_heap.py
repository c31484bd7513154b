"""glibc heap thresholds for processes that compute piece-sized temporaries.

Above ``M_MMAP_THRESHOLD`` every allocation is a fresh ``mmap`` whose pages fault in
zeroed and go back to the kernel when freed; computing one piece makes several such
temporaries.  Raising the mmap and trim thresholds lets a process serve them from its
heap and reuse freed memory.  Both the fork pool's children and cluster workers (whose
nanny pins the thresholds low) use this one switch.
"""

from __future__ import annotations

import ctypes
from typing import Any

__all__ = ["libc", "set_thresholds", "MMAP_MAX"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: glibc's adaptive mmap threshold tops out here on 64-bit systems.
MMAP_MAX = 32 << 20
_FOUND: list = []


def libc() -> Any:
    """The process's C library when it has ``mallopt`` (glibc), else None; looked up once."""
    if not _FOUND:
        try:
            lib = ctypes.CDLL(None)
            _FOUND.append(lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None)
        except OSError:  # pragma: no cover - no C library to load
            _FOUND.append(None)
    return _FOUND[0]


def set_thresholds(mmap: int, trim: int) -> bool:
    """Set glibc's mmap and trim thresholds (bytes); False when there is no glibc."""
    lib = libc()
    if lib is None:
        return False
    lib.mallopt(_M_MMAP_THRESHOLD, int(mmap))
    lib.mallopt(_M_TRIM_THRESHOLD, int(trim))
    return True
