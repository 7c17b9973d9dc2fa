"""Stage 1, question analysis: everything later stages need to know about a question, read once.

`analyse` turns the typed text into a `Question`; passage search, sentence choice and the decision
read its fields and never parse the text again.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from content.clean import is_han
from retrieval import answer_types, homophones
from retrieval.extract import split_context
from retrieval.focus import attribution, focus_sides, is_time_word
from retrieval.lexicon import ENGLISH_TERMS, ENTITY_SUFFIX, PROPER_TAGS, STANDARD
from retrieval.normalize import normalize
from retrieval.stopwords import STOPWORDS, is_question_token
from retrieval.tokenize import bigrams, special_spans, strip_question_phrases, unique

if TYPE_CHECKING:
    from retrieval.index import Index

# A Latin name as typed: a capital or a digit ("TPT2", "DeepSeek-V3", "SGX"); plain lower-case
# English ("revenue", "training cost") names an attribute instead.
_LATIN_NAME = re.compile(r"[A-Za-z]*(?:[A-Z]|\d)[A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*")
# A translation in brackets: "魔搭社区（ModelScope）", "parameters（参数量）". Normalised text has
# ASCII brackets.
_LATIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\s*\(\s*[a-z][a-z0-9 .\-]*\)")
_CHINESE_GLOSS = re.compile(r"[a-z][a-z0-9.\-]{0,30}(?: [a-z][a-z0-9.\-]{0,30}){0,3} ?"
                            r"\(([\u4e00-\u9fff]{2,12})\)")
# A yes/no question: 是不是, 有没有, 能不能, 算不算, 是否, or a closing 吗 with no other interrogative.
_YES_NO = re.compile(r"是不是|有没有|有无|能不能|会不会|算不算|是否|可否|能否|行不行|对不对|.吗[？?！!。]?$"
                     r"|没有?[啊呀呢吧嘛]?[？?！!。]?$")
_NUMERALS_ONLY = re.compile(r"[一二三四五六七八九十]+")
_LANGUAGES = frozenset({"中文", "英文", "汉语", "英语", "外文", "外语"})
# An amount asked for: 多少钱, 多少资金, or a money noun with 多少 ("售价是多少"); "成本大幅降低"
# names money without asking an amount.
_MONEY = re.compile(r"多少钱|贵不贵|资金规模|投资规模|投资额"
                    r"|多少[^，。？?]{0,4}?(?:资金|经费|费用|钱|元|奖金|补贴|补助|工资|薪酬)"
                    r"|(?:售价|价格|价钱|金额|总额|费用|成本|投资|资金|投入|总投资"
                    # what firms and places earn or produce is stated in 元 ("营业收入超1万亿元")
                    r"|营业收入|营收|收入|利润|销售额|营业额|产值|生产总值|gdp)"
                    r"(?:一共|总共|共|全年)?(?:是|为|有|达|要|超过|超)?(?:多少|几)")
# Keywords ending on an amount of money ("中控技术 2024年 海外收入 金额"): an amount in 元 is asked.
_MONEY_KEYWORD = re.compile(
    r"(?:金额|总额|投资额|营业收入|营收|利润|销售额|营业额|预算|费用|价格|售价|成本)\s*$")
_DURATION_KEYWORD = re.compile(r"(?:时长|总时长|历时|用时|耗时|周期)\s*$")
_DATE_RANGE = re.compile(r"哪几天|哪些天|从哪天到哪天|哪几日|起止|哪段时间|什么时间段|几号到几号"
                         r"|哪年到哪年|哪一年到哪一年")
# Who: 谁, or the name of someone by their role ("院长叫什么名字", "负责人姓什么"), or a role asked
# as keywords ("国家数据局 现任局长").
# A post ending in 长 (院长, 局长), not a length or a growth (时长, 增长, 成长, 延长).
_ROLE = (r"(?:(?<![时增成延生擅专特漫修身全最加])长|主任|书记|负责人|创始人|董事长|总裁|总经理|经理|主席|院士"
         r"|教授|法官|首席执行官|ceo|作者|诗人)")
_PERSON = re.compile(rf"谁|何人|{_ROLE}(?:的)?(?:叫什么|叫啥|名字|姓什么|是哪位)")
_ROLE_KEYWORD = re.compile(rf"\s\S*{_ROLE}(?:\s+(?:姓名|名字|是谁))?$|\s(?:姓名|名字)$")
_ASKED_NOUN = re.compile(r"(?:哪个|哪座|哪家|哪所|哪一个|哪一座|哪一家|什么)([\u4e00-\u9fff]{2,3}?)"
                         r"(?=[?？的,，]|$)")
# A sentence that asks, however it is spaced ("charging 价格是怎么收的？"), is not a string of keywords.
_ASKING = re.compile(r"[?？]|怎么|怎样|如何|呢")
_WHICH_ONES = re.compile(r"哪几")
_LIST = re.compile(r"哪些|哪几|有什么|有啥|都有|哪[两二三四五六七八九十]")


@dataclass(frozen=True)
class Question:
    typed: str                                # normalised, as typed
    text: str                                 # normalised, pinyin typos read as the documents' words
    fixes: tuple[tuple[str, str], ...]        # (as typed, as read)
    tokens: tuple[tuple[str, str], ...]       # jieba's plain cut with part of speech ("" unknown)
    words: tuple[str, ...]                    # content words (search mode)
    bigrams: tuple[str, ...]
    weights: dict[str, float]                 # idf share of each word and bigram (each channel sums to 1)
    glosses: frozenset[str]                   # Latin glosses the documents never use: ignored
    subjects: tuple[str, ...]                 # names the question is about (places, organisations…)
    unknown_subjects: tuple[str, ...]         # of those, the ones no document mentions at all
    attribute: tuple[str, ...]                # what is asked of the subject, beside the interrogative
    kind: str | None                          # date, daterange, definition, reason, number, money, person,
    #                                           name, yesno (None: no interrogative)
    duration: bool                            # a number question asking how long
    unit: re.Pattern[str] | None              # a number in the asked unit ("多少亩"), or None
    is_list: bool
    expansions: dict[str, tuple[str, ...]]    # question word -> the documents' synonyms and full forms
    unknown_share: float                      # idf share of content words no document uses
    asked: str                                # the text without its attribution and quotations
    context: str                              # those two: they locate the passage, not the sentence
    keywords_only: bool                       # no interrogative at all ("计量 方案 资金规模")
    sides: tuple[str, str] = field(default=("", ""))  # the words before and after the interrogative

    has_content: bool = True                  # False for junk: only stopwords, or unknown Latin chatter


def analyse(typed_text: str, index: Index) -> Question:
    """The question analysis, from the raw text and the index's vocabulary and lexicon."""
    raw = typed_text if isinstance(typed_text, str) else str(typed_text)
    raw = join_spaced_latin(raw, index.attested_latin)
    typed = normalize(raw)
    fixes = index.typos(typed) + _which_typed_as_that(typed)
    text = without_translations(homophones.apply(typed, fixes))
    text = read_numbers(read_english(text, index.word_body.idf))
    tokenizer, lexicon = index.tokenizer, index.lexicon
    tokens = tuple((w, lexicon.tag(w)) for w, _, _ in tokenizer.spans(text))
    words = tuple(w for w in unique(tokenizer.words(text)) if not is_question_token(w))
    # jieba cuts a word it does not know into characters ("谢/洋/节"): a run of such characters
    # that the documents contain as written is a word of theirs.
    runs = _unsplit_runs(tokens, index)
    words += tuple(r for r in runs + _attested_parts(tokens, index) + _headed_words(tokens, index)
                   if r not in words)
    grams = tuple(unique(bigrams(strip_question_phrases(text))))
    glosses = _latin_unknowns(words, index) if any(is_han(ch) for ch in text) else frozenset()
    weights = _term_weights(words, grams, glosses, index)
    # A run of three or more is a name jieba does not know ("谢洋节"); two are more often a verb,
    # unless a place or organisation suffix follows ("坎门" + "街道").
    names = _subjects(raw, text, tokens, words, index) + tuple(r for r in runs if len(r) >= 3) \
        + _suffixed_runs(tokens, index)
    # "设在哪个城市": the noun after the interrogative is the kind of answer, not what is asked about
    asked_kind = {m.group(1) for m in _ASKED_NOUN.finditer(text)}
    subjects = tuple(n for n in dict.fromkeys(names) if n not in asked_kind)
    kind = _kind(text)
    # "是第六届吗": a yes/no question naming another of a series is answered by the one the
    # documents give (第七届: no)
    siblings = _unknown_numbered_names(text, index) if kind != "yesno" else ()
    unknown_subjects = tuple(s for s in subjects
                             if all(is_han(c) for c in s) and not _attested_anywhere(s, index)) \
        + _unknown_model_names(raw, text, index) + siblings
    asked, context = split_context(text, attribution(text))
    sides = focus_sides(text, words)
    attribute = tuple(w for w in dict.fromkeys(sides) if w and w not in subjects and not is_time_word(w)
                      and lexicon.tag(w) not in ("v", "vd", "vi") and not _inside_any(w, subjects))
    expansions = {w: n for w in words if (n := lexicon.neighbours(w))}
    for w in words:  # a question word the documents lack, written out in full somewhere ("浙大")
        if w not in index.word_body.idf and w not in expansions and all(is_han(c) for c in w):
            full = index.full_forms(w)
            if full:
                expansions[w] = full
    return Question(
        typed=typed, text=text, fixes=tuple((typed[f.start : f.end], f.word) for f in fixes),
        tokens=tokens, words=words, bigrams=grams, weights=weights, glosses=glosses,
        subjects=subjects, unknown_subjects=unknown_subjects, attribute=attribute, kind=kind,
        duration=kind == "number" and answer_types.is_duration_question(text),
        unit=answer_types.counted_as(text) if kind in ("number", None) else None,
        is_list=bool(_LIST.search(text)), expansions=expansions,
        unknown_share=_unknown_share(words, glosses, expansions, index), asked=asked, context=context,
        keywords_only=kind is None and " " in text.strip() and not _YES_NO.search(text)
        and not _ASKING.search(text), sides=sides,
        has_content=_has_content(text, words, grams, index),
    )


# English words among Chinese, longest first so "market share" wins over "share".
_ENGLISH_WORDS = sorted(map(re.escape, ENGLISH_TERMS), key=len, reverse=True)
_ENGLISH = re.compile(r"(?<![a-z])(?:" + "|".join(_ENGLISH_WORDS) + r")(?![a-z])")


_SPACED_LATIN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*) ([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9])")


def join_spaced_latin(text: str, known: Callable[[str], bool]) -> str:
    """"Hugging Face" as the documents write it, "HuggingFace": two Latin words run together when
    the documents use the joined word and not the first alone."""
    def joined(m: re.Match[str]) -> str:
        word = m.group(1) + m.group(2)
        return word if known(word.lower()) and not known(m.group(1).lower()) else m.group()
    return _SPACED_LATIN.sub(joined, text)


def read_english(text: str, vocabulary: Container[str]) -> str:
    """A Chinese question's English attribute words read as the documents' Chinese ones ("revenue"
    as 营业收入), unless the documents use the English word themselves."""
    if not text.isascii() and _ENGLISH.search(text):
        return _ENGLISH.sub(lambda m: m.group() if m.group() in vocabulary else ENGLISH_TERMS[m.group()],
                            text)
    return text


_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}
_MONTHS = "|".join(sorted(_DIGITS, key=len, reverse=True))
_FIRST_MONTHS = re.compile(rf"(?:前|头)({_MONTHS}|\d{{1,2}})个月")
_MONTH = re.compile(rf"(?<![\d一二三四五六七八九十哪几每])({_MONTHS})月(?:份)?")


