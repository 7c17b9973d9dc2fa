"""ZHEWEN_DB parsed: a SQLite file path, or a PostgreSQL URL that prints without its password."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class PostgresUrl:
    """A `postgresql://…` URL. `dsn` is the full URL for the driver; str() and repr() hide the
    password, so the URL can be printed in start-up lines, logs and errors."""

    __slots__ = ("dsn",)

    def __init__(self, dsn: str) -> None:
        parts = urlsplit(dsn)
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ValueError(f"expected a postgresql:// URL, got {redact(dsn)!r}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ValueError(f"bad port in {redact(dsn)!r}") from None
        self.dsn = dsn

    def __str__(self) -> str:
        return redact(self.dsn)

    def __repr__(self) -> str:
        return f"PostgresUrl({redact(self.dsn)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostgresUrl) and other.dsn == self.dsn

    def __hash__(self) -> int:
        return hash(self.dsn)


Target = Path | PostgresUrl


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"^([^:/]+://[^:/@]*):[^@]*@", r"\1:***@", url)


def parse_target(value: str | Path | PostgresUrl) -> Target:
    """A path or `sqlite:///PATH` (relative; `sqlite:////abs` is absolute) -> Path; a
    `postgresql://…` or `postgres://…` URL -> PostgresUrl; any other scheme is a ValueError."""
    if isinstance(value, PostgresUrl | Path):
        return value
    text = str(value).strip()
    match = _SCHEME.match(text)
    if match is None:
        if not text:
            raise ValueError("expected a file path, sqlite:///PATH or postgresql://…, got nothing")
        return Path(text)
    scheme = match.group(1).lower()
    if scheme == "sqlite":
        path = text[len("sqlite://"):]
        if not path.startswith("/") or len(path) < 2:
            raise ValueError(f"expected sqlite:///PATH, got {text!r}")
        return Path(path[1:])
    if scheme in POSTGRES_SCHEMES:
        return PostgresUrl(text)
    raise ValueError(f"expected a file path, sqlite:///PATH or postgresql://…, got {redact(text)!r}")


def is_postgres(target: object) -> bool:
    return isinstance(target, PostgresUrl)
