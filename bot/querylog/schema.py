"""The database's schema as named, ordered migrations, recorded in the database itself.

One list for both backends: a migration's `statements` are SQLite's, and `postgres` holds the same
step in PostgreSQL's spelling where it differs (64-bit ids, double precision, byte-order "C"
collation on text so sorting, grouping and ranges match SQLite's, STORED generated columns).
Each migration runs in its own transaction and is skipped when already recorded, so several
processes upgrading at once apply each step exactly once (SQLite: `BEGIN IMMEDIATE`; PostgreSQL:
a transaction-scoped advisory lock). A migration may end with a backfill (Python, same transaction)
that fills a new column on the rows already there; backfills run on SQLite only, because a
PostgreSQL log never holds rows older than its schema: its rows come from the writer or from
`zhewen logs migrate`, which upgrades the SQLite log before copying it. (0010 fills its new tables
from the rows already logged with SQL statements of its own, on both backends.)

Besides the query log, the database holds the state the channels share across replicas
(0009, bot/storage/state.py): dedupe claims, cached values with an expiry, rate-limit windows.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from bot.querylog import rollups
from bot.querylog.citations import CitationLookup, load_citations
from bot.querylog.rephrase import REPHRASE_WINDOW_S, is_rephrase
from bot.storage import StorageError
from bot.storage.target import PostgresUrl, Target

if TYPE_CHECKING:
    from bot.storage.postgres import PgConnection

Backfill = Callable[[sqlite3.Connection, CitationLookup], None]
_T = TypeVar("_T")


class Migration(NamedTuple):
    name: str
    statements: Sequence[str]               # SQLite
    backfill: Backfill | None = None        # SQLite only (see the module docstring)
    postgres: Sequence[str] | None = None   # PostgreSQL, when it differs from `statements`


# Old rows' references get their titles from the corpus as it is now (a passage it no longer has
# keeps none); json_each drives the join, so the references keep their order.
_TITLE_REFS = """UPDATE queries SET refs = (
    SELECT json_group_array(CASE WHEN c.id IS NULL THEN json(e.value) ELSE json_set(e.value,
               '$.source', c.source, '$.article', c.article, '$.section', c.section, '$.page', c.page) END)
    FROM json_each(queries.refs) AS e
    LEFT JOIN temp.cites AS c ON c.id = json_extract(e.value, '$.passage_id'))
WHERE refs NOT IN ('', '[]') AND json_valid(refs)"""
_CITE_FIRST_REF = """UPDATE queries SET article = json_extract(refs, '$[0].article'),
                           section = json_extract(refs, '$[0].section')