def read_numbers(text: str) -> str:
    """Spans of months as the documents write them: "前八个月" (头八个月) is 1—8月, "七月份" is 7月."""
    def month(m: re.Match[str]) -> str:
        return str(_DIGITS.get(m.group(1)) or m.group(1))

    text = _FIRST_MONTHS.sub(lambda m: f"1—{month(m)}月", text)
    return _MONTH.sub(lambda m: f"{month(m)}月", text)


def without_translations(text: str) -> str:
    """The question with each bracketed translation resolved to its Chinese side."""
    if "(" not in text:
        return text
    return _CHINESE_GLOSS.sub(r"\1", _LATIN_GLOSS.sub("", text))


# "什么门槛", "啥比例", "什么市值门槛": an amount asked with a name's interrogative.
_WHAT_AMOUNT = re.compile(r"(?:什么|啥)[\u4e00-\u9fff]{0,3}?"
                          r"(?:门槛|上限|下限|比例|比重|占比|份额|额度|预算|金额|数额|规模)")


# "是那个领域的？", "通过那些方式": 那 typed for 哪 (both na), in a last clause asking nothing else.
_THAT = re.compile(r"那(?=[个位天年些种家类])")
_ASKS = re.compile(r"哪|什么|谁|几|多少|怎么|怎样|如何|吗|呢|啥|何|是否|是不是|有没有|多久|多长|多大|么")


