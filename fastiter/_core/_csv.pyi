import numpy as np

ENUMBER: int
EFIELDS: int
EQUOTE: int
ELONG: int
ELABEL: int
MAX_FIELD: int

class Dialect:
    def __init__(
        self, delim: int, quote: bytes, label_column: int = -1, labels: list[bytes] | None = None
    ) -> None: ...

def parse(
    buf: bytes | bytearray | memoryview,
    dialect: Dialect,
    out: np.ndarray,
    row_line: np.ndarray,
    is_last: bool,
) -> tuple[int, int, int, tuple | None]: ...
def count_fields(
    buf: bytes | bytearray | memoryview, dialect: Dialect, is_last: bool
) -> tuple[int, int, tuple | None]: ...