WHERE found = 1 AND article IS NULL AND refs NOT IN ('', '[]') AND json_valid(refs)"""


# PostgreSQL text compared byte by byte, as SQLite's BINARY: ISO timestamps and keys sort the same
# on both backends whatever the database's locale.
_TEXT = 'TEXT COLLATE "C"'

# [review] 0008's covering indexes for PostgreSQL: the same columns (its planner picks them by
# statistics; an index-only scan needs the table vacuumed, which autovacuum does), plus two things
# its planner needs to match SQLite's speed on a million rows: the id index holding the columns the
# suspect figures read for each answer with a sign from its readers (tens of thousands of lookups,
# index-only instead of a heap fetch each), and how many (UTC day, platform) pairs there are, so
# `logs stats` groups them in a small hash table instead of sorting every row (PostgreSQL 14+).
# (0010 drops those two: the figures they served are kept by triggers now, rollups.py.)
_REVIEW_INDEXES_POSTGRES = (
    "CREATE INDEX IF NOT EXISTS queries_id_review ON queries (id) INCLUDE (ts, platform, found, confidence, "
    "top_score)",
    "CREATE STATISTICS IF NOT EXISTS queries_day_platform (ndistinct) ON (substr(ts, 1, 10)), platform "
    "FROM queries",
    "CREATE INDEX IF NOT EXISTS queries_group_key ON queries (group_key, found, platform, ts)",
    "CREATE INDEX IF NOT EXISTS queries_ts_review ON queries (ts, platform, found, confidence, latency_ms)",
    # NULL scores first, as SQLite orders them: the suspect ranking reads the lowest-scored first.
    "CREATE INDEX IF NOT EXISTS queries_found_confidence "
    "ON queries (found, confidence, top_score NULLS FIRST, platform)",
    "CREATE INDEX IF NOT EXISTS queries_latency ON queries (latency_ms, platform, ts)",
)


def cite_old_rows(conn: sqlite3.Connection, citations: CitationLookup) -> None:
    """Titles for the references of rows logged before 0005, and the cited article and section of
    the answered ones, resolved through the current corpus (read only when there are such rows)."""
    if conn.execute("SELECT 1 FROM queries WHERE refs NOT IN ('', '[]') LIMIT 1").fetchone() is None:
        return
    lookup = citations()
    if not lookup:
        return
    conn.execute("CREATE TEMP TABLE cites (id TEXT PRIMARY KEY, source TEXT, article TEXT, section TEXT, "
                 "page INTEGER)")
    try:
        rows = [(pid, c["source"], c["article"], c["section"], c["page"]) for pid, c in lookup.items()]
        conn.executemany("INSERT OR REPLACE INTO temp.cites VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute(_TITLE_REFS)
        conn.execute(_CITE_FIRST_REF)
    finally:
        conn.execute("DROP TABLE temp.cites")


def _seconds(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def link_old_rephrases(conn: sqlite3.Connection, citations: CitationLookup) -> None:
    """`rephrase_of` for rows logged before 0007, by the rule the writer applies to new ones: the
    same user's next answered question within the window, in other words."""
    rows = conn.execute("SELECT id, ts, platform, user_id, normalized FROM queries "
                        "WHERE user_id IS NOT NULL AND found IS NOT NULL ORDER BY platform, user_id, ts, id")
    links, previous = [], None
    for query_id, ts, platform, user, normalized in rows:
        at = _seconds(ts)
        if (previous is not None and previous[0] == (platform, user)
                and 0 <= at - previous[1] <= REPHRASE_WINDOW_S and is_rephrase(previous[2], normalized)):
            links.append((previous[3], query_id))
        previous = ((platform, user), at, normalized, query_id)
    conn.executemany("UPDATE queries SET rephrase_of = ? WHERE id = ?", links)


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_queries_and_feedback", (
        """CREATE TABLE queries (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            platform TEXT NOT NULL,
            chat_type TEXT NOT NULL,
            chat_id TEXT,
            user_id TEXT,
            question TEXT NOT NULL,
            normalized TEXT NOT NULL DEFAULT '',
            found INTEGER,
            answer TEXT,
            refs TEXT NOT NULL DEFAULT '[]',
            top_score REAL,
            latency_ms REAL,
            reply_chars INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""",
        """CREATE TABLE feedback (
            query_id INTEGER NOT NULL REFERENCES queries(id),
            user_id TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            ts TEXT NOT NULL,
            PRIMARY KEY (query_id, user_id)
        )""",
    ), postgres=(
        # No foreign keys, as in SQLite (which does not enforce them): a 👍 may reach one replica
        # before the question's row, written by another, is committed; `logs purge` keeps the rest.
        f"""CREATE TABLE queries (
            id BIGINT PRIMARY KEY,
            ts {_TEXT} NOT NULL,
            platform {_TEXT} NOT NULL,
            chat_type {_TEXT} NOT NULL,
            chat_id {_TEXT},
            user_id {_TEXT},
            question {_TEXT} NOT NULL,
            normalized {_TEXT} NOT NULL DEFAULT '',
            found INTEGER,
            answer {_TEXT},
            refs {_TEXT} NOT NULL DEFAULT '[]',
            top_score DOUBLE PRECISION,
            latency_ms DOUBLE PRECISION,
            reply_chars INTEGER NOT NULL DEFAULT 0,
            error {_TEXT}
        )""",
        f"""CREATE TABLE feedback (
            query_id BIGINT NOT NULL,
            user_id {_TEXT} NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            ts {_TEXT} NOT NULL,
            PRIMARY KEY (query_id, user_id)
        )""",
    )),
    Migration("0002_review_indexes", (
        "CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts)",
        "CREATE INDEX IF NOT EXISTS queries_platform_ts ON queries (platform, ts)",
        "CREATE INDEX IF NOT EXISTS queries_normalized ON queries (normalized)",
    )),
    Migration("0003_counters", (
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    ), postgres=(
        f"CREATE TABLE counters (name {_TEXT} PRIMARY KEY, value BIGINT NOT NULL)",
    )),
    # The engine's confidence in [0, 1] that the answer answers ([answers-2]); NULL on older rows,
    # which had only a retrieval score.
    Migration("0004_confidence", (
        "ALTER TABLE queries ADD COLUMN confidence REAL",
        "CREATE INDEX IF NOT EXISTS queries_confidence ON queries (confidence)",
    ), postgres=(
        "ALTER TABLE queries ADD COLUMN confidence DOUBLE PRECISION",
        "CREATE INDEX IF NOT EXISTS queries_confidence ON queries (confidence)",
    )),
    # [review] The cited article and section of an answered question, so the log stays readable
    # when the corpus changes; reference entries in `refs` also carry their titles from now on.
    Migration("0005_cited_article", (
        "ALTER TABLE queries ADD COLUMN article TEXT",
        "ALTER TABLE queries ADD COLUMN section TEXT",
    ), cite_old_rows, postgres=(
        f"ALTER TABLE queries ADD COLUMN article {_TEXT}",
        f"ALTER TABLE queries ADD COLUMN section {_TEXT}",
    )),
    # [review] 更多 and 原文 asked on an answer: a reader who wanted more than the answer gave.
    Migration("0006_followups", (
        """CREATE TABLE followups (
            query_id INTEGER NOT NULL REFERENCES queries(id),
            kind TEXT NOT NULL CHECK (kind IN ('more', 'passage')),
            user_id TEXT,
            ts TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS followups_query ON followups (query_id)",
    ), postgres=(
        f"""CREATE TABLE followups (
            query_id BIGINT NOT NULL,
            kind {_TEXT} NOT NULL CHECK (kind IN ('more', 'passage')),
            user_id {_TEXT},
            ts {_TEXT} NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS followups_query ON followups (query_id)",
    )),
    # [review] The question this one asks again in other words (same user, within two minutes).
    Migration("0007_rephrase_of", (
        "ALTER TABLE queries ADD COLUMN rephrase_of INTEGER",
        "CREATE INDEX IF NOT EXISTS queries_rephrase_of ON queries (rephrase_of) "
        "WHERE rephrase_of IS NOT NULL",
    ), link_old_rephrases, postgres=(
        "ALTER TABLE queries ADD COLUMN rephrase_of BIGINT",
        "CREATE INDEX IF NOT EXISTS queries_rephrase_of ON queries (rephrase_of) "
        "WHERE rephrase_of IS NOT NULL",
    )),
    # [review] Indexes that hold every column the review figures need, so `zhewen logs` reads them
    # instead of the rows (which carry answers and references) and answers within a second on a
    # million rows: a time window or platform is one range of queries_ts_review; grouping by question
    # walks queries_group_key in group order (`group_key`: the normalised question, or the question
    # of an engine error); `suspect` and the confidence histogram read queries_found_confidence in
    # confidence order; a latency percentile is the k-th matching entry of queries_latency.
    Migration("0008_review_indexes", (
        "ALTER TABLE queries ADD COLUMN group_key TEXT "
        "GENERATED ALWAYS AS (coalesce(nullif(normalized, ''), question)) VIRTUAL",
        "CREATE INDEX IF NOT EXISTS queries_group_key ON queries (group_key, found, platform, ts)",
        "CREATE INDEX IF NOT EXISTS queries_ts_review "
        "ON queries (ts, platform, found, confidence, latency_ms)",
        "CREATE INDEX IF NOT EXISTS queries_found_confidence "
        "ON queries (found, confidence, top_score, platform)",
        "CREATE INDEX IF NOT EXISTS queries_latency ON queries (latency_ms, platform, ts)",
        # Their work is done by the indexes above, and each index costs every write.
        "DROP INDEX IF EXISTS queries_ts",
        "DROP INDEX IF EXISTS queries_normalized",
        "DROP INDEX IF EXISTS queries_confidence",
    ), postgres=(
        f"ALTER TABLE queries ADD COLUMN group_key {_TEXT} "
        "GENERATED ALWAYS AS (coalesce(nullif(normalized, ''), question)) STORED",
        *_REVIEW_INDEXES_POSTGRES,
        "DROP INDEX IF EXISTS queries_ts",
        "DROP INDEX IF EXISTS queries_normalized",
        "DROP INDEX IF EXISTS queries_confidence",
    )),
    # [scale-out] State the channels share across replicas (bot/storage/state.py), each row with
    # its expiry (Unix seconds): first-wins claims (retry dedupe, replay nonces), small JSON values
    # (cached replies, conversation context) and per-key hit counts in fixed windows (rate limits).
    # PostgreSQL also keeps the pseudonym key here when ZHEWEN_LOG_SALT is unset (every replica must
    # use the same one); its hit counts are UNLOGGED (no WAL: a crash only forgets rate windows).
    Migration("0009_shared_state", (
        "CREATE TABLE claims (namespace TEXT NOT NULL, key TEXT NOT NULL, expires_at REAL NOT NULL, "
        "PRIMARY KEY (namespace, key))",
        "CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at)",
        "CREATE TABLE kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
        "expires_at REAL NOT NULL, PRIMARY KEY (namespace, key))",
        "CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at)",
        "CREATE TABLE hits (key TEXT NOT NULL, slot INTEGER NOT NULL, hits INTEGER NOT NULL, "
        "expires_at REAL NOT NULL, PRIMARY KEY (key, slot))",
        "CREATE INDEX IF NOT EXISTS hits_expiry ON hits (expires_at)",
    ), postgres=(
        f"CREATE TABLE claims (namespace {_TEXT} NOT NULL, key {_TEXT} NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (namespace, key))",
        "CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at)",
        f"CREATE TABLE kv (namespace {_TEXT} NOT NULL, key {_TEXT} NOT NULL, value {_TEXT} NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (namespace, key))",
        "CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at)",
        f"CREATE UNLOGGED TABLE hits (key {_TEXT} NOT NULL, slot BIGINT NOT NULL, hits INTEGER NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (key, slot))",
        "CREATE INDEX IF NOT EXISTS hits_expiry ON hits (expires_at)",
        f"CREATE TABLE secrets (name {_TEXT} PRIMARY KEY, value {_TEXT} NOT NULL)",
    )),
    # [scale-out] The review's figures kept current by triggers as rows are written (rollups.py):
    # counts per day and platform, and per answer the signs from its readers, so `zhewen logs`
    # answers within a second on a million rows without counting them. Filled from the rows already
    # logged, on both backends.
    Migration("0010_review_rollups", rollups.SQLITE_STATEMENTS, postgres=rollups.POSTGRES_STATEMENTS),
)