def _which_typed_as_that(typed: str) -> list[homophones.Fix]:
    last = re.split(r"[，,。；;]", typed.rstrip("?？!！ "))[-1]
    at = len(typed.rstrip("?？!！ ")) - len(last)
    m = _THAT.search(last)
    if m is None or _ASKS.search(last):
        return []
    return [homophones.Fix(at + m.start(), at + m.end(), "哪")]


def _kind(text: str) -> str | None:
    """The answer type: the first cue of answer_types, refined into money, a date range, yes/no."""
    kind = answer_types.answer_type(text)
    if _DATE_RANGE.search(text) and kind in (None, "name", "number", "date"):
        return "daterange"
    if kind == "number" and _WHICH_ONES.search(text):
        return "name"  # 哪几项 asks which ones, not how many
    if kind is None and " " in text.strip() and _DURATION_KEYWORD.search(text):
        return "number"  # "阅兵纪念大会 持续 时长": how long, as keywords
    keywords_of_money = " " in text.strip() and _MONEY_KEYWORD.search(text)
    if kind in ("number", None) and (_MONEY.search(text) or keywords_of_money):
        return "money"
    if kind is None and _YES_NO.search(text):
        return "yesno"
    if kind == "name" and _PERSON.search(text):
        return "person"
    if kind == "name" and _WHAT_AMOUNT.search(text):
        return "number"  # 有什么市值门槛: a threshold is an amount, whatever asks it
    if kind is None and " " in text and _ROLE_KEYWORD.search(text.rstrip("?？ ")):
        return "person"
    return kind


