"""The Milvus standalone server for the ``milvus_server`` tests: started once per session (the fixture
is imported by tests/conftest.py).

The server comes from the PyPI package ``milvus`` (2.3), whose client pins clash with Milvus Lite's,
so these tests run in their own virtualenv (``./run milvus-server``, created by ``.ci/run``); where
the package is missing they are skipped. Start-up takes 10-50 s on two busy cores.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

# The standalone binary locks this pid file whatever its base directory: one server per machine.
PID_FILE = Path("/run/milvus/standalone.pid")
HAS_SERVER = importlib.util.find_spec("milvus") is not None and importlib.util.find_spec("pymilvus") is not None
log = logging.getLogger(__name__)


def _running_server() -> int | None:
    """The pid of a live Milvus standalone process named in ``PID_FILE``, if any."""
    try:
        pid = int(PID_FILE.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"milvus" in cmdline and b"standalone" in cmdline else None


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The uri (``http://127.0.0.1:PORT``) of a throw-away Milvus server, stopped after the session."""
    if not HAS_SERVER:
        pytest.skip("the Milvus server package is missing: ./run milvus-server runs these tests")
    from milvus import MilvusServer

    from indexing.vectors import milvus_compat

    other = _running_server()
    if other is not None:
        pytest.fail(
            f"another Milvus standalone server (pid {other}) holds {PID_FILE}: the milvus package's server "
            "takes that machine-wide lock, so a second one never becomes ready; stop it first"
        )
    base: Path = tmp_path_factory.mktemp("milvus-server")
    server = MilvusServer()
    server.set_base_dir(str(base))
    try:
        server.start()  # picks free ports from 19530 on
    except Exception:
        logs = base / "logs" / "milvus-stderr.log"
        tail = logs.read_text(errors="replace")[-4000:] if logs.exists() else "(no log)"
        server.stop()
        pytest.fail(f"the Milvus server did not start; the end of its log:\n{tail}")
    uri = f"http://127.0.0.1:{server.listen_port}"
    try:
        from pymilvus import MilvusClient

        client = MilvusClient(uri=uri)
        engine = milvus_compat.parse_version(milvus_compat.server_version(client))
        client.close()
        milvus_compat.check_engine(engine, uri)  # a too-old server fails here, in Chinese and English
        log.info("Milvus server %s at %s", engine.version, uri)
        yield uri
    finally:
        server.stop()
