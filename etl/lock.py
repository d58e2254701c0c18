"""One writer at a time on the warehouse: an OS file lock, released by the kernel on death."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from etl.errors import LockError

log = logging.getLogger(__name__)

# lock path -> ident of the thread holding it in this process (re-entrancy is per thread: another
# thread of the same process must queue like another process, and does, since flock conflicts
# between two open file descriptions even within one process)
_HELD: dict[Path, int] = {}
_POLL_MIN_S, _POLL_MAX_S = 0.05, 1.0


@contextmanager
def warehouse_lock(path: Path, purpose: str, *, wait_s: float = 0) -> Iterator[None]:
    """Hold an exclusive lock on `path`, naming the holder in LockError when it cannot.

    `wait_s=0` (the default) fails at once if another writer holds the lock; a positive `wait_s`
    retries until then (short commits queue behind each other and behind a build step) and
    raises the same LockError when the time is up.

    flock is released when the holding process dies, so a stale lock file left by a killed run
    never blocks the next one; the holder details in the file are informational only.
    """
    path = path.resolve()
    if _HELD.get(path) == threading.get_ident():  # re-entrant: run_all holds it around steps
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # noqa: SIM115 - held open for the lifetime of the lock
    try:
        _acquire(fh, path, purpose, wait_s)
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "purpose": purpose,
                    "since": datetime.now(UTC).isoformat(),
                }
            )
        )
        fh.flush()
        _HELD[path] = threading.get_ident()
        try:
            yield
        finally:
            _HELD.pop(path, None)
    finally:
        fh.close()


def _acquire(fh: TextIO, path: Path, purpose: str, wait_s: float) -> None:
    deadline = time.monotonic() + max(0.0, wait_s)
    pause, logged = _POLL_MIN_S, False
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            waited = f" (waited {wait_s:g} s)" if wait_s > 0 else ""
            raise LockError(
                f"warehouse {path.parent} is locked by another writer{waited}: {holder}"
            )
        if not logged:
            log.warning(
                "%s: waiting up to %g s for the warehouse lock held by %s", purpose, wait_s, holder
            )
            logged = True
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _POLL_MAX_S)
