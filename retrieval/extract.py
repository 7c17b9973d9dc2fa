"""Extractive answers: the one or two sentences of the best passages that answer the question,
trimmed to a phone screen.

Pure functions over normalised text; the weights come from the index's idf tables. What kind of
answer is asked for lives in `answer_types`, what the question is about in `focus`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from content.clean import is_han
from retrieval.answer_types import (
    has_answer_type,
    is_typed,
    states_duration,
)
from retrieval.focus import mentions
from retrieval.stopwords import MEASURE_WORDS

MAX_ANSWER_CHARS = 120
# Kinds whose answer is a value a sentence plainly holds or not (a number, an amount, a date).
TYPED_KINDS = ("number", "money", "date", "daterange")
SOFT_LIMIT = 60

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”’」』\"')）])|(?<=[。！？!?；;][”’」』\"')）])|\n+")
_CLAUSE_END = re.compile(r"(?<=[，,、：:；;。！？!?])")

def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping its closing punctuation (and a closing quote after it)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


@dataclass(frozen=True)
class Scored:
    sentence: str
    score: float
    passage_rank: int
    position: int
    typed: bool         # has the kind of answer asked for


# Question terms already in a passage's title or headings say which article, not which sentence.
CONTEXT_WEIGHT = 0.3
TYPE_BONUS = 0.15
# A shared phrase of PHRASE_MIN characters or more adds PHRASE_WEIGHT per character beyond.
PHRASE_MIN = 4
PHRASE_WEIGHT = 0.03
# Weight of the words next to the interrogative, when choosing a sentence.
FOCUS_WEIGHT = 1.5
# A typed sentence may replace an untyped best one when it scores at least this share of it.
TYPED_SHARE = 0.4
# A best sentence shorter than this takes its neighbour along (a quote after "记载了…的故事。").
SHORT_SENTENCE = 40
# A year as written ("2024年").
YEAR = re.compile(r"((?:19|20)\d\d)年")
# A part of a year: a figure for 一季度 or 1—7月 is not one for 上半年 or 1—8月.
_PERIOD = re.compile(r"[一二三四1-4]季度|上半年|下半年|前三季度|\d{1,2}[—-]\d{1,2}月")


def periods_of(text_norm: str) -> set[str]:
    """The parts of a year a text names, written one way ("1—8月" for 1-8月)."""
    return {p.replace("-", "—") for p in _PERIOD.findall(text_norm)}
# Sentences that point back to the one before ("这是全省首个…"): alone they do not say who or what.
_ANAPHOR = re.compile(r"^(?:这|那|该|此|其|它|他|她|上述|同年|当年|同月|同日|次年)")
# "同年，招收了第一批…": dated by the sentence before it.
_SAME_TIME = re.compile(r"^(?:同年|当年|同月|同日|次年)")


def score_sentence(sentence_norm: str, weights: dict[str, float], typed: bool,
                   question_norm: str = "") -> float:
    """IDF-weighted overlap of the question's terms, plus bonuses when the sentence has the answer
    type and when it repeats a longer phrase of the question word for word."""
    overlap = sum(w for term, w in weights.items() if term in sentence_norm)
    total = sum(weights.values()) or 1.0
    phrase = max(0, longest_shared_run(question_norm, sentence_norm) - PHRASE_MIN + 1) if question_norm else 0
    return overlap / total + (TYPE_BONUS if typed else 0.0) + PHRASE_WEIGHT * phrase


# A question asking what a term consists of or means.
_CONTENT_ASKED = re.compile(r"具体|内容|哪几|哪些|是什么|是啥|指什么|指的是|含义|意思|分别|包括"
                            r"|哪[两二三四五六]")


def _apposition(terms: Sequence[str]) -> re.Pattern[str]:
    """A term given with its content: quoted content right before it ("“干在实处…”的浙江精神",
    "算力券、模型券、语料券以及算力贷等“三券一贷”"), or the quoted term opening an explanation
    ("“放海生”环节则…：")."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf".{{4}}(?:”的|”等|的“|等“)(?:{alternatives})"
                      rf"|“(?:{alternatives})”[^，,。；]{{0,12}}[：:]")


