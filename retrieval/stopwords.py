"""Words that carry no content for retrieval. jieba ships almost none, so we keep our own.

Question words matter most: "多少" or "哪些" in a question must not pull passages that merely
contain the same interrogative.
"""
from __future__ import annotations

import re

QUESTION_WORDS: frozenset[str] = frozenset("""
什么 什么样 啥 多少 多大 多长 多久 多高 多远 几 几个 几家 几项 几年 几号 几天 几月 哪 哪些 哪个 哪里 哪儿
哪家 哪位 哪年 哪天 哪一天 哪一年 哪一 哪种 哪类 哪几 哪几类 哪几种 哪几个
何 何时 何地 何种 何日 何年 何月 何处 何人 何以 哪月 哪日 几时 为何 为什么 怎么 怎样 怎么样 如何
谁 是谁 请问 吗 呢 吧 啊 呀 哦 嘛 么 一下 是否 是不是 有没有 能否 可否 到底 究竟 叫啥 叫什么 名字 名称
算不算 凭什么 什么时候 啥时候 多少钱 一共 总共 大概 大约 估计 请 告诉 我 我们 你 你们 想 知道 问 问问 了解
时候 几种 几类 几项 几家 几个 是因为 多长时间 长时间 不算 哪座 一天 一年 哪一 叫做 称为 属于
为啥 哪几天 哪几年 哪几位 哪几家
""".split())

FUNCTION_WORDS: frozenset[str] = frozenset("""
的 地 得 了 着 过 和 与 及 以及 或 或者 而 而且 并 并且 也 都 还 又 就 才 再 在 于 从 对 对于 向 把 被 给
将 让 由 以 为 因 因为 所以 但 但是 如果 虽然 这 那 这个 那个 这些 那些 这样 那样 其 其中 之 之一 等 等等
是 有 没有 个 些 一 一个 一些 该 此 每 各 被 所 所有 已 已经 曾 曾经 正 正在 会 能 可 可以 要 需要 应 应该
里 上 下 中 内 外 前 后 时 年 月 日 号 方面 相关 有关 通过 进行 开展 实现 作为 其他 其它 来 去 说 做
那边 这边 那场 这场 那位 这位 那条 这条 新 出 开 帮 搞 靠 啥样 一直 目前 现在 现任 当前 如今 今年
最早 最先 最初 最晚 是从 是在
东西 事情 事儿 玩意
""".split())

# Greetings and chat filler: a message of only these is not a question.
CHATTER: frozenset[str] = frozenset("""
你好 您好 你们好 大家好 哈喽 嗨 谢谢 谢谢你 多谢 哈 哈哈 哈哈哈 嘿嘿 呵呵 嗯 嗯嗯 哦哦 好的 好吧
在吗 在不在 再见 拜拜 早上好 晚上好 下午好 晚安 你是谁 hi hello hey thanks thank ok okay
""".split())

STOPWORDS: frozenset[str] = QUESTION_WORDS | FUNCTION_WORDS | CHATTER

# Multi-character question phrases removed from a question before character bigrams are taken,
# longest first so "什么时候" goes before "什么".
QUESTION_PHRASES: tuple[str, ...] = tuple(sorted(
    (w for w in QUESTION_WORDS | CHATTER if len(w) > 1 and not w.isascii() and w not in {"名字", "名称"}),
    key=len, reverse=True,
))

# "第几期", "几批", "几届": 几 (or 第几) before a measure word asks for a number, whatever the
# measure; jieba keeps such pairs as one word, so a list of them would never be complete.
MEASURE_WORDS = ("个家项款名位套件台年天次倍期批届轮场所人条座支种类亩吨元岁层户栋辆艘架口例份只起颗枚张"
                 "本部篇首册句")
QUESTION_PATTERN = re.compile(f"第?几[{MEASURE_WORDS}]")

# Colloquial verb complements and fillers ("搞出来", "弄了"): they say nothing about what is
# asked, yet the documents never write them, so in a question they would weigh as unknown words.
# Applied to questions only: the documents' index is unchanged.
QUERY_FILLER: frozenset[str] = frozenset("""
出来 起来 下来 上来 过来 弄 整 咋 咋样 呗 啦 嘞 捣鼓 鼓捣 弄出 搞出 整出 姓名 名字 几句话 有无
一下子 变得
""".split())
# A spoken verb with its complement ("降下来", "搞出来"): the verb says what, the rest is speech.
_SPOKEN_COMPLEMENT = re.compile(r".(?:下来|出来|起来|下去|上来|过来|出去|进来)")


def is_question_token(word: str) -> bool:
    """A question word of the 几 + measure word kind, colloquial filler or a spoken complement: not
    content."""
    return word in QUERY_FILLER or bool(QUESTION_PATTERN.fullmatch(word)
                                        or _SPOKEN_COMPLEMENT.fullmatch(word))