def _subjects(raw: str, text: str, tokens: tuple[tuple[str, str], ...], words: tuple[str, ...],
              index: Index) -> tuple[str, ...]:
    """Names in the question: proper nouns by jieba's tags, words with a place or organisation
    suffix, and Latin names as typed (a capital or a digit)."""
    out: list[str] = []
    for word, tag in tokens:
        if len(word) < 2 or word in STOPWORDS:
            continue
        # a language ("中文全称", "英文名") says how a name is written, not what is asked about
        named = (tag in PROPER_TAGS or tag == "nr" or word in index.lexicon.names) and word not in _LANGUAGES
        # "温州市人工智能局" by its suffix, but not a common noun ("子公司", "地级市").
        suffixed = len(word) >= 3 and tag != "n" and ENTITY_SUFFIX.search(word) \
            and len(ENTITY_SUFFIX.sub("", word)) >= 2
        if named or suffixed:
            out.append(word)
    typed_latin = {m.group().lower() for m in _LATIN_NAME.finditer(unicode_nfkc(raw)) if len(m.group()) >= 2}
    for m in special_spans(text):
        token = m.group()
        # A Latin name the documents never use is taken for a gloss of the Chinese around it.
        if token in typed_latin and not token.isdigit() and not re.fullmatch(r"[\d.]+%?\D?", token) \
                and token not in STANDARD and index.attested_latin(token):
            out.append(token)
    return tuple(dict.fromkeys(out))


# A product or model name as typed: letters with a digit ("DeepSeek-V3", "GPT-5", "Qwen2.5"), not
# an English word, nor "Q1", "5G" or a rank ("Top3").
MODEL_NAME = re.compile(r"(?i)(?!top\d|no\.?\d)"
                         r"(?:[a-z][a-z.-]*[a-z][a-z.-]*\d[a-z0-9.-]*|[a-z]+-[a-z]?\d[a-z0-9.]*)")


def _unknown_model_names(raw: str, text: str, index: Index) -> tuple[str, ...]:
    """Product and model names the question gives and no document mentions: the documents say
    nothing of them, whatever they say of their neighbours (R1's cost is not V3's)."""
    typed = {m.group().lower().strip(".-") for m in MODEL_NAME.finditer(unicode_nfkc(raw))}
    return tuple(m.group() for m in special_spans(text) if m.group() in typed
                 and not index.attested_latin(m.group()) and not index.mentioned(m.group())
                 and m.group() not in index.lexicon.aliases)


# A Chinese name with a number ("领航者1号", "智算中心四期"), or an edition ("第十六届智博会"):
# one of a series.
_NUMBER = r"(?:\d+|[一二三四五六七八九十百]+)"
_NUMBERED_NAME = re.compile(rf"([\u4e00-\u9fff]{{2,8}}?)({_NUMBER})(号|代|期|版|型)")
_EDITION = re.compile(rf"第{_NUMBER}届([\u4e00-\u9fff]{{2,4}})")
# A later batch or phase of something: "下一批卫星", "第二批卫星", "第三期工程".
_LATER_BATCH = re.compile(r"((?:下一|第[二三四五六七八九十])[批期轮])(?:的)?([\u4e00-\u9fff]{2})")
# An anniversary of an event ("抗战胜利70周年"): the 80th's parade is not the 70th's.
_ANNIVERSARY = re.compile(rf"([\u4e00-\u9fff]{{2}})({_NUMBER})周年")


def _unknown_numbered_names(text: str, index: Index) -> tuple[str, ...]:
    """One of a series the documents give other members of but not this one: what they say of
    领航者2号 is not about 领航者1号, nor the fifteenth expo's venue the sixteenth's, nor the 80th
    anniversary's parade the 70th's."""
    out = []
    for m in _NUMBERED_NAME.finditer(text):
        # the number shortly after the name's end, as the documents may write it ("智算中心项目三期")
        tail = re.escape(m.group(1)[-2:])
        this = re.compile(rf"{tail}.{{0,6}}?{re.escape(m.group(2))}{m.group(3)}")
        other = re.compile(rf"{tail}.{{0,6}}?{_NUMBER}{m.group(3)}")
        if index.attested(m.group(1)) and not index.matches(this) and index.matches(other):
            out.append(m.group())
    for m in _EDITION.finditer(text):
        if not index.mentioned(m.group()) and index.matches(re.compile(rf"第{_NUMBER}届{m.group(1)}")):
            out.append(m.group())
    for m in _LATER_BATCH.finditer(text):  # "下一批卫星", "第二批卫星": the documents tell of the first
        if not index.matches(re.compile(rf"{re.escape(m.group(1))}.{{0,8}}?{re.escape(m.group(2))}")):
            out.append(m.group())
    for m in _ANNIVERSARY.finditer(text):
        event = re.escape(m.group(1))
        if not index.matches(re.compile(rf"{event}{re.escape(m.group(2))}周年")) \
                and index.matches(re.compile(rf"{event}{_NUMBER}周年")):
            out.append(m.group()[2:])
    return tuple(out)


