"""Every user-facing reply string, in Simplified Chinese, kept in one place for review.

Each channel adds its own strings under its own heading below; shared ones stay at the top.
"""

# --- shared -----------------------------------------------------------------------------------
APOLOGY = "抱歉，处理您的问题时出了点故障，请稍后再试。"
RATE_LIMITED = "您提问太快了，请稍等一分钟再问。"
NOT_TEXT = "目前只能回答文字问题，请直接输入您的问题。"
# Follow-ups typed after an answer (更多, 原文, 1/2/3) and admin statistics (bot/dialogue.py).
NO_THREAD = "请先提问，再回复“更多”或“原文”。"
NO_MORE = "没有更多相关内容了。"
NO_SUCH_REFERENCE = "没有第{number}条出处，请回复 1 到 {count} 之间的数字。"
ADMIN_ONLY = "该命令仅限管理员使用。"
STATS = (
    "提问统计\n"
    "今天：{today_total} 个问题，找到答案 {today_rate}\n"
    "近7天：{week_total} 个问题，找到答案 {week_rate}，反馈 👍 {up} / 👎 {down}\n"
    "近7天未找到答案的问题："
)
STATS_NONE = "（无）"
STATS_UNAVAILABLE = "统计暂不可用：提问日志无法读取，请查看服务日志。"

# --- WeCom 智能机器人 (bot/wecom/aibot.py) -------------------------------------------------------
AIBOT_WELCOME = (
    "您好，我是浙问：根据《今日浙江》2025年第17期和2025年5月28日的报纸版面回答问题，"
    "每个回答都注明出处。\n在群里请先@我再提问，单聊直接输入问题即可，例如：浙江有多少款大模型通过备案？"
)
AIBOT_EMPTY_QUESTION = "请在@我之后写上您的问题，例如：@浙问 浙江有多少款大模型通过备案？"
AIBOT_STREAM_EXPIRED = "这条回答已过期，请重新提问。"
AIBOT_GROUP_FOLLOWUP_HINT = "@我并回复“原文”查看完整段落，回复“更多”查看更多出处。"
AIBOT_GROUP_TOC_REPLY = "@我并回复"  # fills {reply} in the WECOM_TOC_* strings in a group

# --- Telegram (bot/telegram) --------------------------------------------------------------------
TG_START = (
    "您好，我是浙问。我根据《今日浙江》2025年第17期和2025年5月28日的报纸版面回答问题，"
    "每个回答都摘自原文并注明出处（刊物、页码、文章、小节）。\n\n"
    "单聊直接输入问题即可；在群里请用 /ask 提问、@我，或回复我的消息。\n"
    "例如：浙江有多少款大模型通过备案？\n\n"
    "/toc 查看文档目录，/help 查看使用说明。"
)
TG_HELP = (
    "使用说明：\n"
    "· 单聊：直接输入问题。\n"
    "· 群聊：/ask 问题，或 @我 加问题，或回复我的消息。\n"
    "· 回答下方的按钮：原文（第一条出处的完整段落）、更多（更多相关段落）、👍/👎（反馈）。\n"
    "· /toc：文档目录（文章与页码）。\n"
    "· 可以接着问：“那宁波呢？”“它是哪年成立的？”“还有呢？”，我会注明按哪个问题理解；"
    "/reset 或“重新开始”清除上下文。\n"
    "回答都摘自原文，文档中没有的内容我会如实告知。"
)
TG_ASK_USAGE = "请在 /ask 后面写上您的问题，例如：/ask 浙江有多少款大模型通过备案？"
TG_SOURCES = "出处"
TG_PAGE = "第{page}页"
TG_BUTTON_SOURCE = "原文"
TG_BUTTON_MORE = "更多"
TG_BUTTON_UP = "👍"
TG_BUTTON_DOWN = "👎"
TG_STALE_BUTTON = "这个按钮已失效，请重新提问。"
TG_FEEDBACK_THANKS = "感谢您的反馈！"
TG_MORE_HEADING = "更多相关内容"
TG_PASSAGE_GONE = "原文已不可用，请重新提问。"
TG_TOC_HEADING = "文档目录"
TG_TOC_EMPTY = "目录暂不可用。"
TG_TOC_PREV = "« 上一页"
TG_TOC_NEXT = "下一页 »"
TG_TOC_POSITION = "{current}/{total}"
TG_COMMANDS = {
    "start": "开始使用与示例问题",
    "help": "使用说明",
    "ask": "提问（群聊中使用）",
    "toc": "文档目录（文章与页码）",
    "stats": "提问统计（仅管理员）",
    "reset": "重新开始（下一个问题不接着上一个理解）",
}

