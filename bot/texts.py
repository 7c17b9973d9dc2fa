"""Every user-facing reply string, in Simplified Chinese, kept in one place for review.

Each channel adds its own strings under its own heading below; shared ones stay at the top.
"""

# --- shared -----------------------------------------------------------------------------------
APOLOGY = "抱歉，处理您的问题时出了点故障，请稍后再试。"
RATE_LIMITED = "您提问太快了，请稍等一分钟再问。"
NOT_TEXT = "目前只能回答文字问题，请直接输入您的问题。"

# --- WeCom 智能机器人 (bot/wecom/aibot.py) -------------------------------------------------------
AIBOT_WELCOME = (
    "您好，我是浙问：根据《今日浙江》2025年第17期和2025年5月28日的报纸版面回答问题，"
    "每个回答都注明出处。\n在群里请先@我再提问，单聊直接输入问题即可，例如：浙江有多少款大模型通过备案？"
)
AIBOT_EMPTY_QUESTION = "请在@我之后写上您的问题，例如：@浙问 浙江有多少款大模型通过备案？"
AIBOT_STREAM_EXPIRED = "这条回答已过期，请重新提问。"