def _single_character_runs(tokens: tuple[tuple[str, str], ...]) -> list[str]:
    """Runs of single characters (not stopwords): where jieba cut a word it does not know."""
    runs, run = [], ""
    for word, _ in (*tokens, ("", "")):
        if len(word) == 1 and is_han(word) and word not in STOPWORDS:
            run += word
            continue
        if run:
            runs.append(run)
        run = ""
    return runs


def _unsplit_runs(tokens: tuple[tuple[str, str], ...], index: Index) -> tuple[str, ...]:
    """Runs of 2 to 6 single characters that some passage contains."""
    return tuple(run for run in _single_character_runs(tokens) if 2 <= len(run) <= 6 and index.attested(run))


def _attested_parts(tokens: tuple[tuple[str, str], ...], index: Index) -> tuple[str, ...]:
    """Of a run of single characters the documents do not contain whole, its longest part they do,
    the end first: a modifier comes first in Chinese ("总" + "营收")."""
    out: list[str] = []
    for run in _single_character_runs(tokens):
        if 3 <= len(run) <= 6 and not index.attested(run):
            found = next((run[start : start + size] for size in range(len(run) - 1, 1, -1)
                          for start in range(len(run) - size, -1, -1)
                          if index.attested(run[start : start + size])), "")
            if found:
                out.append(found)
    return tuple(out)


def _headed_words(tokens: tuple[tuple[str, str], ...], index: Index) -> tuple[str, ...]:
    """A word and the office character jieba cut off after it, when the documents write them as
    one ("人工智能" + "局"): the office is the thing asked about, the rest only qualifies it."""
    return tuple(w + c for (w, _), (c, _) in zip(tokens, tokens[1:], strict=False)
                 if len(w) >= 2 and c in _OFFICE_HEADS and all(is_han(x) for x in w)
                 and not is_question_token(w) and w not in STOPWORDS and index.attested(w + c))


# Heads of names of offices and institutions: 局, 厅, 委, 办, 院, 所, 馆, 署, 处.
_OFFICE_HEADS = frozenset("局厅委办院所馆署处")


def _suffixed_runs(tokens: tuple[tuple[str, str], ...], index: Index) -> tuple[str, ...]:
    """Runs of 2 to 4 single characters followed by a place or organisation suffix ("坎门街道"),
    without leading characters the documents do not write before the rest ("办" of 办强村公司), or
    by a word the documents write them with before a legal form (友道化学, of 友道化学有限公司)."""
    out: list[str] = []
    run = ""
    for word, _ in tokens:
        suffix = ENTITY_SUFFIX.fullmatch(word) is not None
        if 2 <= len(run) <= 4 and suffix:  # "坎门" + "街道", "楚门" + "镇"
            name = run + word
            while len(name) - len(word) > 1 and not index.attested(name) and index.attested(name[1:]):
                name = name[1:]
            out.append(name)
            run = ""
            continue
        if len(word) == 1 and is_han(word) and word not in STOPWORDS:
            # a suffix ending the name before ("玉环" + "市") starts no new one
            run += word if run or not suffix else ""
            continue
        # a company's short name: "友道" + "化学", which the documents write before 有限公司
        short = run + word
        if 2 <= len(run) <= 4 and len(word) >= 2 and any(index.attested(short + f) for f in _LEGAL_FORMS):
            out.append(short)
        run = ""
    return tuple(out)