# --- answers (bot/engine.py, bot/reply.py, bot/cli_ask.py) -------------------------------------
ASK_PROMPT = "请直接输入您的问题，例如：浙江有多少款大模型通过备案？"
# "还有呢" with no question before it in this chat (or the last one is over 10 minutes old).
NO_LAST_QUESTION = ("没有可以接着回答的上一个问题（或已超过10分钟）。"
                    "请输入完整的问题，例如：浙江有多少款大模型通过备案？")
NOT_FOUND = "抱歉，在现有文档中没有找到这个问题的答案。发送 /toc 可查看文章目录。"
NOT_FOUND_CLOSEST = "可能相关的文章："
# A decline naming what the documents say nothing about (a city, company or product they never cover).
NOT_FOUND_ABOUT = "抱歉，文档中没有找到关于“{name}”的这项内容。发送 /toc 可查看文章目录。"
# A pinyin-input typo read as the documents' word, said after the answer so a wrong guess is seen.
UNDERSTOOD = "（已把{pairs}理解）"
# A follow-up read against the conversation's last question ("那宁波呢" -> the question about 宁波).
READ_AS = "（按“{question}”理解）"
# /reset and 重新开始: the conversation's context is cleared.
CONTEXT_RESET = "好的，已重新开始：下一个问题不再接着上一个理解。"
UNDERSTOOD_PAIR = "“{typed}”按“{read}”"
SOURCE_LABEL = "出处："
RELATED_LABEL = "相关文章："
PAGE = "第{page}页"
CHAT_GOODBYE = "再见！"
CHAT_WELCOME = "浙问：请输入问题，按 Ctrl-D 结束。"

# --- WeCom self-built app (bot/wecom/callback.py) -------------------------------------------------
WECOM_WELCOME = (
    "您好，我是浙问：根据《今日浙江》2025年第17期和2025年5月28日的报纸版面回答问题，"
    "每个回答都摘自原文并注明出处。\n直接输入问题即可，例如：浙江有多少款大模型通过备案？\n"
    "回答后回复“原文”查看完整段落，回复“更多”查看更多出处；发送 /toc 查看文章目录。"
)
WECOM_FOLLOWUP_HINT = "回复“原文”查看完整段落，回复“更多”查看更多出处。"
WECOM_MORE_HEADING = "更多出处："
WECOM_MORE_FOOTER = "回复数字（如 1）查看该条原文，回复“更多”继续。"
WECOM_TOC_HEADING = "文档目录"
WECOM_TOC_EMPTY = "目录暂不可用。"
WECOM_TOC_REPLY = "回复"
WECOM_TOC_NEXT = "第{page}/{total}页，{reply}“目录 {next}”查看下一页。"
WECOM_TOC_LAST = "第{page}/{total}页，已是最后一页。"
WECOM_TOC_NO_PAGE = "没有这一页：目录共{total}页，请{reply}“目录 1”到“目录 {total}”。"
WECOM_TOC_ONE_PAGE = "没有这一页：目录只有1页，请{reply}“目录”查看。"

# --- terminal chat (bot/cli_ask.py: zhewen chat) -------------------------------------------------
CHAT_HINT = "输入 /help 查看用法，/toc 查看文章目录。"
CHAT_LOGGING = "提问会记入提问日志 {db}（平台 cli）；不想记录请用 zhewen chat --no-log。"
CHAT_HELP = (
    "使用说明：\n"
    "· 直接输入问题，每行一个；按 Ctrl-D 结束。\n"
    "· 回答之后输入“原文”（或 1、2、3）查看完整段落，输入“更多”查看更多出处。\n"
    "· /toc 或“目录”：文章目录与页码（较长时分页，输入“目录 2”看第 2 页）。\n"
    "· /stats：本机提问日志的统计（今天、近7天）。\n"
    "回答都摘自原文，文档中没有的内容我会如实告知。"
)
CHAT_TOC_REPLY = "输入"  # fills {reply} in the WECOM_TOC_* strings in the terminal chat
CHAT_QUESTION_ECHO = "问：{question}"
CHAT_STATS_UNAVAILABLE = "统计暂不可用：{reason}"
