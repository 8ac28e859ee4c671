"""Pausing Python's cyclic garbage collector while a batch builds many objects.

CPython starts a collection every few hundred new container objects, and each full one walks
every live object the program holds. A batch that builds millions of records (a file read
into memory, ``assess_all`` over a customer base) therefore spends a third or more of its
time in collections that free nothing: the records it builds form no reference cycles and
are freed by reference counting. Mercurial pauses the collector the same way while it builds
large structures. The pause is undone when the last batch running in the process ends, on
errors too, and only if the collector was on when the first one began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_batches = 0  # batches running now, in any thread
_was_enabled = False  # the collector's state when the first of them began


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; restore it when the last such block in
    the process ends. Nested and concurrent blocks are counted, so one ending early does not
    switch the collector back on under another."""
    global _batches, _was_enabled
    with _lock:
        if _batches == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0 and _was_enabled:
                gc.enable()