def longest_shared_run(question_norm: str, sentence_norm: str) -> int:
    """Length of the longest run of question characters whose every bigram is in the sentence:
    a cheap stand-in for the longest common phrase ("挂牌的人工智能局")."""
    grams = {sentence_norm[i : i + 2] for i in range(len(sentence_norm) - 1)}
    best = run = 0
    for i in range(len(question_norm) - 1):
        pair = question_norm[i : i + 2]
        run = run + 1 if pair in grams and is_han(pair[0]) and is_han(pair[1]) else 0
        best = max(best, run)
    return best + 1 if best else 0


# A sentence whose subject is a person named before: "8年来，她主审…", "他表示…".
_PRONOUN_OPENING = re.compile(r"^(?:[^，。；]{0,8}[，,])?(?:她|他)(?!们)")


def pick_sentences(
    passages: Sequence[str], weights: dict[str, float], kind: str | None,
    normalize: Callable[[str], str], passage_weights: Sequence[float] = (), contexts: Sequence[str] = (),
    question_norm: str = "", asked: str | None = None, unit: re.Pattern[str] | None = None,
    duration: bool = False, counted: str = "", defined: Sequence[str] = (),
) -> list[Scored]:
    """Candidate sentences of the given passages, best first.

    `passage_weights` (1.0 for the top passage, less for the next ones) favour the passage the
    ranking trusts most; `contexts` (normalised title and headings) down-weight terms they contain.
    `counted` is what a count question counts ("养老管家" in 多少个养老管家): a sentence giving a
    number right beside it ("养老管家207名") states its count, where others count something else.
    `defined` are the question's terms (三字 or longer) whose content a sentence may give in
    apposition, which answers a question asking what one consists of.
    """
    out: list[Scored] = []
    # "X认为，…": a phrase shared with who said it locates the passage, not the answering sentence.
    asked = question_norm if asked is None else asked
    sentences = [[(s, normalize(s)) for s in split_sentences(text)] for text in passages]
    # "补种了多少亩": a number of 亩 answers it, where any candidate has one; another number does not.
    in_unit = unit if kind == "number" else None
    if in_unit is not None and not any(in_unit.search(n) for group in sentences for _, n in group):
        in_unit = None
    beside = _beside_a_number(counted) if kind == "number" and len(counted) >= 2 else None
    # "到2030年…多少": of a passage that states two years' figures, not the other year's.
    years = set(YEAR.findall(question_norm))
    periods = periods_of(question_norm)
    # "第一个趋势是啥", "头一条", "“一核引领”是指什么": the sentence that opens that item.
    opening = item_openings(question_norm)
    # "怎么给员工发工资": a sentence saying how (通过…, 采用…) answers it
    method = _HOW_DONE if kind is None and _HOW_ASKED.search(question_norm) else \
        _MEANS_GIVEN if _MEANS_ASKED.search(question_norm) else None
    # "哪四个方面": a sentence listing four items answers it
    listed = _asked_how_many(question_norm)
    # "浙江精神具体是哪几句话": the sentence giving it in apposition ("“干在实处…”的浙江精神")
    apposition = _apposition(defined) if defined and _CONTENT_ASKED.search(question_norm) else None
    for rank, group in enumerate(sentences):
        pw = passage_weights[rank] if rank < len(passage_weights) else 1.0
        context = contexts[rank] if rank < len(contexts) else ""
        local = {t: w * (CONTEXT_WEIGHT if t in context else 1.0) for t, w in weights.items()}
        for pos, (sentence, norm) in enumerate(group):
            typed = is_typed(norm, kind, question_norm) and (in_unit is None or bool(in_unit.search(norm)))
            if kind in ("date", "daterange") and pos and _SAME_TIME.match(norm):
                typed = is_typed(group[pos - 1][1], kind, question_norm)
            # "8年来，她主审案件4000余件": who "她" is, the sentence before says (…副院长沙丽…); not
            # for a question asking who, which a sentence saying 她 does not answer
            said = group[pos - 1][1] + norm if pos and kind not in ("person", "name") \
                and _PRONOUN_OPENING.match(norm) else norm
            score = score_sentence(said, local, typed, asked)
            if duration and states_duration(norm):
                score += TYPE_BONUS
            if opening is not None and opening.match(norm):
                score += TYPE_BONUS
            if method is not None and method.search(norm):
                score += TYPE_BONUS
            if beside is not None and beside.search(norm):
                score += TYPE_BONUS
            if listed and listed in _enumerations(norm):
                score += TYPE_BONUS
            if apposition is not None and apposition.search(norm):
                score += TYPE_BONUS
            if years and typed:
                stated = set(YEAR.findall(norm))
                score -= TYPE_BONUS if stated and not stated & years else 0.0
            if periods and typed:  # "1—8月" asked: the 1—8月 figure, not the 1—7月 one
                stated = periods_of(norm)
                score += TYPE_BONUS if stated & periods else -TYPE_BONUS if stated else 0.0
            score *= pw
            out.append(Scored(sentence, score, rank, pos, typed))
    out.sort(key=lambda c: (-c.score, c.passage_rank, c.position))
    return out