_LEGAL_FORMS = ("有限公司", "股份有限公司", "集团")


def unicode_nfkc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def _inside_any(word: str, names: tuple[str, ...]) -> bool:
    return any(word != n and word in n for n in names)


def _attested_anywhere(name: str, index: Index) -> bool:
    """Whether any document mentions the name, a full form of it, or its stem ("温州" of 温州市)."""
    if not all(is_han(ch) for ch in name):
        return name in index.word_body.idf or name in index.lexicon.aliases or index.attested_latin(name)
    if index.attested(name) or name in index.lexicon.aliases or index.full_forms(name):
        return True
    # A short form of something written out ("团省委" for 共青团浙江省委) shares half its pairs.
    pairs = [name[i : i + 2] for i in range(len(name) - 1)]
    if len(pairs) > 1 and sum(p in index.bi_body.idf for p in pairs) * 2 >= len(pairs):
        return True
    stem = ENTITY_SUFFIX.sub("", name)
    return len(stem) >= 2 and stem != name and index.attested(stem)


def _latin_unknowns(words: tuple[str, ...], index: Index) -> frozenset[str]:
    """Latin words the documents never use, with no known full form, in a Chinese question: a gloss
    or an English word for what the Chinese says; weighed as nothing."""
    return frozenset(w for w in words if w.isascii() and w not in index.word_body.idf
                     and w not in index.lexicon.aliases)


def _term_weights(words, grams, glosses, index: Index) -> dict[str, float]:
    """idf of each question term (words and bigrams, each channel summing to 1); unknown terms get
    the highest idf: a word the documents never use is exactly what they do not answer."""
    out: dict[str, float] = {}
    for terms, table in ((words, index.word_body.idf), (grams, index.bi_body.idf)):
        terms = [t for t in terms if t not in glosses]
        if not terms:
            continue
        top = table.max
        raw = {t: table.get(t, top) for t in terms}
        total = sum(raw.values()) or 1.0
        for t, w in raw.items():
            out[t] = out.get(t, 0.0) + w / total
    return out


def _unknown_share(words, glosses, expansions, index: Index) -> float:
    """Share of the question's idf weight in words the documents never use, even as bigrams, nor
    through a synonym or full form ("火星", "天气"): a question mostly about such things is about
    something else."""
    # numerals alone ("九三" for the 3 September parade, "五一") are dates or counts, not topics
    words = [w for w in words if w not in glosses and not _NUMERALS_ONLY.fullmatch(w)]
    words = [w for w in words if not any(w != o and w in o for o in words)]
    top = index.word_body.idf.max
    weights = {w: index.word_body.idf.get(w, top) for w in words}
    # a title's or heading's own phrase ("四个强化") is known too
    # a word saying how a thing is measured ("份额") is no topic of its own: any share answers it
    unknown = sum(weights[w] for w in words if w not in answer_types.MEASURE_NOUNS
                  and w not in index.word_body.idf and w not in index.word_field.idf and not expansions.get(w)
                  and not _bigrams_known(w, index))
    return unknown / (sum(weights.values()) or 1.0)


def _bigrams_known(word: str, index: Index) -> bool:
    grams = [word[i : i + 2] for i in range(len(word) - 1)] or [word]
    return all(g in index.bi_body.idf for g in grams)


def _has_content(text: str, words, grams, index: Index) -> bool:
    """False for junk: nothing but stopwords ("的的的了了吗"), or Latin-only chatter the documents
    never mention ("bonjour comment ça va"; "DeepSeek R1" is content)."""
    if any(is_han(ch) for ch in text):
        return bool(words) or any(g in index.bi_body.idf and not all(c in STOPWORDS for c in g)
                                  for g in grams)
    # A bare number ("0", "2025") asks nothing.
    latin = [w for w in words if any(c.isalpha() for c in w)]
    return sum(w in index.word_body.idf for w in latin) * 2 >= len(latin) > 0
