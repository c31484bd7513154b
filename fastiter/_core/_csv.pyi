import numpy as np

ENUMBER: int
EFIELDS: int

def parse_f64(buf: bytes | bytearray | memoryview, start: int, delim: int,
              out: np.ndarray, row_line: np.ndarray, is_last: bool) -> tuple[int, int, int, tuple | None]: ...