_HOW_MANY_ASKED = re.compile(r"哪([两二三四五六七八九十])(?:个|项|类|种|大|条|点|样|块|方面)")


def _asked_how_many(question_norm: str) -> int:
    """The number of items a which-question asks for ("哪四个方面": 4), 0 when it names none."""
    m = _HOW_MANY_ASKED.search(question_norm)
    return count_of(m.group(1)) if m else 0


def _enumerations(sentence_norm: str) -> set[int]:
    """How many items each enumeration of the sentence has ("创新引领、要素保障、应用赋能": 3)."""
    clauses = re.split(r"[，,。；;：:！!？?]", re.sub(r"[“”\"「」《》]", "", sentence_norm))
    return {c.count("、") + 1 for c in clauses if "、" in c}


def _beside_a_number(noun: str) -> re.Pattern[str]:
    """The noun with a number right after it ("养老管家207名", "企业超1000家") or right before it
    with its measure word ("207名养老管家")."""
    n = re.escape(noun)
    return re.compile(rf"{n}(?:达|共|约|超过?|近|逾|已?有)?\d|\d+(?:\.\d+)?[万亿]?[{MEASURE_WORDS}]{n}")


# How something is done, asked ("怎么发", "如何实现", "靠什么方式") and said ("通过平台上传…").
_HOW_ASKED = re.compile(r"(?:怎么|怎样|如何|咋)(?!样|回事|看|界定|定义|理解)"
                        r"|什么(?:方式|办法|手段|方法|做法|模式)")
_HOW_DONE = re.compile(r"通过|依托|借助|采取|采用|利用|实行|运用|依靠|以.{1,8}(?:方式|模式|机制)")
# "靠啥提前发现…": the means, which may be a thing made for it ("…开发的…预警平台")
_MEANS_ASKED = re.compile(r"靠(?:啥|什么)|凭借(?:啥|什么)")
_MEANS_GIVEN = re.compile(rf"{_HOW_DONE.pattern}|(?:开发|搭建|打造|建立|建成)的.{{0,12}}(?:平台|系统|机制)")
# One to ten as the documents and questions number items: ORDINALS[k - 1] is k.
ORDINALS = "一二三四五六七八九十"
_ASKED_ORDINAL = re.compile(r"(?:第|头)([一二三四五六七八九十])"
                            r"(?:个|条|项|点|张|种|支|名|家|类|步|位|件|大|方面)"
                            # "排第一的是什么能力", "排在第二的": a place in a list, said without its measure
                            r"|排(?:在)?第([一二三四五六七八九十])(?=的|是|位|名)")
_ASKED_ITEM = re.compile(r"“([^”]{2,10})”(?:是|指|说的|讲的|具体|主要)")


# A list named by its count: "“四个强化”", "“三支关键力量”".
_NAMED_LIST = re.compile(r"“([一二三四五六七八九十两\d]+)[个项大条种支张]([\u4e00-\u9fff]{2,4})”")
# ... or unquoted, before the item asked: "要提升的五种能力里，第一个是什么".
_COUNTED_LIST = re.compile(r"(?<![第\d])([一二三四五六七八九十两几\d]+)[个项大条种支张]"
                           r"([\u4e00-\u9fff]{2,4}?)(?:里|中|当中|之中|里面|为|[,，])")
# "首先要打造哪张金名片", "首先有什么促进作用": the first item, asked without its number.
_FIRST_ASKED = re.compile(r"首先[\u4e00-\u9fff]{0,6}?(?:哪[张个项条种类点]|什么)")


def asked_ordinal(question_norm: str) -> int:
    """The item a question asks for by its number (2 for 第二个趋势), 0 when it names none."""
    m = _asked_ordinal(question_norm)
    if m is None:
        return 1 if _FIRST_ASKED.search(question_norm) else 0
    return ORDINALS.find(m.group(1) or m.group(2)) + 1


def _asked_ordinal(question_norm: str) -> re.Match[str] | None:
    """The ordinal a question asks by; "排第一" only of a list it names ("五种能力里排第一的"), a
    ranking's first ("趋势榜排第一的") being no item of a list in the text."""
    m = _ASKED_ORDINAL.search(question_norm)
    return m if m is None or m.group(1) or _named_list(question_norm) else None


def asked_item_noun(question_norm: str) -> str:
    """What the items asked for by number are called ("金名片" in 第一张金名片是什么), or ""."""
    m = _asked_ordinal(question_norm) or _FIRST_ASKED.search(question_norm)
    noun = re.match(r"(?!是|呢|的|叫|啥|什么)[\u4e00-\u9fff]{2,4}?(?=是|呢|的|叫|[?？]|$)",
                    question_norm[m.end():]) if m else None
    # "“四个强化”，头一个是什么", "五种能力里，第一个是什么": the list's own name says what its items are
    named = _named_list(question_norm) if m and not noun else None
    return noun.group() if noun else named.group(2) if named else ""


def asked_list_size(question_norm: str) -> int:
    """How many items the list a question names has ("“四个强化”": 4), 0 when it says no number."""
    m = _named_list(question_norm)
    return count_of(m.group(1)) if m else 0


def _named_list(question_norm: str) -> re.Match[str] | None:
    return _NAMED_LIST.search(question_norm) or _COUNTED_LIST.search(question_norm)


def count_of(said: str) -> int:
    """A count as written, in digits or as one numeral ("12", "四", "两"); 0 for anything else."""
    said = said.replace("两", "二")
    return int(said) if said.isdigit() else ORDINALS.find(said) + 1 if len(said) == 1 else 0


def item_openings(question_norm: str) -> re.Pattern[str] | None:
    """How a sentence opens the item a question asks for: the ordinal it names (第一, 一是, （一）,
    首先 for the first) or the quoted title it asks about ("一核引领。"); None when it names none."""
    m = _asked_ordinal(question_norm)
    if m:
        k = m.group(1) or m.group(2)
        first = "|首先" if k == "一" else ""
        return re.compile(rf"(?:第{k}|{k}是|[(（]{k}[)）]|{k}、{first})")
    m = _ASKED_ITEM.search(question_norm)
    return re.compile(re.escape(m.group(1)) + r"[。：:，,]") if m else None


def choose(candidates: Sequence[Scored], kind: str | None) -> Scored | None:
    """The best sentence; for number and date questions, the best one that has a number or date
    (for yes/no ones, a verdict), unless it scores far below the best sentence overall."""
    if not candidates:
        return None
    best = candidates[0]
    if kind in TYPED_KINDS + ("definition", "yesno") and not best.typed:
        typed = next((c for c in candidates if c.typed), None)
        if typed is not None and typed.score >= TYPED_SHARE * best.score:
            return typed
    return best


def with_neighbour(best: Scored, candidates: Sequence[Scored], limit: int = MAX_ANSWER_CHARS,
                   kind: str | None = None) -> str:
    """A short best sentence joined with its better-scoring neighbour in the same passage, if both
    fit; a sentence opening on "这是…"/"该…" with the sentence it points back to (trimmed later);
    for a reason question, a claim with the sentence after it that opens on its cause ("因为…"):
    the claim restates the question, the cause answers it."""
    if kind == "reason" and not _CAUSE_OPENING.match(best.sentence):
        cause = next((c for c in candidates if c.passage_rank == best.passage_rank
                      and 0 < c.position - best.position <= 2 and _CAUSE_OPENING.match(c.sentence)), None)
        if cause is not None:  # a sentence left out between them is marked as such
            return best.sentence + ("" if cause.position == best.position + 1 else "…") + cause.sentence
        if not best.typed:  # a claim stating no cause: what the passage says next, as far as it fits
            return _read_on(best, candidates, limit)
    # For a yes/no question, likewise the sentence that restates it with the verdict right after
    # ("…要求家庭必须安装烟雾报警器。而国内没有相关立法").
    if kind == "yesno" and not best.typed:
        verdict = next((c for c in candidates if c.passage_rank == best.passage_rank and c.typed
                        and 0 < c.position - best.position <= 2), None)
        if verdict is not None:  # the verdict alone when both do not fit
            joined = best.sentence + ("" if verdict.position == best.position + 1 else "…") + verdict.sentence
            return joined if len(joined) <= limit else verdict.sentence
    # A sentence that ends a quotation opened sentences before: from the one that opened it, whose
    # speaker it names ("宋代诗人陈与义在一首诗中写道：“…").
    if _closes_unopened(best.sentence):
        before = {c.position: c.sentence for c in candidates if c.passage_rank == best.passage_rank}
        text, at = best.sentence, best.position - 1
        while at in before and len(text) + len(before[at]) <= limit:
            text, at = before[at] + text, at - 1
            if "“" in before[at + 1]:
                return text
    if _ANAPHOR.match(best.sentence):
        previous = next((c for c in candidates if c.passage_rank == best.passage_rank
                         and c.position == best.position - 1), None)
        if previous is not None:
            return previous.sentence + best.sentence
    if len(best.sentence) >= SHORT_SENTENCE:
        return best.sentence
    neighbours = [c for c in candidates if c.passage_rank == best.passage_rank
                  and abs(c.position - best.position) == 1 and c.score > 0
                  and len(c.sentence) + len(best.sentence) <= limit]
    if not neighbours:
        return best.sentence
    other = max(neighbours, key=lambda c: (c.score, c.position))
    pair = (best, other) if best.position < other.position else (other, best)
    return pair[0].sentence + pair[1].sentence


def _closes_unopened(sentence: str) -> bool:
    closing, opening = sentence.find("”"), sentence.find("“")
    return closing >= 0 and (opening < 0 or closing < opening)


def _read_on(best: Scored, candidates: Sequence[Scored], limit: int) -> str:
    """The sentence and those after it in its passage, as many as fit."""
    after = {c.position: c.sentence for c in candidates if c.passage_rank == best.passage_rank}
    text, at = best.sentence, best.position + 1
    while at in after and len(text) + len(after[at]) <= limit:
        text, at = text + after[at], at + 1
    return text


# A sentence announcing a list whose items follow: "人工智能发展将出现三个大趋势。", "…包括：".
ANNOUNCES_ITEMS = re.compile(r"(?:[两二三四五六七八九十\d]+(?:个|大|类|项|方面|条|点|种)[\u4e00-\u9fff]{0,8}"
                            r"|包括|如下)[。：:]$")
_CAUSE_OPENING = re.compile(r"(?:这是)?(?:因为|由于)|究其原因|原因(?:是|在于)")


def clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_END.split(sentence) if c]


def trim(sentence: str, weights: dict[str, float], normalize: Callable[[str], str], kind: str | None = None,
         limit: int = MAX_ANSWER_CHARS, question_norm: str = "", focus: Sequence[str] = ()) -> str:
    """At most `limit` characters, cut at clause boundaries around the best-matching clause, with "…".

    For a number or a date: the best clause and the nearest clause holding one (the earlier side
    first: Chinese puts the time before the verb). Otherwise the shortest run of clauses with the
    best total score. Then context, up to SOFT_LIMIT characters.
    """
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    parts = clauses(sentence)
    norms = [normalize(p) for p in parts]
    scores = [score_sentence(n, weights, False) for n in norms]
    room = limit - 2  # for the two ellipses
    if kind in TYPED_KINDS:
        lo, hi = _anchor_with_typed(parts, norms, scores, kind, question_norm, room, focus)
    else:
        lo, hi = _best_run(parts, [{t for t in weights if t in n} for n in norms], weights, room)
        # a run ending on the word the interrogative follows ("而债券部分，" for 债券部分选啥) stops
        # where the answer begins: it goes on to the clause after
        if focus and focus[0] and hi + 1 < len(parts) and norms[hi].rstrip("，,：:；; ").endswith(focus[0]):
            hi += 1
            while lo < hi and sum(len(p) for p in parts[lo : hi + 1]) > room:
                lo += 1
    # …a list ("口哨、铜锣、…") is kept whole where it fits…
    length = sum(len(p) for p in parts[lo : hi + 1])
    while hi + 1 < len(parts) and parts[hi].endswith("、") and length + len(parts[hi + 1]) <= room:
        hi += 1
        length += len(parts[hi])
    while lo > 0 and parts[lo - 1].endswith("、") and length + len(parts[lo - 1]) <= room:
        lo -= 1
        length += len(parts[lo])
    # …then context around it, the clause before first, up to SOFT_LIMIT characters.
    while length < SOFT_LIMIT:
        if lo > 0 and length + len(parts[lo - 1]) <= room:
            lo -= 1
            length += len(parts[lo])
        elif hi + 1 < len(parts) and length + len(parts[hi + 1]) <= room:
            hi += 1
            length += len(parts[hi])
        else:
            break
    text = "".join(parts[lo : hi + 1])
    if len(text) > limit - 2:
        text = _cut_chars(text, limit - 2)
    text = text.rstrip("，,、：:；; ")
    prefix = "…" if lo > 0 else ""
    suffix = "" if hi == len(parts) - 1 and text == "".join(parts[lo:]).rstrip("，,、：:；; ") else "…"
    return prefix + text + suffix


def _best_run(parts: Sequence[str], terms: Sequence[set[str]], weights: dict[str, float],
              room: int) -> tuple[int, int]:
    """The shortest run of clauses fitting in `room` characters that covers the most question
    weight, each term counted once (a word repeated in every clause of a list is no reason to keep
    the whole list)."""
    best_key, lo, hi = None, 0, 0
    for i in range(len(parts)):
        covered: set[str] = set()
        length = 0
        for j in range(i, len(parts)):
            length += len(parts[j])
            if length > room and j > i:
                break
            covered |= terms[j]
            key = (round(sum(weights[t] for t in covered), 6), -(j - i), -i)
            if best_key is None or key > best_key:
                best_key, lo, hi = key, i, j
    return lo, hi


def _anchor_with_typed(parts: Sequence[str], norms: Sequence[str], scores: Sequence[float], kind: str,
                       question_norm: str, room: int, focus: Sequence[str] = ()) -> tuple[int, int]:
    """The best clause, stretched to the nearest clause with a number or date when it has none;
    a clause with one beside what is asked about (`focus`: "降至" for 降到多少) comes first."""
    best = max(range(len(parts)), key=lambda i: (scores[i], -i))
    typed = [i for i, n in enumerate(norms) if has_answer_type(n, kind, question_norm)]
    on_focus = {i for i in typed if any(w and mentions(norms[i], w) for w in focus)}
    # "由48.8%下降到多少": the clause holding the value the question starts from ("从48.8%降至4.8%")
    given = [g for g in _VALUE.findall(question_norm) if len(g) >= 3]
    on_focus |= {i for i in typed if any(g in norms[i] and len(_VALUE.findall(norms[i])) > 1 for g in given)}
    # the best clause's own value, unless another value stands beside what is asked ("最高…可达60%"
    # after "总额10亿元的…政策")
    if not typed or best in typed and (best in on_focus or not on_focus):
        return best, best
    for t in sorted(typed, key=lambda i: (i not in on_focus, abs(i - best), i > best)):
        lo, hi = min(best, t), max(best, t)
        if sum(len(p) for p in parts[lo : hi + 1]) <= room:
            return lo, hi
    return best, best


_VALUE = re.compile(r"\d+(?:\.\d+)?%?")


def _cut_chars(text: str, limit: int) -> str:
    """Cut one over-long clause before a CJK character or a space, never inside a Latin word or number."""
    cut = limit
    while cut > 0 and _word_char(text[cut - 1]) and _word_char(text[cut]):
        cut -= 1
    return text[: cut or limit]


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".%")


# A quotation in the question ("“从来有名士，不用无名钱”这首诗是谁写的"): the sentence repeating it
# locates the passage; the answer is usually beside it.
# A document's title in 《》 ("《关于支持人工智能创新发展的若干措施》提出…") likewise: it says where.
QUOTED = re.compile(r"[“「『\"《]([^”」』\"》]{4,})[”」』\"》]")


def split_context(question_norm: str, lead: str = "") -> tuple[str, str]:
    """(what is asked, its context): the question without its attribution ("X认为，") and its
    quotations of four or more characters, and those two, which locate the passage rather than
    the sentence."""
    asked = QUOTED.sub(" ", question_norm[len(lead) :])
    return asked, " ".join([lead, *QUOTED.findall(question_norm)]).strip()


def sentence_weights(weights: dict[str, float], asked: str, context: str = "",
                     focus: Sequence[str] = ()) -> dict[str, float]:
    """Term weights for choosing a sentence: terms only in the context (`split_context`) count
    less; the words next to the interrogative (`focus_words`: "诗人" in 出自宋代哪位诗人) count
    more, since the answer usually stands beside them."""
    out = {}
    for t, w in weights.items():
        if context and t in context and t not in asked:
            w *= CONTEXT_WEIGHT
        out[t] = w * (FOCUS_WEIGHT if t in focus else 1.0)
    return out
