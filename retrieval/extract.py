"""Extractive answers: the one or two sentences of the best passages that answer the question.

Pure functions over normalised text; the weights come from the index's idf tables.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.stopwords import MEASURE_WORDS

MAX_ANSWER_CHARS = 120
SOFT_LIMIT = 60

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”’」』\"')）])|(?<=[。！？!?；;][”’」』\"')）])|\n+")
_CLAUSE_END = re.compile(r"(?<=[，,、：:；;。！？!?])")

# Answer types, recognised from the question (normalised, Simplified).
_TYPE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"何时|何日|何年|何月|哪月|哪日|几时|哪年|哪一年|哪天|哪一天|什么时候|啥时候"
                        r"|几月|几号|日期|哪个月|年份|年代")),
    ("definition", re.compile(r"指的是什么|是指什么|指什么|什么意思|啥意思|的含义|的定义|什么叫|什么是")),
    ("reason", re.compile(r"为什么|为何|原因|凭什么|怎么会|缘何|难题|短板|痛点|卡在|靠什么")),
    ("number", re.compile(
        r"多少|第?几[" + MEASURE_WORDS + r"]"
        r"|规模|比例|占比|多大|多长|多久|多高|多远|增长|同比|数量|金额|总量")),
    ("name", re.compile(r"谁|哪家|哪位|哪个|哪些|哪座|哪种|哪一|什么|叫啥|名字|名称|哪里|何地|何种")),
)

# An explicit request for a name, which no earlier interrogative overrides.
_NAME_REQUEST = re.compile(r"叫什么|叫啥|名字|名称|什么名")

_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+(?:个|家|项|款|名|位|套|倍|成|年|天|小时)"
                     r"|[一二三四五六七八九十百千]分之[一二三四五六七八九十]")  # 三分之二, 百分之五
_DATE = re.compile(r"\d{2,4}年|\d{1,2}月|\d{1,2}日|年底|年初|年末|上半年|下半年|今年|去年|明年")
_NAME = re.compile(
    r"公司|集团|局|委员会|部|厅|院|大学|实验室|协会|中心|平台|[“「《][^”」》]{2,20}[”」》]|叫|名为|称为")
_REASON = re.compile(
    r"因为|由于|原因|为了|因此|所以|导致|使得|面临|难题|问题|困境|瓶颈|短板|缺乏|缺少|不足|在于|得益于|归功于|依靠|通过")

# Calendar dates are not quantities: "5月28日" must not answer "多少".
_DATE_ONLY = re.compile(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}月|\d{1,2}日")

_GIVEN_NUMBER = re.compile(r"\d+(?:\.\d+)?%?\S?")

_TYPE_PATTERNS = {"number": _NUMBER, "date": _DATE, "name": _NAME, "reason": _REASON}


def answer_type(question: str) -> str | None:
    """The kind of answer a question asks for: date, definition, reason, number, name, or None.

    The first cue in `_TYPE_CUES` order wins, except that an explicit request for a name in a later
    clause does ("跟几家伙伴一起发起的那个倡议，名字叫什么": 几家 only describes the initiative)."""
    for kind, cue in _TYPE_CUES:
        m = cue.search(question)
        if m:
            later = _CLAUSE_BREAK.search(question, m.end())
            if kind != "name" and later and _NAME_REQUEST.search(question, later.end()):
                return "name"
            return kind
    return None


# What organisations are called: an answer to 哪家 names one of these.
_ORGANISATION = re.compile(
    r"公司|集团|企业|银行|机构|平台|协会|研究院|实验室|大学|学院|医院|法院|中心|局|厅|部|委")


def names_an_organisation(sentence_norm: str) -> bool:
    return bool(_ORGANISATION.search(sentence_norm))


def has_answer_type(sentence_norm: str, kind: str | None, question_norm: str = "") -> bool:
    """Whether a sentence can answer a question of this kind: a number for 多少, a date for 何时,
    other than the numbers the question itself gives ("80周年" in "80周年大会检阅了多少个方队").
    Names and reasons are too varied to check (a reason is often implicit), so any sentence passes."""
    if kind == "reason":
        return bool(_REASON.search(sentence_norm) or _CAUSE.search(sentence_norm))
    if kind == "number" and is_duration_question(question_norm):
        return bool(_DURATION.search(sentence_norm))
    if kind not in ("number", "date"):
        return True
    for given in _GIVEN_NUMBER.findall(question_norm):
        sentence_norm = sentence_norm.replace(given, " ")
    if kind == "number":
        return bool(_NUMBER.search(_DATE_ONLY.sub(" ", sentence_norm)))
    return bool(_DATE.search(sentence_norm))


# Cues for reranking passages (not for choosing sentences): how texts state a duration or a cause
# without the question's words ("历时1小时10分钟" for 持续多久, "受…之困" for 原因).
_DURATION_QUESTION = re.compile(r"多久|多长时间|多少时间|持续|历时|耗时|用时|几个小时|几小时|多少天|几天")
_DURATION = re.compile(r"(?:(?<![\d.])\d{1,3}(?:\.\d+)?|[一二三四五六七八九十两半几数]+)(?:个)?"
                       r"(?:小时|分钟|秒钟|天|周(?!年)|星期|个月|年(?![\d底初末]))|历时|为期|持续了|用时|耗时")
_CAUSE = re.compile(r"由于|因为|原因|导致|致使|以致|受[^，。；]{0,16}(?:之困|影响|制约|限制|困扰)"
                    r"|之困|制约|受限|掣肘|困于|源于|缘于|根源|瓶颈|短板|缺乏|缺少|困境|在于"
                    # a purpose answers "为什么要…" as well as a cause does
                    r"|旨在|寓意|目的是|意在|以便")


# A duration stated as one ("历时1小时26分钟", "为期14天", "耗时长达3个月"), not just a span of
# time in passing ("14年可歌可泣的抗战历程").
_STATED_DURATION = re.compile(r"(?:历时|为期|耗时|用时|历经|持续了?|长达)(?:约|近|超过?|长达|仅)?"
                              r"(?:\d|[一二三四五六七八九十两半数几])")


def states_duration(sentence_norm: str) -> bool:
    return bool(_STATED_DURATION.search(sentence_norm))


# How a text defines a term: "人工智能关联数据是指用于训练…的各种信息集合".
_DEFINES = re.compile(r"是指|指的是|即是|定义为|所谓|意思是|是一种|又称|简称")


# The measure word a number question asks in ("多少亩", "几名", "几个人"), and the ones that count
# the same thing: people are counted in 名, 位 and 人 alike. 个 alone counts anything: not used.
_ASKED_UNIT = re.compile(r"(?:多少|几)个?([" + MEASURE_WORDS.replace("个", "") + r"])")
_SAME_UNIT = {"人": "人名位", "名": "名位人", "位": "位名人"}


def counted_as(question_norm: str) -> re.Pattern[str] | None:
    """A pattern for a number in the unit the question asks about, or None."""
    m = _ASKED_UNIT.search(question_norm)
    if not m:
        return None
    units = _SAME_UNIT.get(m.group(1), m.group(1))
    return re.compile(r"(?:\d|[一二三四五六七八九十百千万两])(?:余|多)?[" + units + "]")


def is_duration_question(question_norm: str) -> bool:
    """持续多久, 多长时间: the duration is what is asked about, whatever verb the text uses."""
    return bool(_DURATION_QUESTION.search(question_norm))


def passage_cue(kind: str | None, question_norm: str) -> Callable[[str], bool] | None:
    """A test that a passage holds the kind of answer asked for, or None when any passage may."""
    if kind == "number" and is_duration_question(question_norm):
        return lambda text: bool(_DURATION.search(text))
    if kind == "reason":
        return lambda text: bool(_CAUSE.search(text))
    if kind in ("number", "date"):
        return lambda text: has_answer_type(text, kind, question_norm)
    return None


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
# Sentences that point back to the one before ("这是全省首个…"): alone they do not say who or what.
_ANAPHOR = re.compile(r"^(?:这|那|该|此|其|它|他|她|上述)")


def score_sentence(sentence_norm: str, weights: dict[str, float], typed: bool,
                   question_norm: str = "") -> float:
    """IDF-weighted overlap of the question's terms, plus bonuses when the sentence has the answer
    type and when it repeats a longer phrase of the question word for word."""
    overlap = sum(w for term, w in weights.items() if term in sentence_norm)
    total = sum(weights.values()) or 1.0
    phrase = max(0, longest_shared_run(question_norm, sentence_norm) - PHRASE_MIN + 1) if question_norm else 0
    return overlap / total + (TYPE_BONUS if typed else 0.0) + PHRASE_WEIGHT * phrase


def longest_shared_run(question_norm: str, sentence_norm: str) -> int:
    """Length of the longest run of question characters whose every bigram is in the sentence:
    a cheap stand-in for the longest common phrase ("挂牌的人工智能局")."""
    grams = {sentence_norm[i : i + 2] for i in range(len(sentence_norm) - 1)}
    best = run = 0
    for i in range(len(question_norm) - 1):
        pair = question_norm[i : i + 2]
        run = run + 1 if pair in grams and is_cjk_pair(pair) else 0
        best = max(best, run)
    return best + 1 if best else 0


def is_cjk_pair(pair: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in pair)


def pick_sentences(
    passages: Sequence[str], weights: dict[str, float], kind: str | None,
    normalize: Callable[[str], str], passage_weights: Sequence[float] = (), contexts: Sequence[str] = (),
    question_norm: str = "",
) -> list[Scored]:
    """Candidate sentences of the given passages, best first.

    `passage_weights` (1.0 for the top passage, less for the next ones) favour the passage the
    ranking trusts most; `contexts` (normalised title and headings) down-weight terms they contain.
    """
    out: list[Scored] = []
    # "X认为，…": a phrase shared with who said it locates the passage, not the answering sentence.
    asked = question_norm[len(attribution(question_norm)) :]
    sentences = [[(s, normalize(s)) for s in split_sentences(text)] for text in passages]
    # "补种了多少亩": a number of 亩 answers it, where any candidate has one; another number does not.
    counted = counted_as(question_norm) if kind == "number" else None
    if counted is not None and not any(counted.search(n) for group in sentences for _, n in group):
        counted = None
    for rank, group in enumerate(sentences):
        pw = passage_weights[rank] if rank < len(passage_weights) else 1.0
        context = contexts[rank] if rank < len(contexts) else ""
        local = {t: w * (CONTEXT_WEIGHT if t in context else 1.0) for t, w in weights.items()}
        for pos, (sentence, norm) in enumerate(group):
            typed = is_typed(norm, kind, question_norm) and (counted is None or bool(counted.search(norm)))
            score = score_sentence(norm, local, typed, asked)
            if kind == "number" and states_duration(norm) and is_duration_question(question_norm):
                score += TYPE_BONUS
            score *= pw
            out.append(Scored(sentence, score, rank, pos, typed))
    out.sort(key=lambda c: (-c.score, c.passage_rank, c.position))
    return out


def is_typed(sentence_norm: str, kind: str | None, question_norm: str = "") -> bool:
    """Whether a sentence plainly holds the kind of answer asked for: a number or date, or a cause
    stated as one ("由于…", "受…之困"); the looser reason words of `has_answer_type` ("通过",
    "问题") mark too many sentences to prefer them."""
    if kind in ("number", "date"):
        return has_answer_type(sentence_norm, kind, question_norm)
    # A cause word the question itself uses ("原因" in 查明事故原因) echoes it rather than answers.
    if kind == "definition":
        return bool(_DEFINES.search(sentence_norm))
    return kind == "reason" and any(m.group() not in question_norm for m in _CAUSE.finditer(sentence_norm))


def choose(candidates: Sequence[Scored], kind: str | None) -> Scored | None:
    """The best sentence; for number and date questions, the best one that has a number or date,
    unless it scores far below the best sentence overall."""
    if not candidates:
        return None
    best = candidates[0]
    if kind in ("number", "date", "definition") and not best.typed:
        typed = next((c for c in candidates if c.typed), None)
        if typed is not None and typed.score >= TYPED_SHARE * best.score:
            return typed
    return best


def with_neighbour(best: Scored, candidates: Sequence[Scored], limit: int = MAX_ANSWER_CHARS) -> str:
    """A short best sentence joined with its better-scoring neighbour in the same passage, if both
    fit; a sentence opening on "这是…"/"该…" with the sentence it points back to (trimmed later)."""
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
    if kind in ("number", "date"):
        lo, hi = _anchor_with_typed(parts, norms, scores, kind, question_norm, room, focus)
    else:
        lo, hi = _best_run(parts, [{t for t in weights if t in n} for n in norms], weights, room)
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
    if not typed or best in typed:
        return best, best
    on_focus = {i for i in typed if any(w and mentions(norms[i], w) for w in focus)}
    for t in sorted(typed, key=lambda i: (i not in on_focus, abs(i - best), i > best)):
        lo, hi = min(best, t), max(best, t)
        if sum(len(p) for p in parts[lo : hi + 1]) <= room:
            return lo, hi
    return best, best


def _cut_chars(text: str, limit: int) -> str:
    """Cut one over-long clause before a CJK character or a space, never inside a Latin word or number."""
    cut = limit
    while cut > 0 and _word_char(text[cut - 1]) and _word_char(text[cut]):
        cut -= 1
    return text[: cut or limit]


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".%")


_INTERROGATIVE = re.compile(
    r"多少[个家项款名位套件台年天次倍所人元钱]?|第?几[" + MEASURE_WORDS + r"号月]?|"
    r"多大|多长时间|多长|多久|多高|多远|"
    r"什么时候|何时|哪一年|哪一天|哪年|哪天|哪[一]?[个家位座种类些所条]|谁|什么|啥"
)
_CLAUSE_BREAK = re.compile(r"[，,。；;：:！!？?、“”\"]")


def focus_words(question_norm: str, words: Sequence[str]) -> list[str]:
    """Both sides of `focus_sides`, those present."""
    return [w for w in focus_sides(question_norm, words) if w]


def focus_sides(question_norm: str, words: Sequence[str]) -> tuple[str, str]:
    """The content words next to the interrogative, before and after it within its clause: what is
    asked about ("工资" in "一个月工资大概多少钱", "局长" and "担任" in "首任局长由谁担任"); for a
    string of keywords, the longest word of the last one (as "after"). "" for a missing side.
    Words naming the kind of answer ("比例", "规模") say how, not what, something is counted: skipped."""
    m = _INTERROGATIVE.search(question_norm)
    if not m:
        # Keywords ("计量测试方案 财政投入 资金规模"): the last group says what is asked about.
        last = question_norm.split()[-1] if " " in question_norm.strip() else ""
        found = [w for w in words if w in last and not _is_type_word(w)]
        return "", max(found, key=len, default="")
    lo = max((b.end() for b in _CLAUSE_BREAK.finditer(question_norm, 0, m.start())), default=0)
    nxt = _CLAUSE_BREAK.search(question_norm, m.end())
    hi = nxt.start() if nxt else len(question_norm)
    before: tuple[int, int, str] | None = None
    after: tuple[int, int, str] | None = None
    for word in words:
        if _is_type_word(word):
            continue
        start = question_norm.rfind(word, lo, m.start())
        if start >= 0 and (before is None or (start + len(word), len(word)) > before[:2]):
            before = (start + len(word), len(word), word)
        start = question_norm.find(word, m.end(), hi)
        if start >= 0 and (after is None or (-start, len(word)) > after[:2]):
            after = (-start, len(word), word)
    return (before[2] if before else ""), (after[2] if after else "")


def _is_type_word(word: str) -> bool:
    return any(cue.fullmatch(word) for _, cue in _TYPE_CUES)


# Spoken resultative complements and their written forms: "降到" is written "降至".
_WRITTEN = str.maketrans({"到": "至"})


def mentions(text_norm: str, word: str) -> bool:
    """The word itself or its written form, or more than half of its character bigrams (a typo:
    "阀值" for 阈值)."""
    if word in text_norm or word.translate(_WRITTEN) in text_norm:
        return True
    grams = [word[i : i + 2] for i in range(len(word) - 1)]
    return len(grams) > 1 and sum(g in text_norm for g in grams) * 2 > len(grams)


# Relative times ("去年", "这三年", "上半年"): the documents write them as dates ("2024年").
_TIME_WORD = re.compile(
    r"(?:去|今|明|前|近|本|当|同|上半|下半|[这近头前][一两三四五六七八九十几]?|[一两三四五六七八九十几]+)年"
    r"(?:来|间|以来)?|年[初底末中]|目前|现在|当前|如今|最近|近期")
# A paraphrase ("补种" for 补植, "案子" for 案件 or 办案, "第一批" for 首批) keeps the head or the
# tail of the word it stands for; that shared character must carry this share of the word's idf.
RESEMBLANCE = 0.4


def is_time_word(word: str) -> bool:
    return bool(_TIME_WORD.fullmatch(word))


def resembles(text_norm: str, word: str, char_weight: Callable[[str], float],
              text_words: Sequence[str] = ()) -> bool:
    """The text mentions the word, a date for a relative time, or a word of the text shares the
    word's first or last character ("补植" for 补种, "办案" for 案子), that character being rare
    enough to say what is meant: similarity without a synonym list."""
    if mentions(text_norm, word):
        return True
    if is_time_word(word):
        return bool(_DATE.search(text_norm))
    if len(word) < 2 or not all(is_cjk_pair(ch + ch) for ch in word):
        return False
    total = sum(char_weight(ch) for ch in word)
    for other in text_words:
        if len(other) < 2 or other == word:
            continue
        # Same place, or the word's head as the other's tail (a verb-object "办案" for 案子, "举办"
        # for 办到); a tail turned head ("资源" for 工资) is too often another thing.
        shared = {word[0]} & {other[0], other[-1]} | {word[-1]} & {other[-1]}
        if any(char_weight(ch) >= RESEMBLANCE * total for ch in shared):
            return True
    return False


# "东莞零售行业协会秘书长认为，…": who said it locates the passage, not the sentence that answers.
_ATTRIBUTION = re.compile(
    r"^(?:据|根据)?(.{2,40}?)(?:认为|觉得|表示|指出|强调|坦言|介绍|估计|透露|提到|称|说)[，,:：]")


def attribution(question_norm: str) -> str:
    """The opening "X认为，" / "据X介绍，" of a question, or ""."""
    m = _ATTRIBUTION.match(question_norm)
    return m.group(0) if m else ""


def sentence_weights(weights: dict[str, float], question_norm: str,
                     focus: Sequence[str] = ()) -> dict[str, float]:
    """Term weights for choosing a sentence: terms only in the attribution count as context; the
    words next to the interrogative (`focus_words`: "诗人" in 出自宋代哪位诗人) count more, since
    the answer usually stands beside them."""
    lead = attribution(question_norm)
    rest = question_norm[len(lead) :]
    out = {}
    for t, w in weights.items():
        if lead and t in lead and t not in rest:
            w *= CONTEXT_WEIGHT
        out[t] = w * (FOCUS_WEIGHT if t in focus else 1.0)
    return out
