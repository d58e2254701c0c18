"""One writer at a time on the warehouse: an OS file lock, released by the kernel on death."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from etl.errors import LockError

_HELD: set[Path] = set()


@contextmanager
def warehouse_lock(path: Path, purpose: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` or fail at once, naming the holder.

    flock is released when the holding process dies, so a stale lock file left by a killed run
    never blocks the next one; the holder details in the file are informational only.
    """
    path = path.resolve()
    if path in _HELD:  # re-entrant within one process (run_all holds it around every step)
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # noqa: SIM115 - held open for the lifetime of the lock
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
            raise LockError(
                f"warehouse {path.parent} is locked by another writer: {holder}"
            ) from None
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
        _HELD.add(path)
        yield
    finally:
        _HELD.discard(path)
        fh.close()
