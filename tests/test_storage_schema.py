"""[scale-out] ZHEWEN_DB chooses the backend; one list of migrations, recorded in the database,
applied once on both backends even by processes upgrading together; `zhewen db upgrade`."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.querylog import schema
from bot.settings import ConfigError, load_settings
from bot.storage.target import PostgresUrl, parse_target

ROOT = Path(__file__).resolve().parents[1]
NAMES = [m.name for m in schema.MIGRATIONS]


@pytest.mark.parametrize(("value", "expected"), [
    ("data/zhewen.sqlite3", Path("data/zhewen.sqlite3")),
    ("sqlite:///data/zhewen.sqlite3", Path("data/zhewen.sqlite3")),
    ("sqlite:////srv/zhewen/log.sqlite3", Path("/srv/zhewen/log.sqlite3")),
    ("postgresql://zhewen:pw@db:5432/zhewen", PostgresUrl("postgresql://zhewen:pw@db:5432/zhewen")),
    ("postgres://db/zhewen?sslmode=require", PostgresUrl("postgres://db/zhewen?sslmode=require")),
])
def test_zhewen_db_picks_the_backend(value: str, expected: object) -> None:
    assert load_settings({"ZHEWEN_DB": value}, env_file=None).db == expected


@pytest.mark.parametrize("value", ["mysql://db/zhewen", "sqlite://relative", "postgresql://db:99999/x"])
def test_a_bad_zhewen_db_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^ZHEWEN_DB: ") as info:
        load_settings({"ZHEWEN_DB": value}, env_file=None)
    assert "\n" not in str(info.value)


def test_a_postgres_url_never_prints_its_password() -> None:
    url = parse_target("postgresql://zhewen:s3cret@db:5432/zhewen")
    assert "s3cret" not in f"{url} {url!r} {load_settings({'ZHEWEN_DB': url.dsn}, env_file=None)!r}"
    assert str(url) == "postgresql://zhewen:***@db:5432/zhewen" and url.dsn.endswith(":s3cret@db:5432/zhewen")


def recorded(target: Path | PostgresUrl) -> list[str]:
    if isinstance(target, PostgresUrl):
        import psycopg

        with psycopg.connect(target.dsn) as conn:
            return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]
    with sqlite3.connect(target) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]


def test_migrations_apply_once_and_are_recorded(db_target) -> None:
    assert schema.upgrade(db_target) == NAMES
    assert schema.upgrade(db_target) == []
    assert recorded(db_target) == NAMES


def test_every_migration_has_a_step_for_each_backend() -> None:
    """PostgreSQL runs a migration's SQLite statements only where they are portable: none of
    SQLite's own words in them."""
    sqlite_only = ("AUTOINCREMENT", "INDEXED BY", "PRAGMA", "VIRTUAL", "json_each", " REAL")
    for migration in schema.MIGRATIONS:
        statements = migration.postgres if migration.postgres is not None else migration.statements
        assert not [s for s in statements for word in sqlite_only if word in s], migration.name


def upgrade_process(target: Path | PostgresUrl) -> subprocess.Popen:
    db = target.dsn if isinstance(target, PostgresUrl) else str(target)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "db", "upgrade", "--db", db], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_upgrading_at_once_apply_each_migration_once(db_target) -> None:
    processes = [upgrade_process(db_target) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    applied = sorted(line.removeprefix("applied ") for out, _ in outputs for line in out.splitlines()
                     if line.startswith("applied "))
    assert applied == NAMES, outputs
    assert recorded(db_target) == NAMES


def test_db_upgrade_says_what_it_applied(db_target) -> None:
    db = db_target.dsn if isinstance(db_target, PostgresUrl) else str(db_target)
    first = CliRunner().invoke(cli, ["db", "upgrade", "--db", db])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[:2] == ["applied 0001_queries_and_feedback", "applied 0002_review_indexes"]
    assert lines[-1].endswith(f"{len(NAMES)} migration(s) applied, schema at {NAMES[-1]}.")
    again = CliRunner().invoke(cli, ["db", "upgrade"], env={"ZHEWEN_DB": db})
    assert again.exit_code == 0 and again.output.splitlines() == [
        f"{db_target}: 0 migration(s) applied, schema at {NAMES[-1]}."]


def test_db_upgrade_on_a_bad_url_or_unreachable_server_is_one_line(tmp_path: Path) -> None:
    from pg_cluster import free_port

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    cases = [(["--db", "mysql://db/x"], "expected a file path, sqlite:///PATH or postgresql://"),
             (["--db", f"postgresql://zhewen:pw@127.0.0.1:{free_port()}/x"], "cannot connect to"),
             (["--db", str(blocked / "log.sqlite3")], "cannot upgrade")]
    for args, says in cases:
        result = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade", *args], cwd=ROOT,
                                capture_output=True, text=True)
        assert result.returncode != 0 and says in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr and ":pw@" not in result.stderr
    env_case = CliRunner().invoke(cli, ["db", "upgrade"], env={"ZHEWEN_DB": "mysql://x"})
    assert env_case.exit_code == 1 and env_case.output.startswith("Error: ZHEWEN_DB: ")


def test_an_older_postgres_log_is_upgraded_when_read(postgres_url: str) -> None:
    from bot.querylog import review
    from bot.storage import postgres

    url = PostgresUrl(postgres_url)
    conn = postgres.connect(url)
    try:
        assert schema.migrate(conn, schema.MIGRATIONS[:8]) == NAMES[:8]
    finally:
        conn.close()
    assert review.recent(url) == [] and recorded(url) == NAMES
