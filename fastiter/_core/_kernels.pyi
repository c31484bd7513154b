from typing import Any

import numpy as np

class KernelError(RuntimeError): ...

RANDOM_KINDS: tuple[str, ...]
DTYPE_CODES: dict[str, int]
__pyx_capi__: dict[str, Any]

def status_message(status: int) -> str: ...
def one_hot_into(
    labels: np.ndarray, out: np.ndarray, out_code: int, zeroed: bool = False
) -> int: ...
def collect_sequences(
    seqs: list, typenum: int, features: int, rank: int, ptrs: np.ndarray, lengths: np.ndarray
) -> int: ...
def pad_into(
    ptrs: np.ndarray,
    src_begin: np.ndarray,
    count: np.ndarray,
    start: np.ndarray,
    features: int,
    layout: int,
    pad_value: bytes,
    out: np.ndarray,
    mask: np.ndarray | None,
    mask_one: bytes,
) -> int: ...
def gather_into(
    src: np.ndarray, indices: np.ndarray, out: np.ndarray, row_bytes: int, stride: int
) -> int: ...
def gather_rows(src: object, indices: object, out: object) -> int: ...
def gather_windows_into(
    src: np.ndarray, starts: np.ndarray, out: np.ndarray, window: int, layout: int
) -> int: ...
def collate_into(items: list, out: np.ndarray, ptrs: np.ndarray) -> int: ...
def random_fill(
    kind: str,
    seed: int,
    stream: int,
    first: int,
    out: np.ndarray,
    code: int,
    low: int = 0,
    rng: int = 1,
    p: float = 0.5,
    num_classes: int = 1,
) -> None: ...
def simd_level() -> int: ...
def set_simd_level(level: int) -> None: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def pool_live_threads() -> int: ...
def pool_shutdown() -> None: ...
def thread_serial(on: bool) -> bool: ...
def pool_jobs() -> int: ...
def gather_scaled_into(
    src: np.ndarray,
    indices: np.ndarray | None,
    out: np.ndarray,
    row_len: int,
    stride: int,
    scale: float,
    threshold: int,
) -> int: ...
def gather_scaled_labeled(
    src: np.ndarray,
    indices: np.ndarray,
    label_rows: np.ndarray,
    shape: tuple[int, ...],
    scale: float,
    threshold: int,
    f64: bool,
) -> tuple[np.ndarray, np.ndarray] | int: ...
