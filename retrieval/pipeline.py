"""The answering pipeline, one entry point: question analysis → passage search → sentence choice →
decision. Each stage is a module that reads the previous stage's value; nothing re-parses the
question after `analyse`."""
from __future__ import annotations

import time
from functools import lru_cache

from retrieval import extract
from retrieval.answer import Reference, Result
from retrieval.context import Turn, resolve, turn_of
from retrieval.decide import Decision, decide, names
from retrieval.index import Hit, Index, Passage, field_text
from retrieval.normalize import normalize
from retrieval.question import Question, analyse
from retrieval.search import Passages, covered, passage_text, search
from retrieval.sentences import choose, following, given_item

MAX_REFERENCES = 3
CITED_ARTICLE_PASSAGES = 2
MAX_RELATED = 6
# An article is listed as related when its passage covers at least this share of what the best
# reference covers of the question.
RELATED_SHARE = 0.55


class Pipeline:
    """Loaded once per process over one index; `answer` is pure CPU work taking milliseconds."""

    def __init__(self, index: Index) -> None:
        self.index = index
        # Sentences and passages of the top hits recur across questions: normalise each once.
        self._normalize = lru_cache(maxsize=65536)(normalize)

    def answer(self, text: str, last: Turn | None = None) -> Result:
        """The answer to `text`, read against the conversation's `last` turn when it is a
        follow-up ("那宁波呢", "它…", "还有呢"); `Result.read_as` says how it was read."""
        started = time.perf_counter()
        reading = resolve(text, last, self.index)
        q = reading.question or analyse(reading.text, self.index)
        if (not q.has_content or reading.dangling) and not reading.given:
            return Result(text, q.text, False, "", 0.0, (), prompt=True, dangling=reading.dangling,
                          features={"latency_ms": _ms(started)})
        if reading.via == "more" and last is not None:
            # what the cited article says next, already judged to answer; nothing at its end
            choice = following(self.index, last.passage_id, last.answer, self._normalize,
                               extract.asked_ordinal(last.question),
                               item_noun=extract.asked_item_noun(last.question),
                               list_size=extract.asked_list_size(last.question), asked=last.question)
            passages = Passages((Hit(choice.doc, 1.0),), 1.0) if choice is not None else Passages((), 0.0)
            decision = Decision(choice is not None, 0.5 if choice is not None else 0.0, True,
                                gate="" if choice is not None else "end of the article")
        elif reading.given and last is not None:
            # "超算咧" after an answer giving it ("…超算规模4PFlops"): that item of the answer
            choice = given_item(self.index, last.passage_id, reading.given, self._normalize)
            passages = Passages((Hit(choice.doc, 1.0),), 1.0) if choice is not None else Passages((), 0.0)
            decision = Decision(choice is not None, 0.5 if choice is not None else 0.0, True)
        else:
            passages = search(self.index, q)
            if reading.subject:  # "那宁波呢": an answer about the other place is no answer
                hits = [h for h in passages.hits if names(passage_text(self.index, h.doc), reading.subject,
                                                          self.index)]
                # the passage just answered first when it names the new one too ("金华…；台州…"),
                # then the one after it, where a list going name by name may go on ("…宁波片区…。"
                # then "杭州片区…。金义片区…")
                at = self.index.doc_of(last.passage_id) if last is not None else None
                after = self._next_in_article(at)
                if after is not None and names(passage_text(self.index, after), reading.subject, self.index):
                    hits = [h for h in hits if h.doc != after]
                    hits.insert(0, Hit(after, passages.hits[0].score if passages.hits else 1.0))
                hits = [h for h in hits if h.doc == at] + [h for h in hits if h.doc != at]
                passages = Passages(tuple(hits), passages.coverage)
            then = self.index.doc_of(last.passage_id) if last is not None and reading.subject else None
            choice = choose(self.index, q, passages, self._normalize, reading.subject, then)
            decision = decide(self.index, q, passages, choice, self._normalize)
        refs = self._references(passages.hits, first=choice.doc if choice is not None else None)
        references, related = refs[:MAX_REFERENCES], refs[MAX_REFERENCES : MAX_REFERENCES + MAX_RELATED]
        shown = self._shown(references, q, decision.found, decision.on_topic)
        return Result(
            question=text, normalized=q.text, found=decision.found,
            answer=choice.answer if decision.found and choice else "", confidence=decision.confidence,
            references=tuple(references), related=tuple(related), shown=tuple(shown),
            understood=q.fixes, missing=decision.missing,
            candidate=choice.answer if choice else "", gate=decision.gate,
            features={**decision.features, "latency_ms": _ms(started)},
            read_as=reading.text if reading.resolved else "", via=reading.via,
            turn=self._turn(q, choice.text, choice.doc) if decision.found and choice else None,
        )

    def _next_in_article(self, doc: int | None) -> int | None:
        passages = self.index.passages
        if doc is None or doc + 1 >= len(passages):
            return None
        return doc + 1 if passages[doc + 1].article_id == passages[doc].article_id else None

    def _turn(self, q: Question, answer: str, doc: int) -> Turn:
        p = self.index.passages[doc]
        return turn_of(q, answer, p.article_id, p.id)

    def analyse(self, text: str) -> Question:
        return analyse(text, self.index)

    def passage(self, passage_id: str) -> Reference | None:
        """A passage by id with its citation (rank 1, score 0), for "原文" after a restart."""
        doc = self.index.doc_of(passage_id)
        return None if doc is None else reference(self.index.passages[doc], 1, 0.0)

    def _references(self, hits: tuple[Hit, ...], first: int | None) -> list[Reference]:
        """The chosen passage first (it is always among them), then one passage per article; the
        chosen passage's article may give CITED_ARTICLE_PASSAGES, its answer often running on."""
        order = [h for h in hits if h.doc == first] + [h for h in hits if h.doc != first]
        cited = self.index.passages[order[0].doc].article_id if order else ""
        taken: dict[str, int] = {}
        out: list[Reference] = []
        for h in order:
            p = self.index.passages[h.doc]
            room = CITED_ARTICLE_PASSAGES if p.article_id == cited else 1
            if taken.get(p.article_id, 0) >= room:
                continue
            taken[p.article_id] = taken.get(p.article_id, 0) + 1
            out.append(reference(p, len(out) + 1, h.score))
        return out

    def _shown(self, references: list[Reference], q: Question, found: bool,
               on_topic: bool) -> list[Reference]:
        """The references a reply lists: the cited one, then only articles whose passage covers the
        question nearly as well as the best (a weak match is noise, not a lead); none at all for an
        off-topic question (天气, 笑话), whose reply points to the table of contents instead."""
        if not references or not on_topic:
            return []
        closeness = {r.passage_id: covered(self._closeness_text(r.passage_id), q) for r in references}
        floor = RELATED_SHARE * max(closeness.values())
        first = [references[0]] if found else []
        return first + [r for r in references[len(first) :] if closeness[r.passage_id] >= floor]

    def _closeness_text(self, passage_id: str) -> str:
        p = self.index.passages[self.index.doc_of(passage_id)]
        return self._normalize(p.text) + " " + field_text(p)


def reference(p: Passage, rank: int, score: float) -> Reference:
    return Reference(rank=rank, source=p.source, article=p.article, section=p.section, page=p.page,
                     passage_id=p.id, score=round(float(score), 4), text=p.text)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