SCHEMA_VERSION = len(MIGRATIONS)

_MIGRATIONS_TABLE = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"


# Any fixed number: the key of the advisory lock that lets one PostgreSQL session migrate at a time.
_POSTGRES_LOCK = 0x7A68_6577_656E  # "zhewen"


def migrate(conn: sqlite3.Connection | PgConnection, migrations: Sequence[Migration] = MIGRATIONS, *,
            citations: CitationLookup = load_citations) -> list[str]:
    """Apply the migrations not yet recorded, in order; returns the names applied (empty when current).

    `conn` must be in autocommit mode (`isolation_level=None`) so the explicit transactions hold.
    `citations` resolves old rows' passage ids (default: the configured corpus, read only if needed).
    """
    if not isinstance(conn, sqlite3.Connection):
        return _migrate_postgres(conn, migrations)
    applied: list[str] = []
    for number, migration in enumerate(migrations, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_MIGRATIONS_TABLE)
            done = conn.execute("SELECT 1 FROM migrations WHERE name = ?", (migration.name,)).fetchone()
            if not done:
                for statement in migration.statements:
                    conn.execute(statement)
                if migration.backfill is not None:
                    migration.backfill(conn, citations)
                conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                             (migration.name, datetime.now(UTC).isoformat(timespec="seconds")))
                conn.execute(f"PRAGMA user_version = {number}")
                applied.append(migration.name)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if applied and applied[-1] == migration.name:
            # Copy this step into the file, so the -wal holds one migration's pages, not all of them:
            # a new log needs only a little free space (or file-size allowance) to be created.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return applied


