"""Follow-up questions in a conversation, read against the last one before retrieval.

"那宁波呢" after a question about Wenzhou is that question about Ningbo; "它是哪年成立的" names the
last subject by a pronoun; "那营收呢" keeps the subject and asks another attribute; "还有呢" asks for
more of the same article. Rules on the question analysis, no model: a question that names its own
subject and says what it asks is answered as written, and so is anything the rules are unsure of.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from content.clean import is_han
from retrieval.answer_types import ASPECT_NOUNS, MEASURE_NOUNS
from retrieval.decide import names
from retrieval.focus import is_time_word
from retrieval.index import Index
from retrieval.lexicon import FUNCTION_TAGS
from retrieval.normalize import normalize
from retrieval.places import COUNTRY, name_kind
from retrieval.question import Question, analyse
from retrieval.sentences import PIECE

# "还有呢", "其他的呢", "还有别的措施吗", "其他方面呢", "其余几个呢", "还有一个目标呢", "另外俩是啥":
# more of the same article.
_ASPECT = "(?:措施|做法|办法|方面|应用|成果|案例|例子|内容|举措|的)"
# The next item by its place: "下一个趋势呢", "第二支呢", "第二名是啥", "后面那个7呢", "再往上一级叫啥",
# "接下来是啥能力" (a measure word, then at most a short noun or mark for what is counted).
_MEASURE = "(?:个|条|项|点|张|种|支|名|家|类|步|位|件|级|年)"
_NEXT_ITEM = (rf"(?:(?:(?:下|后)一|第二){_MEASURE}|(?:排第二的?"
              rf"|(?:后面|后边|紧跟着|接下来|再往下|再往上|接着下)(?:的)?(?:那)?一?){_MEASURE}?)"
              r"[\u4e00-\u9fff\dA-Za-z]{0,4}?"
              r"(?:呢|(?:是|叫)(?:啥|什么|哪个|哪家|谁)[\u4e00-\u9fff]{0,2})?")
_MORE = re.compile(rf"(?:那)?(?:还有|其他|其它|别的|另外|其余|剩下|剩余)"
                   rf"(?:的|别的|其他的|什么|其他|几个|几条|几项|{_ASPECT})*(?:呢|吗|嘛|么|是啥|是什么|是哪些)?|再来点|(?:继续|接着)说?(?:下去|下一条|下一个)?"
                   r"|再说说|(?:然后|接下来|接着|再往后|往后)(?:呢|是啥|是什么)?"
                   rf"|(?:那|接着说|然后)?{_NEXT_ITEM}|(?:那)?另(?:一|外一)个[\u4e00-\u9fff]{{0,3}}?(?:呢|是啥|是什么|是谁)?"
                   r"|还有(?:没有)?(?:别的|其他|其它)[\u4e00-\u9fff]{0,4}(?:吗|呢|嘛)?"
                   r"|(?:还有|另外)一个[\u4e00-\u9fff]{0,4}?(?:呢|是啥|是什么)?"
                   r"|(?:另外|其他|其余|剩下)(?:几|两|三|俩)(?:个|条|项|点|张)?[\u4e00-\u9fff]{0,2}?(?:呢|是啥|是什么|是哪些)?")
# The same ask in other words ("接着说，后面还有啥", "别的金名片还有吗"): words asking for more, with
# nothing left but particles, interrogatives and what the last question called its items.
_MORE_CUE = re.compile(r"还有|其他|其它|别的|另外|其余|剩下|剩余|接着说?|然后|接下来|后面|后边|再往后|往后"
                       r"|继续|再说说?|再来点|下一[个条项张种支名位步]?")
_MORE_FILLER = re.compile(r"[那这个些还也呢吗嘛么啊呀吧哈哦没不有啥是哪几了的说讲呗]|什么|哪些|介绍")
_SWAP_WORD = re.compile(r"^(?:那|那么)?(?:换成|换作|改成|换到|换)?")
# "换成嘉兴", "改成宁波呢": the swap word first, so the name is what follows it.
_SWAP_TO = re.compile(r"(?:那)?(?:换成|换作|改成|换到|换)(?P<y>[^，,。？?!！呢]{1,12}?)"
                      r"(?:的)?(?:呢|的呢|怎么样|咋样|如何|看看|看下|(?:是|有)?(?:多少|几)[个家项条]?"
                      r"|是(?:谁|啥|什么|哪个|哪家))?")
# "湖州怎么样", "宁波几个", "绍兴如何": a name and a word that asks the same again; "宁波那边建了几个":
# a verb of its own, after a word pointing at the place.
_AGAIN = re.compile(r"(?:那|那么)?(?P<there>[\u4e00-\u9fff]{2,8}?)(?:那边|这边|那里)"
                    r"[\u4e00-\u9fff]了(?:多少|几个|几家|几项)"
                    r"|(?:那|那么)?(?P<x>[\u4e00-\u9fff]{2,8}?)(?:的|那边|这边|那里)?"
                    r"(?:怎么样|如何|咋样|呢|(?:有)?(?:几个|几家|几项|多少)|(?:是|有)(?:哪些|什么|啥)"
                    r"|(?:搞|做|干|弄)(?:的|了)?(?:是)?(?:啥|什么)|[涨增降]了多少"
                    # "绍兴又是搞哪些的", "绍兴在这块搞啥": the same ask, said again with its own verb
                    r"|(?:又|也|还)?(?:是)?(?:在)?(?:这块|那块|这方面)?(?:搞|做|干|弄)(?:的|了)?(?:是)?"
                    r"(?:哪些|啥|什么)(?:的)?)")
# "那宁波呢", "杭州的呢", "换成嘉兴", "温州那边呢": the same question about something else.
_SWAP = re.compile(r"(?:那|那么)?(?P<x>[^，,。？?!！呢]{1,12}?)(?:的|那边|这边|那里|那块儿?|这块儿?|方面)?呢"
                   r"|(?:那)?(?:换成|换作|改成)(?P<y>[^，,。？?!！呢]{1,12}?)(?:呢|的呢)?")
# Spoken forms of a closing 呢 ("绍兴咧", "宁波嘞").
_SPOKEN_NE = re.compile(r"(?:咧|嘞|呐|捏)(?=$|[？?，,])")
# A closing particle that asks nothing ("宁波那边有几个啊"): dropped before the follow-up is read.
_CLOSING = re.compile(r"(?<=..)(?:啊|呀|哈|啦)$")
# Pronouns and generic references to the last subject.
_GENERIC = ("(?:公司|企业|集团|平台|社区|委员会|协会|法院|医院|银行|学校|街道|局|市|区|县|镇|村"
            "|实验室|大学|学院|中心|项目|机构|部门|产品|模型)")
_GENERIC_REF = re.compile(f"(?:该|这(?:个|家|所|座)?|那(?:个|家|所|座))(?P<noun>{_GENERIC})")
_PRONOUN = re.compile(f"{_GENERIC_REF.pattern}|它们|它|他们|他|她")
_END = "？?。.!！~～ "
SHORT = 14   # a follow-up without a subject of its own is short: "增长了多少", "什么时候成立的"


@dataclass(frozen=True)
class Turn:
    """What a conversation keeps of its last answered question."""

    question: str                 # as it was read (normalised)
    answer: str                   # the sentence answered: "该公司" may name what it found
    subjects: tuple[str, ...]
    attribute: tuple[str, ...]
    article_id: str               # the cited article
    passage_id: str               # the cited passage
    kind: str | None = None       # the answer type asked ("number": "那营收呢" asks an amount too)


@dataclass(frozen=True)
class Reading:
    """How a typed message is read: as written (`via` ""), or resolved against the last turn."""

    text: str
    via: str = ""                 # "", "subject", "attribute", "pronoun", "more"
    subject: str = ""             # for "subject": the name swapped in, which the answer must be about
    dangling: bool = False        # a follow-up form ("还有呢") with no turn to follow: it asks nothing
    given: str = ""               # for "attribute": the item of the last answer that states it
    # the analysis of `text` when the resolver made it (a question read as written): not made twice
    question: Question | None = field(default=None, compare=False, repr=False)

    @property
    def resolved(self) -> bool:
        return bool(self.via)


def turn_of(q: Question, answer: str, article_id: str, passage_id: str) -> Turn:
    return Turn(q.text, normalize(answer), q.subjects, q.attribute, article_id, passage_id, q.kind)


def resolve(typed: str, last: Turn | None, index: Index) -> Reading:
    """The question to answer for `typed`, given the conversation's last turn (None: none)."""
    reading = _resolve(typed, last, index)
    if last is None:
        return reading
    typed_norm = normalize(typed)
    # a short question of no subject of its own that asks a value ("是第几批来着") follows on too
    bare = reading.via == "" and reading.question is not None and not reading.question.subjects \
        and len(typed_norm) <= SHORT and _SHORT_QUESTION.search(typed_norm) is not None
    # a "subject" that names nothing ("整体在轨算力呢") is an attribute swap too
    attribute = reading.via == "attribute" \
        or reading.via == "subject" and not _is_name(reading.subject, index)
    if attribute or bare:
        given = _given_by_kind(typed_norm, last)
        if not given and attribute and last.kind in ("number", "money"):
            # in the answer, else in the rest of its passage ("…正式启航。这些卫星最高单星算力达744TOPS")
            doc = index.doc_of(last.passage_id)
            passage = normalize(index.passages[doc].text) if doc is not None else ""
            given = _given(typed_norm, last, last.answer) or _given(typed_norm, last, passage, one=True)
        if given:
            held = reading.text if reading.via == "attribute" \
                else f"{' '.join(_held(last, index))} {_PARTICLES.sub('', typed_norm.strip(_END))}".strip()
            return Reading(held, "attribute", reading.subject, given=given)
    return reading


