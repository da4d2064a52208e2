"""Child processes that end with the kg process that started them."""

from __future__ import annotations

import os
import signal

__all__ = ["die_with_parent"]

try:  # found now: a child between fork and exec should import nothing
    import ctypes

    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def die_with_parent(signum: int = signal.SIGTERM, parent: int | None = None) -> None:
    """In a child process: have Linux send it ``signum`` when its parent dies, however the parent
    dies (SIGKILL included), and exit at once if the parent (``parent``, by default the one it
    has now) is gone already; elsewhere nothing."""
    if _prctl is None:
        return
    parent = os.getppid() if parent is None else parent
    _prctl(1, signum)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)
