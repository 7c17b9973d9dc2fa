"""PostgreSQL through psycopg 3, imported on first use so the SQLite default never loads it.

`connect` opens a synchronous connection (migrations, `zhewen logs`, `zhewen db`) wrapped to read
like sqlite3 (`execute` with `?` placeholders, rows that index by position or name), so the review
queries run unchanged on both backends. `open_pool` opens the asynchronous pool the running bot
writes and shares state through. Every failure to reach the server is one line: StorageError.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bot.storage import StorageError
from bot.storage.dialect import to_pyformat
from bot.storage.target import PostgresUrl, redact

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

CONNECT_TIMEOUT_S = 5
INSTALL_HINT = "pip install -e '.[postgres]'"


def driver() -> ModuleType:
    """psycopg, or a one-line StorageError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise StorageError(f"ZHEWEN_DB is a postgresql:// URL but psycopg is not installed: {INSTALL_HINT}") \
            from None
    return psycopg


def one_line(exc: BaseException) -> str:
    """An error's first line, with any password in a URL hidden."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(re.sub(r"password=\S+", "password=***", text))


class Row:
    """A result row that indexes by position or column name and converts with dict(), as sqlite3.Row."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def row_factory(cursor: Any) -> Any:
    """psycopg row factory making Row objects."""
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PgConnection:
    """A synchronous psycopg connection in autocommit mode that takes SQLite-style `?` queries.

    Driver errors come out as `error` (a one-line exception class chosen by the caller)."""

    def __init__(self, conn: psycopg.Connection, error: type[Exception] = StorageError) -> None:
        self.raw = conn
        self._error = error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        try:
            return self.raw.cursor(row_factory=row_factory).execute(to_pyformat(sql), tuple(params))
        except driver().Error as exc:
            raise self._error(f"PostgreSQL: {one_line(exc)}") from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.raw.cursor().executemany(to_pyformat(sql), rows)
        except driver().Error as exc:
            raise self._error(f"PostgreSQL: {one_line(exc)}") from None

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Rows one at a time as the server sends them, for results too large to hold (export)."""
        try:
            yield from self.raw.cursor(row_factory=row_factory).stream(to_pyformat(sql), tuple(params))
        except driver().Error as exc:
            raise self._error(f"PostgreSQL: {one_line(exc)}") from None

    def close(self) -> None:
        self.raw.close()


def connect(url: PostgresUrl, error: type[Exception] = StorageError) -> PgConnection:
    """An autocommit connection, or one line naming the (password-less) URL and the reason."""
    psycopg = driver()
    try:
        conn = psycopg.connect(url.dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except (psycopg.Error, ValueError) as exc:
        raise error(f"cannot connect to {url}: {one_line(exc)}") from None
    return PgConnection(conn, error)


async def open_pool(url: PostgresUrl, *, min_size: int = 1, max_size: int = 4,
                    session: dict[str, str] | None = None) -> psycopg_pool.AsyncConnectionPool:
    """An open pool of autocommit connections (the first one made before returning); `session`
    sets server parameters on each connection (e.g. synchronous_commit)."""
    driver()
    try:
        from psycopg_pool import AsyncConnectionPool
    except ImportError:
        raise StorageError(f"psycopg_pool is not installed: {INSTALL_HINT}") from None
    kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S}
    if session:
        kwargs["options"] = " ".join(f"-c {name}={value}" for name, value in session.items())
    pool = AsyncConnectionPool(url.dsn, min_size=min_size, max_size=max_size, open=False, kwargs=kwargs,
                               name="zhewen")
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
    except Exception as exc:
        await pool.close()
        raise StorageError(f"cannot connect to {url}: {one_line(exc)}") from None
    return pool


def text_value(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: store it as the visible escape \\u0000 (SQLite keeps it)."""
    return value.replace("\x00", "\\u0000") if isinstance(value, str) and "\x00" in value else value
