"""A throw-away PostgreSQL cluster for the tests: Debian's binaries, a temporary directory, a free port.

``Cluster.start()`` runs ``initdb`` and ``pg_ctl start`` (as the unprivileged ``nobody`` when the
tests run as root: PostgreSQL refuses to run as root), listening on 127.0.0.1 only with ``trust``
authentication; ``new_database()`` creates an empty database per test; ``stop()`` stops the server
and removes the directory. ``shared()`` is the one cluster of a test session (started on first use,
stopped at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
RUN_AS = "nobody"
MARKER = ".test-database-url"


def pg_bin() -> Path | None:
    """The newest Debian PostgreSQL binaries (``apt-get install postgresql``), or None."""
    for d in PG_BIN_DIRS:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        found = pg_bin()
        if found is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="leian-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self.user = "leian"
        self.running = False
        self._migrated: str | None = None

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(RUN_AS)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=32MB"
        )
        self._options = options
        self.start_server()
        return self

    def start_server(self) -> None:
        """Start the server of an initialised cluster (again, after ``stop_server``)."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            self._options,
            "-w",
            "start",
        )
        self.running = True

    def stop_server(self) -> None:
        """Stop the server, keeping the cluster (``-m fast``: open connections are cut)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def restart(self) -> None:
        """``pg_ctl restart``: every open connection is dropped, as in a database restart."""
        self.stop_server()
        self.start_server()

    @property
    def base_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}"

    def new_database(self, template: str = "template0") -> str:
        """A new database on this cluster (empty, or a copy of ``template``); returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return f"{self.base_url}/{name}"

    def migrated(self) -> str:
        """A database with every migration applied, made once: the services' databases are copies of
        it (seconds of DDL per test otherwise; the migrations themselves are tested on empty ones)."""
        if self._migrated is None:
            from kb.schema import ALL_MIGRATIONS
            from kb.storage.db import Database

            url = self.new_database()
            Database(url, migrations=ALL_MIGRATIONS).close()
            self._migrated = url.rsplit("/", 1)[-1]
        return self._migrated

    def database_for(self, data_dir: Path) -> str:
        """The database that goes with a test's data directory, as the SQLite file would.

        The first call for a directory creates an empty database and notes its URL in the directory
        (``MARKER``); later calls (a service reopened on the same directory) get the same one. A
        directory copied from another (``shutil.copytree`` of a prepared template) carries the
        other's note: it gets a copy of that database (``CREATE DATABASE ... TEMPLATE``)."""
        import json

        import psycopg

        marker = Path(data_dir) / MARKER
        if marker.exists():
            noted = json.loads(marker.read_text(encoding="utf-8"))
            if noted["dir"] == str(Path(data_dir).resolve()):
                return str(noted["url"])
            name = f"t{os.getpid()}_{next(self._names)}"
            source = noted["url"].rsplit("/", 1)[-1]
            with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            url = f"{self.base_url}/{name}"
        else:
            url = self.new_database(template=self.migrated())
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"dir": str(Path(data_dir).resolve()), "url": url}), encoding="utf-8")
        return url

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)


def noted_url(data_dir: Path) -> str | None:
    """The test database noted in ``data_dir`` by ``Cluster.database_for`` for this very directory."""
    import json

    marker = Path(data_dir) / MARKER
    if not marker.exists():
        return None
    noted = json.loads(marker.read_text(encoding="utf-8"))
    return str(noted["url"]) if noted["dir"] == str(Path(data_dir).resolve()) else None


_shared: Cluster | None = None


def shared() -> Cluster:
    """The session's cluster, started on first use and stopped (and removed) when the process exits."""
    global _shared
    if _shared is None:
        started = time.perf_counter()
        _shared = Cluster().start()
        _shared.startup_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
        atexit.register(_shared.stop)
    return _shared


def stop_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
