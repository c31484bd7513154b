"""Child processes started by tests that press Ctrl-C in them."""

from __future__ import annotations

import signal


def sigint_as_in_a_terminal() -> None:
    """``preexec_fn`` that gives the child the default SIGINT disposition.

    A shell starts background jobs (``cmd &``, nohup, some CI runners) with SIGINT ignored,
    children inherit that, and Python then installs no KeyboardInterrupt handler at all:
    a test that presses Ctrl-C would time out instead of testing what a user at a terminal
    gets.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
