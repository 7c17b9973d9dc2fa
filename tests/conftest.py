"""Fixtures shared across test modules."""
from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The real engine over the real corpus, loaded once: it is read-only, so tests can share it."""
    return Engine.load()


# Seconds a fixed piece of pure-Python work takes on the 2-core machine the time bounds were set on.
REFERENCE_SECONDS = 0.07


@pytest.fixture(scope="session")
def slowness() -> float:
    """How much slower this machine is than the reference (at least 1): time bounds in tests scale
    by it, so a slow or busy CI machine does not fail them while a real regression (ten times
    slower, a quadratic blow-up) still does. Absolute speed is for the benchmarks (make bench)."""
    import time

    started = time.perf_counter()
    total = 0
    for i in range(400_000):
        total += i * i % 7
    return max(1.0, (time.perf_counter() - started) / REFERENCE_SECONDS)


# --- PostgreSQL: a throwaway cluster for the storage tests (tests/pg_cluster.py) -----------------

@pytest.fixture(scope="session")
def postgres_cluster():
    """One PostgreSQL server for the session (own data dir, 127.0.0.1, a free port), removed at the end.
    Without the server binaries or the driver the PostgreSQL tests are skipped, saying why."""
    import importlib.util

    import pg_cluster

    binaries = pg_cluster.find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found (PATH or /usr/lib/postgresql/*/bin; "
                    "apt-get install postgresql): PostgreSQL storage tests skipped")
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg not installed (pip install -e '.[test]'): PostgreSQL storage tests skipped")
    cluster = pg_cluster.Cluster(binaries).start()
    yield cluster
    cluster.stop()


@pytest.fixture()
def postgres_url(postgres_cluster) -> str:
    """The URL of a new, empty database on the session's cluster."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path):
    """Each backend in turn, empty: a SQLite file path, or a PostgresUrl to a new database."""
    if request.param == "sqlite":
        return tmp_path / "zhewen.sqlite3"
    from bot.storage.target import PostgresUrl

    return PostgresUrl(request.getfixturevalue("postgres_url"))
