"""Pure conversions between an answered question and the row stored for it."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: reading the log must not load the engine
    from bot.engine import Answer, Reference

QUERY_COLUMNS: tuple[str, ...] = (
    "id", "ts", "platform", "chat_type", "chat_id", "user_id", "question", "normalized", "found",
    "answer", "refs", "top_score", "latency_ms", "reply_chars", "error", "confidence", "article", "section",
    "rephrase_of",
)
FEEDBACK_COLUMNS: tuple[str, ...] = ("query_id", "user_id", "value", "ts")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text SQLite can hold as UTF-8: lone surrogates become the visible escape `\\udXXX`.

    Everything else, control characters and NUL included, is kept exactly; lone surrogates (which
    arrive from JSON such as "\\ud83d" cut in half) cannot be encoded, so they are escaped on purpose.
    """
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC time as `2025-09-01T08:30:00.123Z`: sorts as text and SQLite's date() reads it."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stored_reference(ref: Reference) -> dict[str, Any]:
    """A reference as `refs` keeps it: the passage id and score, and where it comes from, so the row
    reads the same after the corpus changes."""
    return {"passage_id": ref.passage_id, "score": round(float(ref.score), 4),
            "source": storable_text(ref.source), "article": storable_text(ref.article),
            "section": storable_text(ref.section), "page": ref.page}


def query_row(query_id: int, answer: Answer | None, *, ts: str, question: str, platform: str,
              chat_type: str, chat_id: str | None, user_id: str | None, reply_chars: int,
              error: str | None, rephrase_of: int | None = None) -> dict[str, Any]:
    """One `queries` row; ids must already be pseudonymised (or deliberately raw). `article` and
    `section` are those the reply cites (its first reference), only when it answers."""
    refs = [stored_reference(r) for r in answer.references] if answer else []
    cited = refs[0] if answer and answer.found and refs else None
    return {
        "id": query_id,
        "ts": ts,
        "platform": storable_text(str(platform)),
        "chat_type": storable_text(str(chat_type)),
        "chat_id": None if chat_id is None else storable_text(chat_id),
        "user_id": None if user_id is None else storable_text(user_id),
        "question": storable_text(str(question)),
        "normalized": storable_text(answer.normalized) if answer else "",
        "found": None if answer is None else int(bool(answer.found)),
        "answer": storable_text(answer.answer) if answer else None,
        "refs": json.dumps(refs, ensure_ascii=False),
        "top_score": refs[0]["score"] if refs else None,
        "latency_ms": round(float(answer.latency_ms), 3) if answer else None,
        "reply_chars": int(reply_chars),
        "error": None if error is None else storable_text(str(error)),
        "confidence": round(float(answer.confidence), 3) if answer else None,
        "article": cited["article"] if cited else None,
        "section": cited["section"] if cited else None,
        "rephrase_of": rephrase_of,
    }


def row_to_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as callers want it: `found` as bool, `refs` parsed, plus `passage_ids`."""
    result = dict(row)
    result["found"] = None if row["found"] is None else bool(row["found"])
    result["refs"] = json.loads(row["refs"] or "[]")
    result["passage_ids"] = [ref["passage_id"] for ref in result["refs"]]
    return result
