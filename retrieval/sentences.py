"""Stage 3, sentence choice: the sentence (or two) of the best passages that answers, trimmed to a
phone screen, and the passage it comes from."""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval import extract
from retrieval.index import Index, Passage, field_text
from retrieval.lexicon import ENTITY_SUFFIX
from retrieval.places import name_kind
from retrieval.question import Question
from retrieval.search import Passages
from retrieval.stopwords import MEASURE_WORDS

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


def choose(index: Index, q: Question, found: Passages, normalize: Callable[[str], str],
           about: str = "", then: int | None = None) -> Choice | None:
    """The answering sentence; one that names `about` when any does (a follow-up that swapped
    that name in: "那台州呢" after a question on 衢州, in a passage going city by city), from the
    passage answered `then` when it names it too."""
    top = found.hits[:CANDIDATE_PASSAGES]
    if not top:
        return None
    passages = [index.passages[h.doc] for h in top]
    passage_weights = [min(1.0, h.score / top[0].score) ** PASSAGE_WEIGHT_POWER for h in top]
    weights = extract.sentence_weights(expanded_weights(q), q.asked, q.context, _focus(q))
    candidates = extract.pick_sentences(
        [p.text for p in passages], weights, q.kind, normalize, passage_weights,
        [field_text(p) for p in passages], q.text, q.asked, q.unit, q.duration, _counted(q),
        [w for w in q.words if len(w) >= 3],
    )
    # A place named only in a list of places ("环杭州湾地区（宁波、嘉兴、绍兴、湖州）…") is not what
    # the sentence is about: one saying something of it comes first.
    # Only for one place asked about: a question naming several may be answered by their list.
    places = [s for s in q.subjects if name_kind(s, index).startswith("place")]
    listed = [about] if about else places if len(places) == 1 else []
    if listed:
        def in_list(c: extract.Scored) -> bool:
            return any(_only_listed(normalize(c.sentence), s) for s in listed)
        candidates = sorted(candidates, key=lambda c: (in_list(c), -c.score, c.passage_rank, c.position))
    candidates = _name_by_name(index, candidates, [about] if about else q.subjects, passages, normalize)
    if about:
        stem = ENTITY_SUFFIX.sub("", about) or about
        # in an article about it (its title names it) any sentence is about it: "全市…"
        candidates = [c for c in candidates if stem in normalize(c.sentence)
                      or stem in normalize(passages[c.passage_rank].article)] or candidates
        candidates = [c for c in candidates if top[c.passage_rank].doc == then
                      and stem in normalize(c.sentence)] or candidates
    best = extract.choose(candidates, q.kind)
    if best is None:
        return None
    doc = top[best.passage_rank].doc
    titled = _nth_titled(index, q, [doc] + [h.doc for h in top], normalize) \
        or _first_titled(index, q, doc, normalize)
    if titled is not None:
        return titled
    if q.is_list and extract.ANNOUNCES_ITEMS.search(best.sentence):
        items = listed_items(index, doc, best.sentence)
        if items:
            return Choice(items, items, doc, best.score, best.typed)
    text = extract.with_neighbour(best, candidates, kind=q.kind)
    answer = extract.trim(text, weights, normalize, q.kind, question_norm=q.text, focus=q.sides)
    return Choice(text, answer, doc, best.score, best.typed)


# A list given inside one sentence: "排在前三的分别是A、B、C".
_LIST_IN_SENTENCE = re.compile(r"(?:分别是|分别为|依次是|依次为)[^。；]*、")
# Three or more short items in a row: "大数据智能、跨媒体智能、群体智能".
_ENUMERATION = re.compile(r"\w{2,9}(?:、\w{2,9}){2,}")
# Items led by their years: "、2019年设立…".
_DATED_ITEMS = re.compile(r"、(?:19|20)\d\d年")


