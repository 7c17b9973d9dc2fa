"""Answer-quality metrics over a question set in the dev set's JSON-lines format.

Pure functions over answer JSON objects (the design doc's shape), so `zhewen eval`, the test suite
and the tuning script score alike. Definitions: the gold string inside the short answer
(answer@1), inside one of the first three cited passages (passage@3), the article fragment inside
the first citation (cite@1), found on answerable items (found_rate), declined on the others
(abstain). Texts are compared NFKC-normalised, without whitespace, lower-cased.
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: tuple[str, ...]    # empty: the documents do not answer it
    article: str | None         # a fragment of the cited article's title
    kind: str = ""
    style: str = ""


@dataclass(frozen=True)
class Miss:
    id: str
    question: str
    why: str
    answer: str


@dataclass
class Report:
    metrics: dict[str, float | int]
    misses: list[Miss] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"metrics": self.metrics,
                "misses": [{"id": m.id, "question": m.question, "why": m.why, "answer": m.answer}
                           for m in self.misses]}


class EvalFileError(ValueError):
    """A question file that cannot be read; its message is one line."""


def norm(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def bare(text: str | None) -> str:
    """Text without whitespace or punctuation, for comparing titles whatever their quotes."""
    return "".join(ch for ch in norm(text) if ch.isalnum())


def load_items(path: Path) -> list[Item]:
    """The questions of a JSON-lines file; a bad line is an error naming the line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    items = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = row["question"]
            answers = tuple(str(a) for a in row.get("answers") or ())
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{n}: not a question object ({exc})") from None
        if not isinstance(question, str):
            raise EvalFileError(f"{path}:{n}: \"question\" must be text")
        items.append(Item(str(row.get("id", n)), question, answers, row.get("article"),
                          str(row.get("kind") or ""), str(row.get("style") or "")))
    return items


def hit(item: Item, answer: dict) -> bool:
    """answer@1 on one answerable item."""
    text = norm(answer.get("answer"))
    return any(norm(g) in text for g in item.answers)


def score(items: Sequence[Item], answers: Iterable[dict]) -> Report:
    """The metrics and the misses of answers (JSON answer objects, in the items' order)."""
    answers = list(answers)
    if len(answers) != len(items):
        raise ValueError(f"{len(items)} questions but {len(answers)} answers")
    hit1 = hit3 = cite = cited = found = abstained = 0
    lengths: list[int] = []
    misses: list[Miss] = []
    answerable = [(it, a) for it, a in zip(items, answers, strict=True) if it.answers]
    unanswerable = [(it, a) for it, a in zip(items, answers, strict=True) if not it.answers]
    for it, a in answerable:
        refs = a.get("references") or []
        golds = [norm(g) for g in it.answers]
        lengths.append(len(a.get("answer") or ""))
        one = hit(it, a)
        three = any(g in norm(r.get("text")) for g in golds for r in refs[:3])
        hit1, hit3, found = hit1 + one, hit3 + three, found + bool(a.get("found"))
        if it.article:
            cited += 1
            first = refs[0] if refs else {}
            where = " ".join(str(first.get(k) or "") for k in ("source", "article", "section"))
            cite += bare(it.article) in bare(where)
        if not one:
            why = "declined" if not a.get("found") else "wrong sentence"
            misses.append(Miss(it.id, it.question, why + ("" if three else ", not in the first 3 passages"),
                               a.get("answer") or ""))
    for it, a in unanswerable:
        abstained += not a.get("found")
        if a.get("found"):
            misses.append(Miss(it.id, it.question, "answered, but the documents do not say",
                               a.get("answer") or ""))
    n, u = max(len(answerable), 1), max(len(unanswerable), 1)
    lengths.sort()
    metrics = {
        "answer@1": round(hit1 / n, 3), "passage@3": round(hit3 / n, 3),
        "cite@1": round(cite / max(cited, 1), 3), "found_rate": round(found / n, 3),
        "abstain": round(abstained / u, 3),
        "answer_chars_p50": lengths[len(lengths) // 2] if lengths else 0,
        "answer_chars_p90": lengths[int(len(lengths) * 0.9)] if lengths else 0,
        "answerable": len(answerable), "unanswerable": len(unanswerable),
    }
    return Report(metrics, misses)
