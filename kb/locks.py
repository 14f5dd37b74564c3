"""Exclusive, non-blocking ``flock``s on files of the data directory: one process at a time holds one.

The kernel drops a ``flock`` when its process ends (even on kill -9), so a stale lock file never
blocks: the next process to try takes it. Held by ``leian serve`` (``kb.backup.ServiceLock``), the
process that writes the index files (``kb.indexer.CaseIndex.is_saver``) and the one that runs the
background-job queue (``kb.jobs.service.JobRunner``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


def try_lock(path: Path) -> IO[str] | None:
    """The open lock file, now holding an exclusive ``flock`` and naming this process's pid, or None
    when another process holds it. Closing the returned file releases the lock."""
    fh = open(path, "a+")  # noqa: SIM115 - held open by the caller for as long as it holds the lock
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh
