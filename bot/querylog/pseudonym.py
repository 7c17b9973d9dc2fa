"""Keyed hashing of user and chat ids, and the salt file that keeps the key stable across restarts
(on PostgreSQL, without ZHEWEN_LOG_SALT: the salt row in the database, `stored_salt`).

Ids are stored as HMAC-SHA256(salt, id) truncated to 16 hex digits: the same person keeps the same
token (so counts per user work), but without the salt the raw id cannot be recovered by trying ids.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.postgres import PgConnection

logger = logging.getLogger(__name__)

TOKEN_HEX_DIGITS = 16


def pseudonymise(value: str | int | None, salt: str) -> str | None:
    """The stable keyed token for one raw id; None stays None."""
    if value is None:
        return None
    message = str(value).encode("utf-8", "surrogatepass")
    digest = hmac.new(salt.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()
    return digest[:TOKEN_HEX_DIGITS]


def salt_path(db_path: Path) -> Path:
    """Where the generated salt lives: beside the database, e.g. data/zhewen.sqlite3.salt."""
    return db_path.with_name(db_path.name + ".salt")


def load_or_create_salt(db_path: Path) -> str:
    """Read the salt beside the database, creating it (mode 0600) on first use.

    The file is written under a temporary name and linked into place, so a second process starting
    at the same moment either wins the link or reads the complete salt of the first.
    """
    path = salt_path(db_path)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # README: data/ is 0700
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)  # mkstemp creates 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    if path.stat().st_mode & 0o077:
        logger.warning("salt file %s is readable by others; run: chmod 600 %s", path, path)
    salt = path.read_text(encoding="ascii").strip()
    if not salt:
        raise ValueError(f"salt file {path} is empty; delete it or set ZHEWEN_LOG_SALT")
    return salt


def stored_salt(conn: PgConnection, proposed: str | None = None) -> str:
    """PostgreSQL's salt when ZHEWEN_LOG_SALT is unset: kept in the `secrets` table, so every replica
    uses the same one. The first caller stores `proposed` (default: a new random key); later callers
    read what is there."""
    conn.execute("INSERT INTO secrets (name, value) VALUES ('log_salt', ?) ON CONFLICT (name) DO NOTHING",
                 (proposed or secrets.token_hex(32),))
    return str(conn.execute("SELECT value FROM secrets WHERE name = 'log_salt'").fetchone()[0])