_PARTICLES = re.compile(r"[呢嘞咧啊呀吗]+$")
# Values a question asks by their make, and how the answer writes them: "第几批" a 第…批, "涨了几个点"
# or "比去年同期涨了多少" a rise (增长12%, 同比增长101.54%).
_ORDINAL_ASKED = re.compile(r"第几([\u4e00-\u9fff])")
_RISE_ASKED = re.compile(r"涨|增长|增速|增幅|同比|去年同期|几个点")
_RISE_GIVEN = re.compile(r"(?:增长|增速|增幅|提高|上升|涨)[^，,；;。]*?\d+(?:\.\d+)?%")


def _given_by_kind(typed_norm: str, last: Turn) -> str:
    """The item of the last answer holding the kind of value asked ("是第几批来着" after "…2008年，
    …被列入第二批国家级…名录": 第二批), when exactly one item holds one; "" otherwise."""
    ordinal = _ORDINAL_ASKED.search(typed_norm)
    if ordinal:
        value = re.compile(rf"第[一二三四五六七八九十百\d]+{re.escape(ordinal.group(1))}")
    elif _RISE_ASKED.search(typed_norm) and not _RISE_GIVEN.search(last.question):
        value = _RISE_GIVEN
    else:
        return ""
    items = [m.group() for m in re.finditer(r"[^，,；;。]+", last.answer) if value.search(m.group())]
    return items[0] if len(items) == 1 else ""


