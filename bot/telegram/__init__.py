"""The Telegram channel (python-telegram-bot v22): long polling, or webhook through `zhewen serve`."""
