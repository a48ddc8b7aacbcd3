"""A throwaway PostgreSQL cluster for tests that stop and start the server: `initdb` in a
temporary directory owned by the `postgres` user, trust authentication, listening only on
127.0.0.1 on a free port (its socket in the same directory), started and stopped with
`pg_ctl`. The shared server on 5432 is never touched.

    with throwaway_cluster() as cluster:          # or the `pg_cluster` fixture
        url = cluster.store_url("accord_x")       # postgresql://postgres@127.0.0.1:<port>/postgres?schema=accord_x
        cluster.stop()                            # pg_ctl stop -m fast
        cluster.start()
        cluster.query("SELECT count(*) FROM accord_x.received_events")

The binaries are PostgreSQL 15's (`/usr/lib/postgresql/15/bin`, or `ACCORD_PG_BIN`). The
tests run as root, so every server command runs as `postgres` through `runuser`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

PG_BIN = Path(os.environ.get("ACCORD_PG_BIN", "/usr/lib/postgresql/15/bin"))
SHARED_PORT = 5432


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    run = ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)
    return subprocess.run(run, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class PgCluster:
    """One throwaway cluster: its directory, port and server log."""

    home: Path
    port: int
    running: bool = field(default=False)

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def store_url(self, schema: str) -> str:
        """accord's store URL for `schema` in this cluster's `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?schema={schema}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections (at most 30 s)."""
        assert self.port != SHARED_PORT
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.home} "
                "-c fsync=off -c max_connections=50")
        done = _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                            "-o", opts, "-w", "-t", "30", "start")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}"
                               f"{self.log.read_text() if self.log.exists() else ''}")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m <mode>`: `fast` ends every connection and shuts down cleanly."""
        done = _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                            "-t", "30", "stop")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {done.stdout}{done.stderr}")
        self.running = False

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres", autocommit=True, connect_timeout=5)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query on a fresh connection."""
        with self.connect() as con:
            return con.execute(sql, params or None).fetchall()


@contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A new cluster, started; stopped and deleted afterwards (module docstring)."""
    home = Path(tempfile.mkdtemp(prefix="accord-pg-"))
    shutil.chown(home, "postgres", "postgres")
    cluster = PgCluster(home, free_port())
    try:
        done = _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                            "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C",
                            timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
        cluster.start()
        yield cluster
    finally:
        if cluster.running or (cluster.data / "postmaster.pid").exists():
            for _ in range(3):
                if _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m",
                                "immediate", "-w", "stop").returncode == 0:
                    break
                time.sleep(0.5)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway cluster for one test module (import this fixture into the module)."""
    with throwaway_cluster() as cluster:
        yield cluster