_NOT_ASKED = re.compile(r"[的了是有呢吗么啊呀嘞咧那这几多少么怎啥谁哪]")


def _given(typed_norm: str, last: Turn, text: str, one: bool = False) -> str:
    """"超算咧" after "…智算规模有多大" answered by "…智算规模1669PFlops、超算规模4PFlops": the items
    of that text (normalised) naming a newly asked word (two characters or more the last question did
    not use, not a time, a measure or an aspect: "今年", "数量", "目标" name no attribute) with a
    figure, from the first to the last, or with `one` the one naming most of them; "" when none does."""
    words = {w for run in re.findall(r"[\u4e00-\u9fff]{2,}", _NOT_ASKED.sub(" ", typed_norm))
             for n in (2, 3, 4) for w in (run[i : i + n] for i in range(len(run) - n + 1))
             if w not in last.question and not is_time_word(w) and w not in MEASURE_NOUNS | ASPECT_NOUNS}
    found = [(sum(w in m.group() for w in words), m.span()) for m in re.finditer(PIECE, text)
             if re.search(r"\d", m.group()) and any(w in m.group() for w in words)]
    if not found:
        return ""
    if one:
        start, end = max(found, key=lambda f: f[0])[1]
        return text[start:end]
    return text[found[0][1][0] : found[-1][1][1]]