def _enumeration_answered(sentences: list[tuple[int, str]], at: int | None, said: str, asked: str,
                          normalize: Callable[[str], str], dated: bool = False) -> int | None:
    """The sentence of the last answer (it starts at `at`) that lists three or more short items in
    a row ("即大数据智能、跨媒体智能、群体智能…"), none of them the one the question asked about
    ("强化创新引领，头一条…" asks inside 创新引领); not a numbered item ("二是…、…、…"). `dated`:
    the question asked for an item by its year instead, and the sentence lists items by year."""
    if at is None:
        return None
    said_norm = normalize(said)
    for k in range(at, len(sentences)):
        sentence = normalize(sentences[k][1])
        if sentence[:16] not in said_norm:
            return None
        if dated:  # "2018年获批的是什么" answered by "2018年获批…、2019年设立…、2023年…": one item per year
            years = extract.YEAR.findall(sentence)
            if len(_DATED_ITEMS.findall(sentence)) >= 2 and set(extract.YEAR.findall(asked)) & set(years):
                return k
            continue
        m = _ENUMERATION.search(sentence)
        if m and not _item_number(sentence) and not any(item[-4:] in asked for item in m.group().split("、")):
            return k
    return None


# An item's count or amount after its name ("电磁领域30项", "快乐抱抱团3个系列9项活动").
_ITEM_TAIL = re.compile(r"\d.*$")


def _after_asked_item(index: Index, sentences: list[tuple[int, str]], at: int | None, asked: str,
                      normalize: Callable[[str], str], limit: int, asked_item: int = 0) -> Choice | None:
    """For "还有别的领域吗" after a question about one item of a list the answer gave in a row
    ("…能源资源领域64项、电磁领域30项、…"), or about the item by its number (`asked_item`, 1 for
    "部署的第一项任务是啥"): the item after the one asked, by the passage of the article given to it
    ("立足“悦动悦快乐”系列，…"), else the list from that item on. An item named with a number asked
    ("强化创新引领，头一条…") asks inside that item: no next item of this list."""
    if at is None:
        return None
    doc, sentence = sentences[at]
    for clause in re.split(r"[，,。；;：:]", sentence):
        items = [re.sub(r"[“”\"]", "", item) for item in clause.split("、")]
        cores = [_ITEM_TAIL.sub("", item) for item in items]
        named = next((k for k, core in enumerate(cores[:-1]) if len(core) >= 4 and core[-4:] in asked), None)
        if named is not None and asked_item:
            return None
        # by number only in a list that counts itself ("…、推动区域计量科技创新4项任务")
        counted = re.search(r"(\d+|[两二三四五六七八九十])[项个条类种]", items[-1])
        by_number = counted is not None and extract.count_of(counted.group(1)) == len(items)
        # asked by number, the rest of the list ("另外俩是啥"), not one passage
        asked_at = asked_item - 1 if named is None and by_number and 0 < asked_item < len(items) else named
        if len(items) < 3 or asked_at is None:
            continue
        nxt = cores[asked_at + 1]
        if len(nxt) < 2 or nxt in asked:
            return None
        passages = _article_passages(index, doc) if named is not None else []
        given = next((i for i in passages if i != doc and nxt in normalize(index.passages[i].text)), None)
        if given is not None:
            return _item_choice(index, given, "", normalize, limit)
        start = sentence.find(items[asked_at + 1])
        rest = sentence[start:] if start >= 0 else sentence
        return Choice(rest, _fit(rest, limit), doc, 1.0, True)
    return None


# A run-in title that names its item, longer than a bare one: "深化打造“老有所学”金名片。".
_NAMED_TITLE = re.compile(r"^[^，。：:；]{2,16}[。：:]")


def _nth_titled(index: Index, q: Question, docs: list[int], normalize: Callable[[str], str]) -> Choice | None:
    """Item k asked by number ("第一张金名片") when the article gives its items as passages under
    run-in titles naming them ("深化打造“老有所学”金名片。…"), not numbered: the k-th such passage.
    The first article of `docs` (the best sentence's, then the other best passages') whose such
    items are as many as the question says ("“四个强化”"), or when it says no number, two or more."""
    k, noun = extract.asked_ordinal(q.text), extract.asked_item_noun(q.text)
    if not k or not noun:
        return None
    size = extract.asked_list_size(q.text)
    lists = [titled_items(index, doc, noun, normalize, size) for doc in docs]
    titled = next((found for found in lists if len(found) == (size or max(len(found), k, 2))), lists[0])
    return _item_choice(index, titled[k - 1], noun, normalize) if len(titled) >= k else None