def _migrate_postgres(conn: PgConnection, migrations: Sequence[Migration]) -> list[str]:
    """PostgreSQL's migrate: one transaction per migration, each under the advisory lock, so
    concurrent upgraders wait for each other and then find the step recorded."""
    names = [m.name for m in migrations]
    if conn.execute("SELECT to_regclass('migrations') IS NOT NULL").fetchone()[0]:
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        if done.issuperset(names):
            return []
    applied: list[str] = []
    raw = conn.raw
    for migration in migrations:
        with raw.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_POSTGRES_LOCK,))
            conn.execute(_MIGRATIONS_TABLE.replace("TEXT", 'TEXT COLLATE "C"', 1))
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (migration.name,)).fetchone():
                continue
            for statement in migration.postgres if migration.postgres is not None else migration.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (migration.name, datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(migration.name)
    return applied


def upgrade(target: Target, *, citations: CitationLookup = load_citations) -> list[str]:
    """Create the database if needed and apply what is missing (`zhewen db upgrade`); returns the
    names applied. Unreachable servers and unusable files raise StorageError (one line)."""
    if isinstance(target, PostgresUrl):
        return _with_postgres(target, lambda conn: migrate(conn))
    try:
        return _with_sqlite(target, lambda conn: migrate(conn, citations=citations))
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot upgrade {target}: {exc}") from None


def prepare_postgres(url: PostgresUrl) -> int:
    """Migrate a PostgreSQL database; returns a writer number (as `prepare` does for a file)."""
    return _with_postgres(url, lambda conn: (migrate(conn), next_writer(conn))[1])


def _with_postgres(url: PostgresUrl, work: Callable[[PgConnection], _T]) -> _T:
    from bot.storage import postgres

    conn = postgres.connect(url)
    try:
        return work(conn)
    finally:
        conn.close()


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings every writer uses: autocommit, WAL, waits on a busy file."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a committed batch survives a killed process; only power loss can undo it.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")  # statement journals of rows firing triggers (rollups.py)
    return conn


