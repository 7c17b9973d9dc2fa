"""Every user-facing reply string, in Simplified Chinese, kept in one place for review.

Each channel adds its own strings under its own heading below; shared ones stay at the top.
"""

# --- shared -----------------------------------------------------------------------------------
APOLOGY = "抱歉，处理您的问题时出了点故障，请稍后再试。"
RATE_LIMITED = "您提问太快了，请稍等一分钟再问。"
NOT_TEXT = "目前只能回答文字问题，请直接输入您的问题。"
