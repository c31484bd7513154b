"""Clean-up steps run while an error is on its way out of the writer.

One rule for every such step (the workers' temporaries, the manifest, the run report):
the error that happened is the one raised, and a clean-up step that fails too is
noted on it (``add_note``), never raised instead of it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["also"]


def also(err: BaseException, what: str, fn: Callable[[], Any]) -> None:
    """Run the clean-up ``fn``; a failure of it is noted on ``err``, never raised.

    Examples
    --------
    >>> err = ValueError("the write failed")
    >>> also(err, "removing the temporary file", lambda: 1 / 0)
    >>> err.__notes__  # doctest: +NORMALIZE_WHITESPACE
    ['while removing the temporary file after this error, ZeroDivisionError: division by
    zero also happened']
    """
    try:
        fn()
    except Exception as second:  # noqa: BLE001 - kept on the error being raised
        note = f"while {what} after this error, {type(second).__name__}: {second} also happened"
        if sys.version_info >= (3, 11):
            err.add_note(note)
        else:  # Python 3.10: the same attribute, which 3.11's tracebacks print
            notes = [*getattr(err, "__notes__", []), note]
            err.__notes__ = notes  # type: ignore[attr-defined]  # not in 3.10's stubs
