"""What a question asks about: the words beside its interrogative, who it quotes, and whether a
text mentions a word or something close to it (a typo, a paraphrase, a relative time).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from content.clean import is_han
from retrieval.answer_types import CLAUSE_BREAK, is_type_word, states_a_date
from retrieval.stopwords import MEASURE_WORDS

_INTERROGATIVE = re.compile(
    r"多少[个家项款名位套件台年天次倍所人元钱]?|第?几[" + MEASURE_WORDS + r"号月]?|"
    r"多大|多长时间|多长|多久|多高|多远|"
    r"什么时候|何时|哪一年(?:哪一?月)?|哪一天|哪年|哪天|哪[一]?[个家位座种类些所条]|谁|什么|啥|何种|何处|何地|何人"
)


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
        # Keywords ("计量测试方案 财政投入 资金规模"): the last group says what is asked about,
        # or the one before when the last only says how ("温岭市 GDP 总量").
        groups = question_norm.split() if " " in question_norm.strip() else []
        for group in reversed(groups[-2:]):
            found = [w for w in words if w in group and not is_type_word(w)]
            if found:
                return "", max(found, key=len)
        return "", ""
    lo = max((b.end() for b in CLAUSE_BREAK.finditer(question_norm, 0, m.start())), default=0)
    nxt = CLAUSE_BREAK.search(question_norm, m.end())
    hi = nxt.start() if nxt else len(question_norm)
    before: tuple[int, int, str] | None = None
    after: tuple[int, int, str] | None = None
    for word in words:
        if is_type_word(word):
            continue
        start = question_norm.rfind(word, lo, m.start())
        if start >= 0 and (before is None or (start + len(word), len(word)) > before[:2]):
            before = (start + len(word), len(word), word)
        start = question_norm.find(word, m.end(), hi)
        if start >= 0 and (after is None or (-start, len(word)) > after[:2]):
            after = (-start, len(word), word)
    return (before[2] if before else ""), (after[2] if after else "")


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
_MEASURE_TAILS = "率额量值数度"


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
        return states_a_date(text_norm)
    if len(word) < 2 or not all(is_han(ch) for ch in word):
        return False
    total = sum(char_weight(ch) for ch in word)
    for other in text_words:
        if len(other) < 2 or other == word:
            continue
        # Same place, or the word's head as the other's tail (a verb-object "办案" for 案子, "举办"
        # for 办到); a tail turned head ("资源" for 工资) is too often another thing.
        shared = {word[0]} & {other[0], other[-1]} | {word[-1]} & {other[-1]}
        # The tail of a measure (率, 额, 量) says how, not what: 效率 is not 准确率.
        shared -= set(_MEASURE_TAILS) if word[-1] == other[-1] and word[0] != other[0] else set()
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