def _resolve(typed: str, last: Turn | None, index: Index) -> Reading:
    text = _SPOKEN_NE.sub("呢", _CLOSING.sub("", normalize(typed).strip(_END)))
    if last is None or not text:
        return Reading(typed, dangling=last is None and _MORE.fullmatch(text) is not None)
    if _MORE.fullmatch(text) or _asks_more(text, last.question):
        return Reading(last.question, "more")
    q = analyse(typed, index)
    # junk or a command is no follow-up; a pronoun has content by what it stands for ("它死了几个人"),
    # and so has a short question on the last subject ("死了几个人")
    if text.startswith("/") or not q.has_content and not _PRONOUN.search(text) \
            and not (len(text) <= SHORT and _SHORT_QUESTION.search(text)):
        return Reading(typed, question=q)
    subject = last.subjects[0] if last.subjects else ""
    # "嘉兴呢？算力有多少": a new subject, then what is asked of it.
    head, _, rest = text.partition("呢")
    if rest.strip("，,？? ") and len(head) <= 8 and analyse(head, index).subjects:
        named = _SWAP_WORD.sub("", head)
        asked = rest.strip("，,？? ")
        if _asks_again(asked, index):  # "换宁波呢 几个", "温州咧？同期涨多少": the last question about 温州
            return _swapped(named, last, index)
        return Reading(named + asked, "subject", named)
    again = None if _SWAP_TO.fullmatch(text) else _AGAIN.fullmatch(text)
    said = _without_predicate(again.group("x") or again.group("there"), last, index) if again else ""
    if again and not _PRONOUN.search(text) and said != subject \
            and (_is_name(said, index) or _kin(said, last.question)):
        other = _THAT_ONE.sub("", said) or said
        return _swapped(other, last, index, pointed=other != said)
    swap = _SWAP_TO.fullmatch(text) or _SWAP.fullmatch(text)
    if swap and not _PRONOUN.search(text):
        # "营收多少呢": what is asked is 营收, the amount is asked again anyway
        said = _ASKED_AGAIN.sub("", (swap.groupdict().get("x") or swap.group("y") or "").strip())
        other = _THAT_ONE.sub("", said)
        if other and other != subject:
            return _another_year(other, last) or _with_own_attribute(other, last, index) \
                or _swapped(other, last, index, pointed=other != said)
    pronoun = _PRONOUN.search(text)
    if pronoun:
        named = _referent(pronoun, last, index) or _whole_name(subject, last.question)
        if named and named not in text:
            return Reading(text[: pronoun.start()] + named + text[pronoun.end():], "pronoun")
    # A short question with no subject of its own asks about the last one ("增长了多少？"), unless
    # its own words already say where to look.
    if subject and not q.subjects and len(text) <= SHORT and not q.keywords_only \
            and not any(names(text, s, index) for s in last.subjects) \
            and not _elsewhere(q, last, index) and not _pinned(q, index):
        asked = text.removeprefix("那么").removeprefix("那")
        return Reading(f"{' '.join(_held(last, index))} {asked}", "attribute")
    return Reading(typed, question=q)


def _asks_more(text: str, last_question: str) -> bool:
    """Whether a message only asks for more ("接着说，后面还有啥"): a word asking for more, and
    besides particles nothing but a word of the last question ("别的金名片还有吗")."""
    if len(text) > SHORT or not _MORE_CUE.search(text):
        return False
    rest = _MORE_FILLER.sub("", _MORE_CUE.sub("", re.sub(r"[^\w]", "", text)))
    return not rest or len(rest) >= 2 and rest in last_question


# What restates the asked predicate after a swapped-in name: "宁波建了几个", "宁波有几个", "嘉兴搞了多少".
_RESTATED = frozenset({"了", "有", "是", "搞", "也", "又", "还", "共", "一共", "总共"})


def _without_predicate(said: str, last: Turn, index: Index) -> str:
    """A name of the last subject's kind with the predicate that restates the last question cut off
    ("宁波建了" after 台州 -> 宁波), else the words as said ("希望体育角建了" is a question of its own)."""
    kinds = {name_kind(s, index) for s in last.subjects} - {""}
    if not kinds:
        return said
    spans = index.tokenizer.spans(said)
    for k in range(1, len(spans)):
        head, rest = said[: spans[k][1]], spans[k:]
        # a verb of the documents, or a spoken one of a character ("建了", "搞了")
        if all(w in _RESTATED or len(w) == 1 or index.lexicon.tag(w) in ("v", "vd", "vi")
               for w, _, _ in rest) and name_kind(head, index) in kinds and _is_name(head, index):
            return head
    return said


def _is_name(said: str, index: Index) -> bool:
    """Whether a phrase is a name and nothing more ("湖州", "悦动悦快乐那个"), not a clause that
    holds one ("希望体育角建了"): its names cover all of it but a character or a pointer."""
    bare = _THAT_ONE.sub("", said) or said
    names = analyse(bare, index).subjects
    return bool(names) and sum(len(n) for n in names) >= len(bare) - 1


# A word at most this many passages use, none of them in the last cited article, names another
# topic ("子罕", "阅兵"); one of three or more characters this rare names its topic by itself
# ("阅兵总指挥是谁" needs no last question to find it).
ELSEWHERE_PASSAGES = 10
PINNING_PASSAGES = 2


def _elsewhere(q: Question, last: Turn, index: Index) -> bool:
    """A short question with a topic of its own ("那全球治理倡议是在哪提出来的"): a term of four or
    more characters that the documents use, but not the article the last answer came from."""
    doc = index.doc_of(last.passage_id)
    if doc is None:
        return False
    article = index.article_text(doc)
    return any(w not in article and (
        len(w) >= 4 and (index.attested_latin(w) if w.isascii() else index.attested(w))
        # or a rarer word of two or three ("子罕", "阅兵"): few passages use it, none of the last article
        or len(w) >= 2 and not is_time_word(w) and index.lexicon.tag(w) not in FUNCTION_TAGS
        and not any(w != x and w in x for x in (*q.words, *(t for t, _ in q.tokens)))
        and 0 < _passages_using(w, index) <= ELSEWHERE_PASSAGES)
        for w in q.words)


def _passages_using(word: str, index: Index) -> int:
    """How many passages use the word: as a token, or for two characters jieba splits in the
    passages ("子罕"), as a bigram."""
    return len(index.word_body.docs(word)) or (len(index.bi_body.docs(word)) if len(word) == 2 else 0)


def _pinned(q: Question, index: Index) -> bool:
    """A word of three or more characters that at most PINNING_PASSAGES passages use."""
    return any(len(w) >= 3 and 0 < _passages_using(w, index) <= PINNING_PASSAGES for w in q.words)


def _rank(item: tuple[int, str], named: list[int], asked: set[str]) -> tuple[int, int, int]:
    end, found = item
    near = -min((abs(n - end) for n in named), default=0)
    return near, sum(found[i : i + 2] in asked for i in range(len(found) - 1)), len(found)


def _referent(pronoun: re.Match[str], last: Turn, index: Index) -> str:
    """What "该公司" / "这个局" names: a name ending in that noun in the last answer (the company
    it found), else in the last question ("人工智能局")."""
    noun = pronoun.groupdict().get("noun")
    # "它的主任是谁" after a question on a lab's model: a post is the body's, not the product's
    if not noun and _POST_OF.match(pronoun.string, pronoun.end()):
        body = next((s for s in last.subjects if name_kind(s, index) in _BODY_KINDS), "")
        if body:
            return body
    if not noun or _WHO_ASKED.search(last.question):
        # "它" after "…叫什么": the name the answer gave, in quotes ("版权AI智审") or in Latin
        # letters the question did not use ("GeoGPT")
        asked_name = last.kind == "name" and re.search(r"叫什么|叫啥|名字|名称", last.question)
        called = re.search(r"(..)(?:叫什么|叫啥)", last.question) if asked_name else None
        right_after = re.search(rf"{re.escape(called.group(1))}([a-z][a-z0-9-]{{2,}})", last.answer) \
            if called else None
        named = re.search(r"[“\"《]([^”\"》]{2,16})[”\"》]", last.answer) if asked_name else None
        latin = next((w for w in re.findall(r"[a-z][a-z0-9-]{2,}", last.answer) if w not in last.question),
                     "") if asked_name else ""
        if right_after or named or latin:  # "模型GeoGPT" right after what was asked comes first
            return right_after.group(1) if right_after else named.group(1) if named else latin
        answered = _answered(last, index)
        # "它" after "是哪家公司": a name ending in 公司 in the answer, as for 该公司
        body = _WHICH_BODY.search(last.question) or _BODY_WHICH.search(last.question)
        if answered or not noun and not body:
            return answered
        if not noun and body.group(1) in _COMPANY_NOUNS:
            # "它" after "…的算力企业是哪家": the company the answer names in full
            company = _COMPANY_NAME.search(last.answer)
            if company and company.group() not in last.question:
                return _LEGAL_FORM.sub("", company.group()) or company.group()
        noun = noun or body.group(1)
    asked = {last.question[i : i + 2] for i in range(len(last.question) - 1)}
    for text in (last.answer, last.question):
        # not the question's own "哪家公司"; of the rest, the one nearest a name the question gave
        # ("群核科技公司的SpatialLM"), else the one sharing most with the question ("智算中心项目"
        # for 润泽平湖智算中心, not "年一季度重大项目"), then the longest
        found = [(m.end(), name) for m in re.finditer(rf"[\u4e00-\u9fff]{{1,12}}?{noun}", text)
                 if not _ASKING_WORD.search(m.group())
                 and len(name := _bare_name(m.group(), index)) > len(noun)]
        if found:
            named = [m.start() for s in last.subjects for m in re.finditer(re.escape(s), text)]
            best = max(found, key=lambda item: _rank(item, named, asked))[1]
            return _LEGAL_FORM.sub("", best) or best  # 是石科技, as the text names it elsewhere
    return ""


