"""Fakes at the network edge (Telegram Bot API, WeCom), shared by tests and benchmarks."""