def _first_titled(index: Index, q: Question, doc: int, normalize: Callable[[str], str]) -> Choice | None:
    """"有啥促进作用", "打造了哪些金名片" answered by what introduces the items the article gives as
    passages under titles naming them: the first item, the rest following on "还有呢"."""
    noun = q.sides[1]
    if not q.is_list or len(noun) < 2:
        return None
    items = titled_items(index, doc, noun, normalize)
    return _item_choice(index, items[0], noun, normalize) if len(items) >= 2 and doc not in items else None


def _item_choice(index: Index, doc: int, noun: str, normalize: Callable[[str], str],
                 limit: int = extract.MAX_ANSWER_CHARS) -> Choice:
    """An item's passage as an answer: its section heading first when that is what names the item
    ("强化要素保障推动算力数据模型一体化布局"), then as many sentences as fit."""
    p = index.passages[doc]
    title = _NAMED_TITLE.match(p.text)
    named_by_heading = noun in normalize(p.section) and not (title and noun in normalize(title.group()))
    text = f"{p.section}：" if named_by_heading else ""
    for sentence in extract.split_sentences(p.text):
        if text and len(text) + len(sentence) > limit:
            break
        text += sentence
    return Choice(text, _fit(text, limit), doc, 1.0, True)


def titled_items(index: Index, doc: int, noun: str, normalize: Callable[[str], str],
                 size: int = 0) -> list[int]:
    """The passages of an article that are items called `noun`, in order: those opening on a run-in
    title naming it ("深化打造“老有所学”金名片。"), else those opening on a run-in title in a section
    whose heading names it ("…对人工智能创新发展的促进作用": "驱动数据质量和模型性能提升。")."""
    passages = _article_passages(index, doc)
    opening = {i: m.group() for i in passages if (m := _NAMED_TITLE.match(index.passages[i].text))}
    named = [i for i in opening if noun in normalize(opening[i])]
    under = [i for i in opening if noun in normalize(index.passages[i].section)]
    # else the sections themselves, by headings naming them ("强化要素保障…"): their first passages
    headed = [i for k, i in enumerate(passages) if noun in normalize(index.passages[i].section)
              and (k == 0 or index.passages[passages[k - 1]].section != index.passages[i].section)]
    lists = [found for found in (named, under if len(under) >= 2 else [], headed) if found]
    # of several, the one with as many items as the question says ("“四个强化”": four sections)
    return next((found for found in lists if len(found) == size), lists[0] if lists else [])


def _name_by_name(index: Index, candidates: list[extract.Scored], subjects: Sequence[str],
                  passages: Sequence[Passage], normalize: Callable[[str], str]) -> list[extract.Scored]:
    """In a passage going name by name ("舟山片区…。宁波片区…"), a sentence naming the one asked
    about before the best sentence when that names none of them ("各片区差异化突破…"): in the best
    sentence's passage, else in the next best passage that goes so."""
    if not candidates:
        return candidates
    best = candidates[0]
    best_norm = normalize(best.sentence)
    ranks = list(dict.fromkeys(c.passage_rank for c in candidates))
    for name in subjects:
        stem = ENTITY_SUFFIX.sub("", name) or name
        if stem in best_norm or name_kind(name, index) == "place0" \
                or stem in normalize(passages[best.passage_rank].article):
            continue  # the province, or what the whole article is about
        for rank in ranks:
            text = normalize(passages[rank].text)
            kin = _kin_in(name, text, index) if stem in text else set()
            # each of two or more of them opens a sentence or clause of its own
            said = {k for k in kin for c in re.split(r"[。；;！!？?]", text) if c.strip().startswith(k)}
            if len(said) < 2 or stem not in "".join(said) or any(k in best_norm for k in kin):
                continue
            naming = next((c for c in candidates if c.passage_rank == rank and stem in normalize(c.sentence)
                           and not _only_listed(normalize(c.sentence), name)), None)
            if naming is not None:
                return [naming] + [c for c in candidates if c is not naming]
    return candidates


