"""What sort of name a word is: a place with its administrative level, or an organisation by its
suffix. Read by the decision (another name of the same kind answers for a different one) and by
follow-ups (a new name replaces the one of its kind)."""
from __future__ import annotations

from retrieval.index import Index
from retrieval.lexicon import ENTITY_SUFFIX

# The country itself: every document is about a place in it, whether it says so or not, so a
# question's 中国 asks for nothing a passage must name.
COUNTRY = frozenset({"中国", "我国", "国内", "全国", "中华人民共和国"})

# The province's eleven cities, which a dictionary may tag otherwise (嘉兴 as a person's name, 金华 as
# a term) and the documents may never write with 市: the documents' home ground is worth knowing.
_HOME_CITIES = frozenset("杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水".split())

_EVENT_HEADS = "节"

# Administrative levels by suffix: a province is not a rival of its cities, a town not of its villages.
_LEVELS = (("省", "自治区"), ("市", "州"), ("区", "县"), ("镇", "乡", "街道"), ("村", "社区"))


def name_kind(word: str, index: Index) -> str:
    """What sort of name this is: a place with its administrative level ("place1": a city), by its
    suffix or, for a place name without one, by the suffix the documents write it with (台州 as
    台州市); an organisation by its suffix ("大学"); a festival by its 节; "" when none tells."""
    for level, suffixes in enumerate(_LEVELS):
        if any(word.endswith(x) and len(word) - len(x) >= 2 for x in suffixes):
            return f"place{level}"
    if word in _HOME_CITIES:
        return "place1"
    if index.lexicon.tag(word) == "ns":
        for level, suffixes in enumerate(_LEVELS):
            if any(index.attested(word + x) for x in suffixes):
                return f"place{level}"
    m = ENTITY_SUFFIX.search(word)
    if m and len(word) - len(m.group()) >= 2:
        return m.group()
    # a festival or fair by its last character ("谢洋节", "开渔节"): one of a kind of events
    return word[-1] if len(word) >= 3 and word[-1] in _EVENT_HEADS else ""
