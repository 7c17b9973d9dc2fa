"""The SQL that differs between SQLite and PostgreSQL, as one small value per backend.

Queries are written once, in SQLite's spelling with `?` placeholders; each difference that matters
(index hints, time arithmetic, join order hints, "no limit", where NULLs sort) is a field here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    begin: str                 # a write transaction that takes the write lock at once
    cross_join: str            # SQLite: CROSS JOIN keeps the written join order; PostgreSQL plans it
    no_limit: int | None       # the LIMIT parameter that means "all rows"
    nulls_first: str           # appended to an ascending ORDER BY: SQLite sorts NULL first already
    hints: bool                # whether `INDEXED BY` is understood (PostgreSQL has statistics instead)

    def indexed(self, index: str) -> str:
        """` INDEXED BY index` where the planner needs telling, else nothing."""
        return f" INDEXED BY {index}" if self.hints and index else ""

    def seconds_between(self, later: str, earlier: str) -> str:
        """Seconds from the ISO-8601 text `earlier` to `later` (both SQL expressions)."""
        if self.name == "sqlite":
            return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
        return f"extract(epoch FROM ({later})::timestamptz - ({earlier})::timestamptz)::float8"

    def count_if(self, condition: str) -> str:
        """How many rows meet `condition` (NULL or 0 when none: callers read both as 0)."""
        return f"sum({condition})" if self.name == "sqlite" else f"count(*) FILTER (WHERE {condition})"

    def bucket(self, expr: str, buckets: int) -> str:
        """The bucket 0…buckets-1 of a value in [0, 1] (1.0 falls in the last)."""
        if self.name == "sqlite":
            return f"min(max(CAST({expr} * {buckets} AS INTEGER), 0), {buckets - 1})"
        return f"least(greatest(floor({expr} * {buckets})::integer, 0), {buckets - 1})"


SQLITE = Dialect("sqlite", begin="BEGIN IMMEDIATE", cross_join="CROSS JOIN", no_limit=-1, nulls_first="",
                 hints=True)
POSTGRES = Dialect("postgresql", begin="BEGIN", cross_join="JOIN", no_limit=None,
                   nulls_first=" NULLS FIRST", hints=False)


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (a literal % doubled); no query here puts a `?`
    or `%` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s")
