"""What the benchmarks read off the host they run on: its load, a free loopback port."""

from __future__ import annotations

import socket
from pathlib import Path


def load() -> str:
    """The machine's 1/5/15-minute load averages (figures on a shared host are read beside them)."""
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "unknown"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (for a server the benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