def _kin_in(name: str, text_norm: str, index: Index) -> set[str]:
    """The names of the same make as `name` in the text, it included: those with the same
    two-character suffix (金义片区 for 宁波片区), or for a place, the places of its level (嘉兴 for 湖州)."""
    if len(name) >= 4:
        same_suffix = rf"[\u4e00-\u9fff]{{{len(name) - 2}}}{re.escape(name[-2:])}"
        return set(re.findall(same_suffix, text_norm)) | {name}
    kind = name_kind(name, index)
    if not kind.startswith("place"):
        return set()
    return {w for w, _, _ in index.tokenizer.spans(text_norm) if len(w) >= 2 and not w.startswith(name)
            and not name.startswith(w) and name_kind(w, index) == kind} | {name}


def _only_listed(sentence_norm: str, place: str) -> bool:
    """Whether every mention of the place in the sentence is an item of a list ("宁波、嘉兴、绍兴")."""
    stem = ENTITY_SUFFIX.sub("", place) or place
    spots = [m.start() for m in re.finditer(re.escape(stem), sentence_norm)]
    return bool(spots) and all(
        sentence_norm[max(0, at - 1) : at] == "、"
        # the last item, joined by 和/与/及 to a list before it ("新增宁波、杭州和金义片区")
        or sentence_norm[max(0, at - 1) : at] in "和与及" and "、" in sentence_norm[max(0, at - 12) : at]
        or sentence_norm[at + len(stem) : at + len(stem) + 2].lstrip("市区县")[:1] == "、"
        for at in spots)


def listed_items(index: Index, doc: int, announcing: str, limit: int = extract.MAX_ANSWER_CHARS) -> str:
    """A list's items after the sentence announcing it ("将出现三个大趋势。"), each by its opening
    sentence ("第一个趋势：专用大模型越来越重要。…第二个趋势：…"), as many as fit; "" when no
    numbered item or run-in title follows in the article."""
    sentences = _sentences_from(index, doc)
    at = next((k for k, (i, s) in enumerate(sentences) if i == doc and s == announcing), None)
    if at is None:
        return ""
    text = re.split(r"[，,：:；;]", announcing.rstrip("：:"))[-1]  # the clause that announces it
    count = re.search(r"([两二三四五六七八九十]|\d+)(?:个|大|类|项|方面|条|点|种)", text)
    total = extract.count_of(count.group(1)) if count else len(_ORDINALS)
    for n in range(1, total + 1):
        item = _nth_item(sentences, at, n)
        if item is None or len(text) + len(sentences[item][1]) + 1 > limit:
            break
        text += "…" + sentences[item][1]
    return text if "…" in text else ""


# "为何认定…构成帮助侵权": what a reason question asks about follows its interrogative.
_WHY = re.compile(r"为什么|为何|为啥|凭什么|缘何")


def _counted(q: Question) -> str:
    """What a count question counts when it says it right after the interrogative ("多少个养老管家",
    "几家企业"), else "" (营收多少 asks an amount, not a count of something)."""
    after = q.sides[1]
    if after and re.search(f"(?:多少|几)[{MEASURE_WORDS}]?{re.escape(after)}", q.text):
        return after
    return ""


def _focus(q: Question) -> tuple[str, ...]:
    """The words the answer stands beside: those next to the interrogative, or for a reason question
    asked with 为何, the claim after it, which the sentence giving its grounds restates."""
    why = _WHY.search(q.text) if q.kind == "reason" and not any(q.sides) else None
    if why is None:
        return q.sides
    return tuple(w for w in q.words if q.text.find(w, why.end()) >= 0 and len(w) >= 2)


# Items of a list as the documents number them: 第一…第二, 一是…二是, 首先…其次, （一）…（二）.
_ORDINALS = extract.ORDINALS
_NUMBERED = (
    re.compile(r"^第([一二三四五六七八九十])"), re.compile(r"^([一二三四五六七八九十])是"),
    re.compile(r"^[(（]([一二三四五六七八九十])[)）]"), re.compile(r"^([一二三四五六七八九十])、"),
)
_SEQUENCE = ("首先", "其次", "再次", "最后")
# A list that starts inside a sentence, after its introduction: "…发挥着重要作用：一是…".
_INNER_ITEM = re.compile(r"[：:]([一二三四五六七八九十])是")
# A run-in title opening a passage: "一湾带动。", "补链：" (at most ten characters, then 。 or ：).
_RUN_IN = re.compile(r"^[^，。：:；]{2,10}[。：:]")


