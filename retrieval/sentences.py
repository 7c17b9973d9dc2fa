"""Stage 3, sentence choice: the sentence (or two) of the best passages that answers, trimmed to a
phone screen, and the passage it comes from."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval import extract
from retrieval.index import Index, field_text
from retrieval.question import Question
from retrieval.search import Passages

CANDIDATE_PASSAGES = 5    # sentences are chosen among these
PASSAGE_WEIGHT_POWER = 0.25
# A synonym or full form of a question word weighs this share of the word in choosing a sentence.
SYNONYM_SHARE = 0.25


@dataclass(frozen=True)
class Choice:
    text: str             # the chosen sentence(s), untrimmed
    answer: str           # trimmed for the reply
    doc: int              # the passage it comes from
    score: float          # its sentence score (overlap with the question, bonuses)
    typed: bool           # it holds the kind of answer asked for


def choose(index: Index, q: Question, found: Passages, normalize: Callable[[str], str]) -> Choice | None:
    top = found.hits[:CANDIDATE_PASSAGES]
    if not top:
        return None
    passages = [index.passages[h.doc] for h in top]
    passage_weights = [min(1.0, h.score / top[0].score) ** PASSAGE_WEIGHT_POWER for h in top]
    weights = extract.sentence_weights(expanded_weights(q), q.asked, q.context, q.sides)
    candidates = extract.pick_sentences(
        [p.text for p in passages], weights, q.kind, normalize, passage_weights,
        [field_text(p) for p in passages], q.text, q.asked, q.unit, q.duration,
    )
    best = extract.choose(candidates, q.kind)
    if best is None:
        return None
    text = extract.with_neighbour(best, candidates)
    answer = extract.trim(text, weights, normalize, q.kind, question_norm=q.text, focus=q.sides)
    return Choice(text, answer, top[best.passage_rank].doc, best.score, best.typed)


def following(index: Index, passage_id: str, limit: int = extract.MAX_ANSWER_CHARS) -> Choice | None:
    """What the cited article says next, for "还有呢": the next passage of the same article (the
    cited one is a reference already), as many whole sentences as fit a phone screen. None at its end."""
    doc = index.doc_of(passage_id)
    if doc is None or doc + 1 >= len(index.passages) \
            or index.passages[doc + 1].article_id != index.passages[doc].article_id:
        return None
    sentences = extract.split_sentences(index.passages[doc + 1].text)
    if not sentences:
        return None
    text = sentences[0]
    for sentence in sentences[1:]:
        if len(text) + len(sentence) > limit:
            break
        text += sentence
    answer = text if len(text) <= limit else text[: limit - 1] + "…"
    return Choice(text, answer, doc + 1, 1.0, True)


def expanded_weights(q: Question) -> dict[str, float]:
    """The question's term weights, plus each synonym or full form at half its word's weight: a
    sentence saying 举行 where the question says 举办 shares something with it."""
    out = dict(q.weights)
    for word, others in q.expansions.items():
        for other in others:
            out.setdefault(other, SYNONYM_SHARE * q.weights.get(word, 0.0))
    return out

