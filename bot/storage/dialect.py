"""The SQL that differs between SQLite and PostgreSQL, as one small value per backend.

Queries are written once, in SQLite's spelling with `?` placeholders; each difference that matters
(index hints, time arithmetic, join order hints, "no limit", subquery fences) is a field here.
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
    hints: bool                # whether `INDEXED BY` is understood (PostgreSQL has statistics instead)
    fence: str                 # ends a subquery so it is computed once, not merged into the outer query

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

    def clamp(self, expr: str, low: float, high: float) -> str:
        """`expr` held within [low, high] (NULL stays NULL on SQLite; callers keep NULLs out)."""
        if self.name == "sqlite":
            return f"min(max({expr}, {low!r}), {high!r})"
        return f"least(greatest({expr}, {low!r}), {high!r})"


SQLITE = Dialect("sqlite", begin="BEGIN IMMEDIATE", cross_join="CROSS JOIN", no_limit=-1, hints=True,
                 fence=" LIMIT -1 OFFSET 0")
POSTGRES = Dialect("postgresql", begin="BEGIN", cross_join="JOIN", no_limit=None, hints=False,
                   fence=" OFFSET 0")


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (a literal % doubled); no query here puts a `?`
    or `%` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s")