_ASKING_WORD = re.compile(r"哪|什么|谁|啥")
_POST_OF = re.compile(r"的?(?:主任|院长|所长|董事长|总裁|负责人|创始人|局长|校长|书记)")
_BODY_KINDS = frozenset({"实验室", "公司", "集团", "大学", "学院", "研究院", "中心", "医院", "法院", "局"})
# A question whose answer is who or which body: "副院长是谁", "是哪家公司推出的", "谁研发了…".
_WHO_ASKED = re.compile(r"谁|哪位|哪家|哪个单位|哪个机构|哪个部门|哪所")
_LEGAL = r"(?:股份)?有限(?:责任)?公司"
_LEGAL_FORM = re.compile(f"{_LEGAL}$")
_WHICH_BODY = re.compile(r"哪(?:家|个|所)(公司|企业|单位|机构|部门|医院|银行|大学|学校|团队)")
_BODY_WHICH = re.compile(r"(公司|企业|单位|机构|部门|医院|银行|大学|学校|团队)(?:是|为)?哪(?:家|个|所)")
_COMPANY_NOUNS = frozenset({"公司", "企业"})
# a company's full name, as a clause opens on it ("，是石科技有限公司三次斩获…")
_COMPANY_NAME = re.compile(rf"(?:(?<=[，,。；;：:、“”（）(])|^)[\u4e00-\u9fff]{{2,10}}?(?:{_LEGAL}|集团)")
# Where a name given after its post ends: "副院长沙丽就是其中之一", "局长张三表示".
_AFTER_NAME = "(?=就|是|在|等|表示|说|指出|介绍|带领|[，,。、（(]|$)"


# A name that runs on from a place: "象山渔民开洋节", "温州市人工智能局" (no 的 between).
_NAME_HEAD = "(?:节|会|展|赛|局|院|馆|中心|实验室|公司|集团|大学|法院|法庭)"
_PRODUCT = "(?:眼镜|机器人|模型|平台|产品|系统|芯片|卫星|星座)"


def _whole_name(subject: str, question: str) -> str:
    """The last subject with the name it opens in the question ("象山" in 象山渔民开洋节是哪一年…):
    "它" is the festival, not the county."""
    if not subject:
        return subject
    # a head is no name's end before another, unless that one heads a post ("…法院副院长")
    m = re.search(rf"{re.escape(subject)}(?:(?![的是哪谁啥有在])[\u4e00-\u9fff]){{0,8}}?{_NAME_HEAD}"
                  rf"(?!长)(?![\u4e00-\u9fff]?{_NAME_HEAD}(?!长))", question)
    if m:
        return m.group()
    # "灵伴科技那款AI眼镜有多重" → "它" is the product: 灵伴科技AI眼镜
    product = re.search(rf"{re.escape(subject)}(?:那款|这款|的)([\w]{{0,6}}?{_PRODUCT})", question)
    return subject + product.group(1) if product else subject


def _answered(last: Turn, index: Index) -> str:
    """Who or what the last answer gave for "谁" / "哪家公司": the doer right before the question's
    own verb ("中控技术推出" for 哪家公司推出的), else the name right after the post asked about
    ("副院长沙丽" for 副院长是谁); "" when the answer shows neither."""
    asked = _WHO_ASKED.search(last.question)
    if asked is None:
        return ""
    # the question's verbs after what it asks first, then those before it ("推出…的是哪家公司")
    said = [(w, start) for w, start, _ in index.tokenizer.spans(last.question)
            if index.lexicon.tag(w) in ("v", "vd", "vi") and len(w) >= 2]
    verbs = [w for w, at in said if at > asked.start()] + [w for w, at in said if at < asked.start()]
    spans = index.tokenizer.spans(last.answer)
    for verb in verbs:
        at = last.answer.find(verb)
        doers = [w for w, _, end in spans if end == at and len(w) >= 2
                 and index.lexicon.tag(w) not in FUNCTION_TAGS and w not in last.question]
        if at > 0 and doers:
            return max(doers, key=len)
    for post in last.attribute:
        named = re.search(rf"{re.escape(post)}([\u4e00-\u9fff]{{2,3}}?){_AFTER_NAME}", last.answer)
        if named and named.group(1) not in last.question:
            return named.group(1)
    if asked.group() in ("谁", "哪位"):  # "这句诗是谁写的": the person named after what they are
        spans = {start: w for w, start, _ in index.tokenizer.spans(last.answer)}
        for role in _ROLE.finditer(last.answer):
            name = spans.get(role.end(), "")
            if not (2 <= len(name) <= 4 and index.lexicon.tag(name) in _PERSON_TAGS):
                # cut wrong ("副院长沙丽" as 长沙/丽): two or three characters before a word ending a name
                after = re.match(rf"([\u4e00-\u9fff]{{2,3}}?){_AFTER_NAME}", last.answer[role.end():])
                name = after.group(1) if after else ""
            if name and name not in last.question:
                return name
    return ""


# What a person is called before their name: "宋代诗人陈与义", "新加坡侨眷周静波"; a name is a word
# of the documents' own (no tag) or one the dictionary tags as a person's.
_ROLE = re.compile(r"诗人|作家|作者|学者|院士|教授|侨眷|书记|主任|院长|局长|董事长|总裁|创始人|负责人|专家")
_PERSON_TAGS = frozenset({"", "nr", "nrfg", "nrt"})


