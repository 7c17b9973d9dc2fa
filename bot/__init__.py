"""Answer engine, reply formatting, channels (Telegram, WeCom, terminal), query log and CLI."""
