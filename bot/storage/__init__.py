"""Where the query log and the shared state live: one SQLite file (the default) or PostgreSQL.

`ZHEWEN_DB` names the place (target.py): a path or `sqlite:///…` keeps today's embedded file, a
`postgresql://…` URL lets several replicas share one log and one expiring state. The driver for
PostgreSQL (psycopg 3, the `postgres` extra) is imported only when such a URL is used (postgres.py),
so `zhewen ask` starts as fast as before. SQL that differs between the two lives in dialect.py; the
expiring state the channels share (dedupe claims, cached replies, rate-limit windows, conversation
context) in state.py. The query log's tables and their migrations are in bot/querylog.
"""
from __future__ import annotations


class StorageError(Exception):
    """The database cannot be reached or used; the message is one line for the operator."""