def _bare_name(phrase: str, index: Index) -> str:
    """A name without what leads into it: no 的 ("…双牵头的应急消防管理委员会") and no verb before
    it ("揭牌成立温州市人工智能局")."""
    phrase = phrase.rsplit("的", 1)[-1]
    for word, start, _ in index.tokenizer.spans(phrase):
        if index.lexicon.tag(word) not in ("v", "vd", "vi"):
            return phrase[start:]
    return phrase


# "悦动悦快乐那个系列": the name, without the words that point at it.
_THAT_ONE = re.compile(r"(?:那个|这个|那项|这项|那家|这家)[\u4e00-\u9fff]{0,3}$")
# A name in quotes in the last question ("“快乐进校园”系列"): what a new name in its place replaces.
_QUOTED = re.compile(r"“([^”]{2,16})”")

# What follows a name that sets the scene: "环杭州湾那块", "长三角一带", "那几个城市里".
_SETTING = r"(?:那块|这块|那边|一带|地区|区域|那几个|里|中)"
# A field or sector of a list, by what it is called ("电磁领域", "医疗方面", "债券部分").
_FIELD = re.compile(r"([\u4e00-\u9fff]{2,6}?)(领域|方面|部分|板块|行业)")
# What makes a few words a question: "死了几个人", "啥时候开的".
_SHORT_QUESTION = re.compile(r"几|多少|什么|啥|哪|谁")
# An amount asked again after the new word ("营收多少呢", "员工有多少呢").
_ASKED_AGAIN = re.compile(r"(?:是|有)?(?:多少|几个|几家|几项)$")
# "同期涨多少", "又增长了多少": a predicate (a verb), then the amount asked again.
_RESAID = re.compile(r"(?:同期|同比|又|还|也)?(?P<verb>[\u4e00-\u9fff]{1,2}?)了?"
                     r"(?:是|有)?(?:多少|几个|几家|几项)")


def _asks_again(asked: str, index: Index) -> bool:
    """Whether what follows a swapped-in name asks the last question's amount again, with at most
    a verb of its own ("涨", "增长"), not a new attribute ("营收多少")."""
    if _ASKED_AGAIN.fullmatch(asked):
        return True
    m = _RESAID.fullmatch(asked)
    return m is not None and (len(m.group("verb")) == 1 or index.lexicon.tag(m.group("verb")) in ("v", "vi"))


# Names that contain the others (全国, 全省, 浙江 around a city): never the one a swap replaces.
_WIDE = frozenset({"全国", "全省", "全市", "国内", "中国", "我国", "浙江", "浙江省", "长三角"})


def _swapped(other: str, last: Turn, index: Index, pointed: bool = False) -> Reading:
    """The last question about `other` (a name) or asking `other` (an attribute) of its subject."""
    # the country names no new subject ("中国AI云市场份额" asks an attribute of the same one)
    named = tuple(n for n in analyse(other, index).subjects if n not in COUNTRY)
    quoted = _QUOTED.search(last.question)
    # "悦动悦快乐那个系列呢": another of the programmes the last question quoted
    if quoted and pointed and not named and other not in last.question:
        return Reading(last.question.replace(quoted.group(1), other, 1), "subject", other)
    # "金义片区" after "舟山片区": a name of the same kind as one in the last question, by its suffix.
    kin = _kin(other, last.question)
    if kin:
        return Reading(last.question.replace(kin, other, 1), "subject", other)
    # "人工智能那块呢" after "…电磁领域有多少项": another field of the same list
    field = None if named else _FIELD.search(last.question)
    if field and field.group(1) != other:
        return Reading(last.question.replace(field.group(0), other + field.group(2), 1), "attribute")
    # "李茵呢" after "周志昌是什么职务": a name no dictionary has, the documents give, for another such
    person = next((s for s in last.subjects if _unlisted_name(s, index)), "")
    if person and _unlisted_name(other, index) and other != person:
        return Reading(last.question.replace(person, other, 1), "subject", other)
    if named or not last.attribute:
        for old in _replaceable(other, last, index):
            if old in last.question:
                return Reading(last.question.replace(old, other, 1), "subject", other)
        return Reading(f"{other}{last.question}", "subject", other) if named else Reading(other)
    # "外资呢" after "…多大比例的外贸": a word of the same make (same length, same first character)
    # takes the old one's place in the last question, which then fits it.
    # A measure said with it is asked again anyway ("外资占比" after "多大比例的外贸"); the same make
    # is also the same ending of three ("十亿级" for 百亿级).
    bare = next((other[: -len(m)] for m in MEASURE_NOUNS if other.endswith(m) and len(other) - len(m) >= 2),
                other)
    alike = next((w for w in last.attribute if len(w) == len(bare) >= 2 and w != bare and w in last.question
                  and (w[0] == bare[0] or len(w) >= 3 and w[-2:] == bare[-2:])), "")
    if alike:
        return Reading(last.question.replace(alike, bare, 1), "attribute")
    # "那营收呢": the same subject, another attribute, asked as keywords (the last question's
    # interrogative may not fit the new attribute: "几颗卫星" is no way to ask 在轨算力).
    # An amount asked before is asked again ("几颗卫星" then "整体在轨算力呢": 算力是多少).
    asked = "是多少" if last.kind in ("number", "money") and not analyse(other, index).kind else ""
    return Reading(" ".join((*_held(last, index), other)) + asked, "attribute")


