"""Admin `/stats` on WeCom: the same figures as Telegram's, as plain text."""
from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import texts
from bot.querylog import review


def read_stats(db: Path, now: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """Today (UTC), the last 7 days, and the top unanswered questions of the last 7 days."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = now - timedelta(days=7)
    with closing(review.open_log(db)) as conn:
        return (review.stats(conn, since=midnight), review.stats(conn, since=week),
                review.unanswered(conn, since=week, limit=10))


def stats_text(today: dict[str, Any], week: dict[str, Any], unanswered: list[dict]) -> str:
    head = texts.WECOM_STATS.format(today_total=today["total"], today_rate=f"{today['found_rate']:.0%}",
                                    week_total=week["total"], week_rate=f"{week['found_rate']:.0%}",
                                    up=week["feedback"]["up"], down=week["feedback"]["down"])
    lines = [f"{i}. {row['question']}（{row['count']}次）" for i, row in enumerate(unanswered, 1)]
    return f"{head}\n" + ("\n".join(lines) or texts.WECOM_STATS_NONE)
