"""Tokenising, indexing and ranking passages of the cleaned corpus. Knows nothing of bots."""