_A_YEAR = re.compile(r"(?:19|20)\d\d年")


def _another_year(other: str, last: Turn) -> Reading | None:
    """"那2030年的目标嘞" after "…到2027年…营收要超过多少": the last question for another year."""
    year, old = _A_YEAR.match(other), _A_YEAR.search(last.question)
    if year is None or old is None or year.group() == old.group():
        return None
    return Reading(last.question.replace(old.group(), year.group(), 1), "attribute")


def _with_own_attribute(other: str, last: Turn, index: Index) -> Reading | None:
    """"中控技术的董事长呢" after "之江实验室的主任是谁": another name with an attribute of its own,
    each taking the old one's place ("中控技术的董事长是谁"); None when `other` is no name's attribute
    or the last question has no attribute to give up."""
    named, of, asked = other.rpartition("的")
    if not (of and named and 2 <= len(asked) <= 4 and _is_name(named, index) and not _is_name(asked, index)):
        return None
    # "群核科技的创始人呢" after "DeepSeek创始人是浙大的哪位校友": the name whose attribute it was
    owner = next((s for s in last.subjects
                  if s + asked in last.question or f"{s}的{asked}" in last.question), "")
    if owner:
        return Reading(last.question.replace(owner, named, 1), "subject", named)
    reading = _swapped(named, last, index)
    old = next((a for a in last.attribute if a in reading.text), None)
    return None if old is None else Reading(reading.text.replace(old, asked, 1), reading.via, reading.subject)


def _unlisted_name(word: str, index: Index) -> bool:
    """Two or three characters the documents write and no dictionary has: a person's name."""
    return len(word) in (2, 3) and all(is_han(c) for c in word) and not index.tokenizer.knows(word) \
        and index.attested(word)


def _kin(name: str, question: str) -> str:
    """A name in the question of the same make as `name` (as long, the same two-character suffix:
    舟山片区 for 金义片区), or ""."""
    suffix = name[-2:] if len(name) >= 4 and not _ASKING_WORD.search(name) \
        and not _ASKED_AGAIN.search(name) else ""
    kin = re.search(rf"[\u4e00-\u9fff]{{{len(name) - len(suffix)}}}{re.escape(suffix)}", question) \
        if suffix else None
    return kin.group() if kin and kin.group() != name else ""


def _held(last: Turn, index: Index) -> tuple[str, ...]:
    """The subjects an attribute swap keeps: what was asked about, not where ("之江实验室", "geogpt",
    not "日内瓦" of "在日内瓦拿了什么奖"), unless only places were named."""
    things = tuple(s for s in last.subjects if index.lexicon.tag(s) != "ns")
    return things or last.subjects


def _replaceable(other: str, last: Turn, index: Index) -> list[str]:
    """The last subjects a new name may replace, the most alike first: the same suffix ("舟山片区"
    for 金义片区) or the same kind of name (a city for a city: 绍兴, not 杭州湾, for 湖州), then
    narrower names before wide ones; names that stand as words of their own before those inside a
    longer one."""
    suffix = other[-2:]
    alone = {w for w, _, _ in index.tokenizer.spans(last.question)}
    # a setting ("环杭州湾那块，嘉兴…", "长三角地区的…") is where, not who: replaced last
    setting = {s for s in last.subjects if re.search(re.escape(s) + _SETTING, last.question)}
    ranked = sorted(last.subjects, key=lambda s: (s in setting, s not in alone))
    kind = name_kind(other, index)
    alike = [s for s in ranked if s.endswith(suffix) or s[-1] == other[-1]
             or kind and name_kind(s, index) == kind]
    narrow = [s for s in ranked if s not in _WIDE]
    return list(dict.fromkeys([*alike, *narrow, *ranked]))
