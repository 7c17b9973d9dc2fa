"""A throwaway PostgreSQL cluster for tests and benchmarks: its own data directory, 127.0.0.1 only,
a free port, removed when stopped.

The server binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin (where the
`postgresql` package puts them, off PATH). initdb and postgres refuse to run as root, so as root
they run as an unprivileged user (`nobody`) that owns the data directory.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

SERVER_USER = "nobody"
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def find_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    candidates = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    if DEBIAN_BINARIES.is_dir():
        versions = sorted(DEBIAN_BINARIES.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0,
                          reverse=True)
        candidates += [version / "bin" for version in versions]
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """initdb + pg_ctl start on a free loopback port; `stop` shuts it down and deletes everything."""

    def __init__(self, binaries: Path, *, durable: bool = False) -> None:
        self.binaries = binaries
        self.durable = durable  # fsync on (benchmarks); tests skip it, a throwaway cluster needs none
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="zhewen-pg-"))
        self.data = self.root / "data"
        self._prefix: list[str] = []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", SERVER_USER, "--"]
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = [f"-c listen_addresses=127.0.0.1 -p {self.port}", f"-c unix_socket_directories={self.root}",
                   "-c max_connections=200"]
        if not self.durable:
            options.append("-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "-o", " ".join(options), "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
