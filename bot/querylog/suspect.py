"""How suspect an answer is, and why: pure functions over the signals the log holds for it.

The engine answers from the documents; what it cannot see is whether the reader was satisfied.
The log can, after the fact. Signals, strongest first:
  * the same user asked again in other words within two minutes (they did not get their answer);
  * 👎 feedback;
  * 更多 asked right after (the answer was not enough); 原文 right after counts a quarter of that,
    since satisfied readers open the source of a good answer too;
  * low confidence: the engine's own `confidence`, or for rows logged before it existed, the
    retrieval score normalised to [0, 1] over the log (min to max);
and 👍 counts against. The weights only order the answers; `why` says which signals were seen.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

REPHRASE_WEIGHT = 3.0
DOWN_WEIGHT = 2.0
MORE_WEIGHT = 1.0
PASSAGE_WEIGHT = 0.25
UP_WEIGHT = -1.5
CONFIDENCE_WEIGHT = 2.0       # times (1 - confidence)
FOLLOWUP_WINDOW_S = 120.0     # a follow-up this soon after the answer counts as "right after"
# Below this the engine's answers were wrong about one time in three on the question sets in
# tests/data (above 0.9, one in thirty): what `logs stats` counts as a suspect answer.
LOW_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Reask:
    """A later question by the same user that asks this one again in other words."""

    query_id: int
    question: str
    after_s: float


@dataclass
class Evidence:
    """Everything the log says about one answer's correctness (filled from several queries)."""

    confidence: float | None = None     # the engine's, as logged
    top_score: float | None = None      # the first reference's retrieval score
    down: int = 0
    up: int = 0
    more_after_s: float | None = None   # seconds from the answer to the first 更多, if right after
    passage_after_s: float | None = None
    reasked: int = 0                    # later questions asking it again in other words
    reasks: list[Reask] = field(default_factory=list)  # those questions, read for the answers shown


def normalised_score(top_score: float | None, low: float | None, high: float | None) -> float | None:
    """A retrieval score mapped onto [0, 1] by the log's range: the stand-in for a missing confidence."""
    if top_score is None or low is None or high is None:
        return None
    if high <= low:
        return 0.5
    return min(max((top_score - low) / (high - low), 0.0), 1.0)


def effective_confidence(e: Evidence, low: float | None = None, high: float | None = None) -> float | None:
    """The logged confidence, else the normalised retrieval score, else None (nothing known)."""
    return e.confidence if e.confidence is not None else normalised_score(e.top_score, low, high)


def suspicion(e: Evidence, confidence: float | None) -> float:
    """The ranking score: higher is more likely wrong."""
    score = CONFIDENCE_WEIGHT * (1.0 - confidence) if confidence is not None else CONFIDENCE_WEIGHT * 0.5
    score += REPHRASE_WEIGHT if e.reasked else 0.0
    score += DOWN_WEIGHT if e.down else 0.0
    score += MORE_WEIGHT if e.more_after_s is not None else 0.0
    score += PASSAGE_WEIGHT if e.passage_after_s is not None else 0.0
    score += UP_WEIGHT if e.up and not e.down else 0.0
    return round(score, 4)


def _users(n: int) -> str:
    return f"{n} user" if n == 1 else f"{n} users"


def reasons(e: Evidence, confidence: float | None) -> list[str]:
    """Why the answer is suspect, strongest sign first, one short phrase each."""
    why = [f"asked again in other words {r.after_s:.0f} s later: {r.question}" for r in e.reasks[:2]]
    if e.reasked and not e.reasks:
        why.append(f"asked again in other words ({e.reasked} time{'s' if e.reasked > 1 else ''})")
    if e.down:
        why.append(f"👎 from {_users(e.down)}")
    if e.more_after_s is not None:
        why.append(f"更多 asked {e.more_after_s:.0f} s after the answer")
    if e.passage_after_s is not None:
        why.append(f"原文 asked {e.passage_after_s:.0f} s after the answer")
    if e.confidence is not None:
        why.append(f"{'low ' if e.confidence < LOW_CONFIDENCE else ''}confidence {e.confidence:.2f}")
    elif confidence is not None:
        why.append(f"no confidence logged; retrieval score {e.top_score:g}, "
                   f"{confidence:.2f} of the log's range")
    if e.up:
        why.append(f"but 👍 from {_users(e.up)}")
    return why


def is_suspect(e: Evidence) -> bool:
    """What `logs stats` counts per day: low confidence, or a strong sign (re-asked, 👎, 更多)."""
    low = e.confidence is not None and e.confidence < LOW_CONFIDENCE
    return low or e.reasked > 0 or e.down > 0 or e.more_after_s is not None


def rank(evidence: Iterable[tuple[int, Evidence]], low: float | None, high: float | None,
         limit: int | None) -> list[tuple[int, float, float | None]]:
    """(id, suspicion, effective confidence), most suspect first; ties: lower confidence, newer id."""
    scored = []
    for query_id, e in evidence:
        confidence = effective_confidence(e, low, high)
        scored.append((query_id, suspicion(e, confidence), confidence))
    scored.sort(key=lambda s: (-s[1], 1.0 if s[2] is None else s[2], -s[0]))
    return scored if limit is None else scored[:limit]