def following(index: Index, passage_id: str, said: str, normalize: Callable[[str], str],
              asked_item: int = 0, limit: int = extract.MAX_ANSWER_CHARS,
              item_noun: str = "", list_size: int = 0, asked: str = "") -> Choice | None:
    """What the cited article says next, for "还有呢": the next item when the answer was one item of
    a numbered list (第一… → 第二…) or a passage under a run-in title ("一核引领。" → "一湾带动。"),
    else the next passage (the cited one is a reference already); as many whole sentences as fit a
    phone screen. None at the article's end. When the last question asked for an item by its number
    (`asked_item`, 1 for 第一个趋势) and the answer was not that item but what introduces the list
    ("将出现三个大趋势"), the user still wants the item after the one asked; when it was a sentence
    naming all the items ("即A、B、C"), that sentence again holds the next (`asked` is the last
    question, normalised)."""
    doc = index.doc_of(passage_id)
    if doc is None:
        return None
    sentences = _sentences_from(index, doc)
    heading = normalize(index.passages[doc].section) + "："  # an item named by its heading (_item_choice)
    said_norm = normalize(said).removeprefix(normalize(heading))[:16]
    at = next((k for k, (_, s) in enumerate(sentences) if said_norm and said_norm in normalize(s)), None)
    item = None
    listing = sentences[at][1] if at is not None else ""
    if _LIST_IN_SENTENCE.search(listing):
        # "排在前三的分别是A、B、C": the next of its items is in it (the reply may have cut it short)
        start = _LIST_IN_SENTENCE.search(listing).start()
        text = listing[start:] if len(listing) > limit else listing
        return Choice(text, _fit(text, limit), sentences[at][0], 1.0, True)
    other = _after_asked_item(index, sentences, at, asked, normalize, limit, asked_item)
    if other is not None:
        return other
    listed = _enumeration_answered(sentences, at, said, asked, normalize, dated=not asked_item) \
        if asked_item or extract.YEAR.search(asked) else None
    if listed is not None:  # "第一个是什么" answered by a sentence naming them all: the next is in it
        listing = sentences[listed][1]
        return Choice(listing, _fit(listing, limit), sentences[listed][0], 1.0, True)
    items = titled_items(index, doc, item_noun, normalize, list_size) if item_noun and at is not None else []
    if items:  # the item after this one, or after the one asked when the answer was no item
        current = sentences[at][0]
        after = [i for i in items if i > current] if current in items else items[asked_item:]
        if after:
            return _item_choice(index, after[0], item_noun, normalize, limit)
    elif at is not None and asked_item and _item_number(sentences[at][1]) == 0:
        item = _nth_item(sentences, at, asked_item + 1)
    if item is None and at is not None:
        item = _next_item(sentences, at)
    broken_off = at is not None and sentences[at][1].rstrip().endswith(("；", ";", "："))
    if item is None and broken_off and at + 1 < len(sentences) and sentences[at + 1][0] == sentences[at][0]:
        item = at + 1  # an answer that breaks off ("…超1万亿元；") goes on in its passage
    if item is None:
        item = next((k for k, (i, _) in enumerate(sentences) if i > doc), None)
    if item is None:
        return None
    first_doc = sentences[item][0]
    text = sentences[item][1]
    for i, sentence in sentences[item + 1 :]:
        if i != first_doc or len(text) + len(sentence) > limit:
            break
        text += sentence
    return Choice(text, _fit(text, limit), first_doc, 1.0, True)


def given_item(index: Index, passage_id: str, item: str, normalize: Callable[[str], str]) -> Choice | None:
    """Items of the last answer (`item`, normalised) as an answer of their own, as the passage they
    came from writes them ("4PFlops", not the normalised "4pflops")."""
    doc = index.doc_of(passage_id)
    if doc is None:
        return None
    pieces = re.findall(PIECE, item)
    text = index.passages[doc].text
    spans = [m.span() for m in re.finditer(PIECE, text)] if pieces else []
    starts = [a for a, b in spans if normalize(text[a:b]) == pieces[0]]
    ends = [b for a, b in spans if normalize(text[a:b]) == pieces[-1] and starts and b > starts[0]]
    said = text[starts[0] : ends[0]] if starts and ends else item
    return Choice(said, said, doc, 1.0, True)


