"""What kind of answer a question asks for (a number, a date, a reason…) and whether a text holds one.

Pure functions over normalised, Simplified text: the cues are how questions ask and how the
documents state things, never the wording of particular questions.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.stopwords import MEASURE_WORDS

# Clause boundaries inside a question.
CLAUSE_BREAK = re.compile(r"[，,。；;：:！!？?、“”\"]")

# Answer types, recognised from the question (normalised, Simplified).
_TYPE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"何时|何日|何年|何月|哪月|哪日|几时|哪年|哪一年|哪天|哪一天|什么时候|啥时候"
                        r"|几月|几号|日期|哪个月|年份|年代")),
    ("definition", re.compile(r"指的是(?:做)?什么|指的是啥|是指什么|指什么|什么意思|啥意思|的含义|的定义"
                              r"|什么叫|什么是")),
    ("reason", re.compile(r"为什么|为何|为啥|原因|理由|缘由|凭什么|怎么会|缘何|难题|短板|痛点|靠什么"
                          r"|依据|什么缺陷|什么毛病|什么硬伤|什么问题|有啥毛病|起因|(?:什么|啥)(?:引起|导致|造成|引发|诱发)")),
    ("number", re.compile(
        r"多少|第?(?<![好十那这前头近])几[" + MEASURE_WORDS + r"]"
        r"|规模|比例|占比|多大|多长|多久|多高|多远|多重|多宽|多深|增长|同比|数量|金额|总量|几成|百分之几")),
    ("name", re.compile(r"谁|哪家|哪位|哪个|哪些|哪座|哪种|哪一|什么|叫啥|名字|名称|哪里|何地|何种"
                        r"|哪[两二三四五六七八九十]")),
)

# Number cues that are nouns, not interrogatives: they may only describe what is named.
_DESCRIBING_MEASURE = re.compile(r"规模|比例|占比|数量|金额|总量|增长|同比")
# An explicit request for a name, which no earlier interrogative overrides.
_NAME_REQUEST = re.compile(r"叫什么|叫啥|名字|名称|什么名"
                           # "要打造几张金名片，第一张是什么": an item of the list counted before
                           r"|(?:第|头)[一二三四五六七八九十][\u4e00-\u9fff]{0,4}?(?:是|叫)(?:什么|啥|哪)")
# "总量超7000万条的…是哪个领域的": which one, after a measure that describes it
_WHICH = re.compile(r"哪(?:个|些|位|家|种|类|一)|谁")

_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+(?:个|家|项|款|名|位|套|倍|成|年|天|小时|届|轮)"
                     r"|[一二三四五六七八九十百千]分之[一二三四五六七八九十]")  # 三分之二, 百分之五
_DATE = re.compile(r"\d{2,4}年|\d{1,2}月|\d{1,2}日|年底|年初|年末|上半年|下半年|今年|去年|明年")
_REASON = re.compile(
    r"因为|由于|原因|为了|因此|所以|导致|使得|面临|难题|问题|困境|瓶颈|短板|缺乏|缺少|不足|在于|得益于|归功于|依靠|通过")

# Calendar dates are not quantities: "5月28日" must not answer "多少".
_DATE_ONLY = re.compile(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}月|\d{1,2}日")

_GIVEN_NUMBER = re.compile(r"\d+(?:\.\d+)?%?\S?")

def answer_type(question: str) -> str | None:
    """The kind of answer a question asks for: date, definition, reason, number, name, or None.

    The first cue in `_TYPE_CUES` order wins, except that an explicit request for a name in a later
    clause does ("跟几家伙伴一起发起的那个倡议，名字叫什么": 几家 only describes the initiative)."""
    for kind, cue in _TYPE_CUES:
        m = cue.search(question)
        if m:
            later = CLAUSE_BREAK.search(question, m.end())
            if kind != "name" and later and _NAME_REQUEST.search(question, later.end()):
                return "name"
            # a measure that only describes ("规模最大的平台叫什么名字") asks no number
            if kind == "number" and _DESCRIBING_MEASURE.fullmatch(m.group()) \
                    and (_NAME_REQUEST.search(question, m.end()) or _WHICH.search(question, m.end())):
                return "name"
            return kind
    return None


# What organisations are called: an answer to 哪家 names one of these.
_ORGANISATION = re.compile(
    r"公司|集团|企业|银行|机构|平台|协会|研究院|实验室|大学|学院|医院|法院|中心|局|厅|部|委")


def names_an_organisation(sentence_norm: str) -> bool:
    return bool(_ORGANISATION.search(sentence_norm))


# An amount of money: "5000万元", "14.12万美元", "3800亿元", "三千元".
_MONEY = re.compile(r"(?:\d+(?:[.,]\d+)*|[一二三四五六七八九十百千两]+)(?:余|多)?[十百千万亿]*"
                    r"(?:元|美元|欧元|港元|日元|块)")
# A span of days: "5月23日至25日", "9月26—28日", "26日到28日".
_DATE_RANGE = re.compile(r"\d{1,2}(?:月\d{1,2})?日?(?:至|到|—|–|-|～|~)(?:\d{1,2}月)?\d{1,2}日")


def has_answer_type(sentence_norm: str, kind: str | None, question_norm: str = "") -> bool:
    """Whether a sentence can answer a question of this kind: a number for 多少, a date for 何时,
    other than the numbers the question itself gives ("80周年" in "80周年大会检阅了多少个方队").
    Names and reasons are too varied to check (a reason is often implicit), so any sentence passes."""
    if kind == "reason":
        return bool(_REASON.search(sentence_norm) or _CAUSE.search(sentence_norm))
    if kind == "number" and is_duration_question(question_norm):
        return bool(_DURATION.search(sentence_norm))
    if kind == "money":
        return bool(_MONEY.search(sentence_norm))
    if kind == "daterange":
        return bool(_DATE_RANGE.search(sentence_norm) or _DATE.search(sentence_norm))
    if kind not in ("number", "date"):
        return True
    for given in _GIVEN_NUMBER.findall(question_norm):
        sentence_norm = sentence_norm.replace(given, " ")
    if kind == "number" and "第几" in question_norm and _ORDINAL_GIVEN.search(sentence_norm):
        return True  # "全省第几个挂牌的": 首个 answers it
    if kind == "number" and _PEOPLE_COUNTED.search(question_norm):  # "受阅官兵总人数": people, not 80响
        return bool(_PEOPLE.search(sentence_norm))
    if kind == "number" and _ASKED_LONG_UNIT.search(question_norm):  # "多少平方公里": in that unit
        unit = counted_as(question_norm)
        return unit is not None and bool(unit.search(sentence_norm))
    if kind == "number":
        unit = counted_as(question_norm)  # "几次" is answered by "三次" as well as by "3次"
        return bool(_NUMBER.search(_DATE_ONLY.sub(" ", sentence_norm))
                    or (unit is not None and unit.search(sentence_norm)))
    return bool(_DATE.search(sentence_norm))


# Cues for reranking passages (not for choosing sentences): how texts state a duration or a cause
# without the question's words ("历时1小时10分钟" for 持续多久, "受…之困" for 原因).
_DURATION_QUESTION = re.compile(r"多久|多长时间|多少时间|持续|历时|耗时|用时|几个小时|几小时|多少天|几天"
                                r"|时长")
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
_ASKED_LONG_UNIT = re.compile(r"(?:多少|几)(平方公里|平方米|公顷|公里|千米|千瓦时|千瓦|立方米)")
# "那几天", "这几年" point at a time, they ask no count
_ASKED_UNIT = re.compile(r"(?:多少|(?<![那这前头近])几)个?([" + MEASURE_WORDS.replace("个", "") + r"])")
_SAME_UNIT = {"人": "人名位", "名": "名位人", "位": "位名人"}


# A place in an order: "首个", "首家", "第三", "第1个".
_ORDINAL_GIVEN = re.compile(r"首[个家位]|第[一二三四五六七八九十\d]+")
# A count of people asked by what they are ("多少官兵", "总人数"), and people counted in a text.
PEOPLE_NOUNS = "官兵|人员|员工|学生|职工|干部|党员|志愿者|运动员"
_PEOPLE_COUNTED = re.compile(rf"人数|多少(?:{PEOPLE_NOUNS})"
                             rf"|(?:{PEOPLE_NOUNS})[^，,。？?]{{0,10}}?(?:多少|几)个?人")
_PEOPLE = re.compile(r"(?:\d|[一二三四五六七八九十百千万两])(?:余|多)?万?(?:人|名|位)")


def counted_as(question_norm: str) -> re.Pattern[str] | None:
    """A pattern for a number in the unit the question asks about, or None."""
    if "几成" in question_norm or "百分之几" in question_norm:  # a share: "60%", "六成"
        return re.compile(r"\d(?:\.\d+)?%|[一二三四五六七八九十]成")
    long_unit = _ASKED_LONG_UNIT.search(question_norm)  # "多少平方公里": a number in square kilometres
    if long_unit:
        return re.compile(r"(?:\d|[一二三四五六七八九十百千万两])(?:余|多)?[万亿]?" + long_unit.group(1))
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
    if kind in ("number", "date", "money", "daterange"):
        return lambda text: has_answer_type(text, kind, question_norm)
    return None


# How a text states a verdict, for a yes/no question: "并非推倒重来", "不能盲目跟风" say no by
# themselves; "构成帮助侵权", "荣获第七届全国文明城市" say yes about what follows them, so the
# question's own words must follow within a few characters ("构成实质性近似" is no verdict on 侵权).
# A stage reached says where a thing stands ("即将全国推广" for 已经在全国铺开了吗).
_DENIAL = re.compile(r"不属于|并非|不是|并不|不能|不应|不宜|不得|无需|不必|唯一|没有|尚未|还未|暂无")
_AFFIRMATION = re.compile(r"认定|构成|属于|应当|必须|确实|的确|荣获|获评|被评为|被命名为|成功|首个|首家"
                          r"|即将|已经|已在|已于|正在")
_CHANGE = re.compile(r"变为|改为|转为|改成|变成|调整为|取消了?|废止|不再")
# How a yes/no question asks ("有没有", "是不是", "评上了没有"): its 没有 or 是 is no verdict it states.
_ASKING_YES_NO = re.compile(r"有没有|了没有?|没有[?？]?$")
VERDICT_REACH = 8


def is_typed(sentence_norm: str, kind: str | None, question_norm: str = "") -> bool:
    """Whether a sentence plainly holds the kind of answer asked for: a number or date, or a cause
    stated as one ("由于…", "受…之困"); the looser reason words of `has_answer_type` ("通过",
    "问题") mark too many sentences to prefer them."""
    if kind == "daterange":
        return bool(_DATE_RANGE.search(sentence_norm))
    if kind in ("number", "date", "money"):
        return has_answer_type(sentence_norm, kind, question_norm)
    # A cause word the question itself uses ("原因" in 查明事故原因) echoes it rather than answers.
    if kind == "definition":
        return bool(_DEFINES.search(sentence_norm)) or defines_asked_term(sentence_norm, question_norm)
    if kind == "yesno":
        return states_verdict(sentence_norm, question_norm)
    if kind == "reason" and _FINDING_ASKED.search(question_norm) and _FINDING.search(sentence_norm):
        return True
    return kind == "reason" and any(m.group() not in question_norm for m in _CAUSE.finditer(sentence_norm))


# Why a court or a body judged so ("为什么判平台构成帮助侵权", "为啥认定"): its finding gives the grounds
# ("二审认定被告…未履行合理的注意义务，构成帮助侵权").
_FINDING_ASKED = re.compile(r"判|认定|裁定|定性")
_FINDING = re.compile(r"认定|判定|裁定|判决|审理认为|法院认为")


# The term a definition question asks about: what comes before "的定义是什么", "是什么意思".
_DEFINED_TERM = re.compile(r"([\u4e00-\u9fff]{2,16}?)[”」』\"]?"
                           r"(?:的定义|的含义|是什么意思|是啥意思|什么意思|指的是|是指)")


def defines_asked_term(sentence_norm: str, question_norm: str) -> bool:
    """A sentence stating what the asked term is: the term, then 是 ("国家计量技术规范是…的技术规则")."""
    m = _DEFINED_TERM.search(question_norm)
    return bool(m) and f"{m.group(1)}是" in sentence_norm


def states_verdict(sentence_norm: str, question_norm: str) -> bool:
    """A denial, or an affirmation of something the question names, that the question does not
    itself say."""
    question_norm = _ASKING_YES_NO.sub(" ", question_norm)
    sentence_norm = _unquoted(sentence_norm)
    if any(m.group() not in question_norm for m in _DENIAL.finditer(sentence_norm)):
        return True
    asked = {question_norm[i : i + 2] for i in range(len(question_norm) - 1)}

    def on_asked(at: int) -> bool:
        return any(sentence_norm[i : i + 2] in asked for i in range(at, at + VERDICT_REACH))

    if any(m.group() not in question_norm and on_asked(m.end())
           for m in _AFFIRMATION.finditer(sentence_norm)):
        return True
    # "由审批制变为备案制": a change of what is asked about says whether it still holds
    return any(m.group() not in question_norm and on_asked(max(0, m.start() - VERDICT_REACH))
               for m in _CHANGE.finditer(sentence_norm))


def _unquoted(sentence_norm: str) -> str:
    """The sentence without what it quotes, a slogan's "必须" or "不能" being no verdict; a quote
    open at either end of the sentence (it was split inside one) runs to that end."""
    closing, opening = sentence_norm.find("”"), sentence_norm.find("“")
    if closing >= 0 and (opening < 0 or closing < opening):
        sentence_norm = sentence_norm[closing + 1 :]
    if sentence_norm.startswith("“") and "”" not in sentence_norm:
        return sentence_norm[1:]  # a speech quoted whole, not a slogan inside a sentence
    return re.sub(r"“[^”]*(?:”|$)", " ", sentence_norm)


def states_a_date(text_norm: str) -> bool:
    """A year, month, day or relative year ("年底", "去年") in the text."""
    return bool(_DATE.search(text_norm))


# Nouns that say how something is measured, not what: any amount answers "资金是多少", any number
# "上限是多少", so they are not the counted thing a sentence must name.
MEASURE_NOUNS = frozenset("""
资金 费用 金额 总额 钱 数量 人数 总数 规模 总量 数目 数额 额度 时间 时长 比例 比重 占比
份额 上限 下限 水平 成本 开支 花费 时刻 起止 时间跨度 跨度 期限 预算 关口 大关 门槛
体量 市场份额 占有率 市场占有率 重量 高度 长度 面积 容量 月份 日期
""".split())

# Nouns that ask about an aspect of something, not a property the text must name: "定位", "内容",
# "书名" ask what the passage says of the subject.
ASPECT_NOUNS = frozenset("""
定位 内容 情况 作用 特点 特色 方式 做法 措施 举措 手段 办法 方法 途径 意义 含义 目标 名称 名字 书名 出处 来源
时间 地点 场合 场所 经验 成效 成果 定义 概念 意思
""".split())

# A reason stated in the text: a causal or purposive link ("因此", "从而", "由于", "寓意").
_STATED_REASON = re.compile(_REASON.pattern + "|" + _CAUSE.pattern + r"|从而|进而|以此|为此|这是因为|之所以")


def states_reason(sentence_norm: str, question_norm: str) -> bool:
    """A causal or purposive word the question does not use itself ("查明事故原因" echoes 原因)."""
    return any(m.group() not in question_norm for m in _STATED_REASON.finditer(sentence_norm))


def is_type_word(word: str) -> bool:
    """A word that says how something is asked ("比例", "多少"), not what."""
    return any(cue.fullmatch(word) for _, cue in _TYPE_CUES)
