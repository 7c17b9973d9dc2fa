"""Scoring two-turn dialogues (tests/data/dialogues*.jsonl): the second turn is asked with the first's
context, as a chat would; right when a gold string is in its answer, and, for a self-contained
second question, when it was also read as written. Pure: answers come from the caller."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.evaluate import norm


@dataclass(frozen=True)
class Dialogue:
    id: str
    first: str
    second: str
    answers: tuple[str, ...]
    kind: str


def load_dialogues(path: Path) -> list[Dialogue]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Dialogue(r["id"], r["first"], r["second"], tuple(r["answers"]), r["kind"]) for r in rows]


def score_dialogues(dialogues: list[Dialogue], ask: Callable[[str, object], object]) -> tuple[int, list[str]]:
    """(right second turns, ids of the wrong ones); `ask(question, last)` returns an Answer."""
    right, wrong = 0, []
    for d in dialogues:
        first = ask(d.first, None)
        second = ask(d.second, getattr(first, "turn", None))
        ok = any(norm(g) in norm(second.answer) for g in d.answers)
        if d.kind == "self_contained":
            ok = ok and not second.read_as
        right += ok
        if not ok:
            wrong.append(d.id)
    return right, wrong