# A piece of a sentence between marks: an item of a list of figures ("超算规模4PFlops").
PIECE = r"[^，,；;。：:、]+"


def _article_passages(index: Index, doc: int, start: int | None = None) -> list[int]:
    """The passages of `doc`'s article from `start` (its first when None) to its last: an article's
    passages are contiguous, so the walk stops at the next article, not the corpus's end."""
    article = index.passages[doc].article_id
    if start is None:
        start = doc
        while start > 0 and index.passages[start - 1].article_id == article:
            start -= 1
    return list(itertools.takewhile(lambda i: index.passages[i].article_id == article,
                                    range(start, len(index.passages))))


def _sentences_from(index: Index, doc: int) -> list[tuple[int, str]]:
    """(passage, sentence) for every sentence from `doc` to its article's end."""
    return [(i, s) for i in _article_passages(index, doc, doc)
            for s in extract.split_sentences(index.passages[i].text)]


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _next_item(sentences: list[tuple[int, str]], at: int) -> int | None:
    """Where the item after the one at `at` starts: the next number of its list, the next word of
    首先/其次/最后, or the next passage opening on a run-in title when its own passage did."""
    doc, sentence = sentences[at]
    inner = _INNER_ITEM.search(sentence)
    if inner and not any(p.match(sentence) for p in _NUMBERED):
        k = _ORDINALS.find(inner.group(1))
        if 0 <= k < len(_ORDINALS) - 1:
            return next((j for j in range(at + 1, len(sentences))
                         if sentences[j][1].startswith(_ORDINALS[k + 1] + "是")), None)
    for pattern in _NUMBERED:
        m = pattern.match(sentence) or pattern.match(sentences[_start_of(sentences, at)][1])
        if m:
            k = _ORDINALS.find(m.group(1))
            if 0 <= k < len(_ORDINALS) - 1:
                wanted = m.group(0).replace(m.group(1), _ORDINALS[k + 1], 1)
                return next((j for j in range(at + 1, len(sentences))
                             if sentences[j][1].startswith(wanted)), None)
    for k, word in enumerate(_SEQUENCE[:-1]):
        if sentence.startswith(word):
            return next((j for j in range(at + 1, len(sentences))
                         if sentences[j][1].startswith(_SEQUENCE[k + 1:])), None)
    if _RUN_IN.match(sentences[_start_of(sentences, at)][1]):
        return next((j for j in range(at + 1, len(sentences)) if sentences[j][0] != doc
                     and j == _start_of(sentences, j) and _RUN_IN.match(sentences[j][1])), None)
    return None


def _item_number(sentence: str) -> int:
    """The number of the list item a sentence opens (第二…, 二是…, （二）…, or "…：一是" within it),
    1 for 首先, 0 for none."""
    for pattern in (*_NUMBERED, _INNER_ITEM):
        m = pattern.search(sentence)
        if m:
            return _ORDINALS.find(m.group(1)) + 1
    return 1 if sentence.startswith(_SEQUENCE[0]) else 0


def _nth_item(sentences: list[tuple[int, str]], at: int, n: int) -> int | None:
    """Where item `n` of the list after `at` starts: the sentence numbered n, else the n-th passage
    opening on a run-in title."""
    numbered = next((j for j in range(at + 1, len(sentences)) if _item_number(sentences[j][1]) == n), None)
    if numbered is not None:
        return numbered
    titled = [j for j in range(at + 1, len(sentences))
              if j == _start_of(sentences, j) and _RUN_IN.match(sentences[j][1])]
    return titled[n - 1] if len(titled) >= n else None


def _start_of(sentences: list[tuple[int, str]], at: int) -> int:
    """The first sentence of the passage the sentence at `at` belongs to."""
    while at > 0 and sentences[at - 1][0] == sentences[at][0]:
        at -= 1
    return at


def expanded_weights(q: Question) -> dict[str, float]:
    """The question's term weights, plus each synonym or full form at half its word's weight: a
    sentence saying 举行 where the question says 举办 shares something with it."""
    out = dict(q.weights)
    for word, others in q.expansions.items():
        for other in others:
            out.setdefault(other, SYNONYM_SHARE * q.weights.get(word, 0.0))
    return out