def create_private(path: Path) -> None:
    """Create the database file owner-only (0600) when it does not exist; an existing file is left as is.

    SQLite would create it with the process umask (usually 0644: every local user could read the
    questions); on Unix it gives the -wal and -shm files the main file's mode, so they follow.
    os.open's mode touches no process-wide state, unlike changing the umask.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # the operator's file (or another process's, created a moment ago)
        pass


def prepare(path: Path, *, attempts: int = 5, citations: CitationLookup = load_citations) -> int:
    """Create the parent directory and the file (0600) if needed, switch to WAL, migrate; returns a
    writer number.

    Processes opening a new file together can get "database is locked" while one of them turns on
    WAL, which SQLite reports without waiting; a few short retries cover that moment.
    """
    return _with_sqlite(path, lambda conn: (migrate(conn, citations=citations), next_writer(conn))[1],
                        attempts=attempts)


def _with_sqlite(path: Path, work: Callable[[sqlite3.Connection], _T], *, attempts: int = 5) -> _T:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # README: data/ is 0700
    create_private(path)
    for attempt in range(attempts):
        try:
            conn = connect(path)
            try:
                return work(conn)
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def next_writer(conn: sqlite3.Connection) -> int:
    """A number no other opening of this file got: the id scheme's writer field (see ids.py)."""
    row = conn.execute("INSERT INTO counters (name, value) VALUES ('writer', 1) ON CONFLICT (name) "
                       "DO UPDATE SET value = counters.value + 1 RETURNING value").fetchall()
    return int(row[0][0])
