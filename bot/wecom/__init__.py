"""WeCom (企业微信) channels: the self-built app callback (`callback`) and the 智能机器人 (`aibot`).

Both are served by `zhewen serve`; importing this package stays cheap (no Starlette, no wechatpy).
"""
