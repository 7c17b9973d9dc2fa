"""Where a passage id comes from (source, article, section, page), read from the built corpus.

New rows store the cited article and section themselves; this lookup is for rows logged before
they did (migration 0005): their passage ids are resolved through the corpus as it is now, and a
passage the corpus no longer has stays unresolved (NULL), never guessed.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Citation = dict[str, Any]                       # {"source", "article", "section", "page"}
CitationLookup = Callable[[], Mapping[str, Citation]]


def corpus_citations(corpus: dict) -> dict[str, Citation]:
    """passage id -> its citation, for every passage of a content export object."""
    sources = {s.get("id"): s.get("title") or s.get("id") for s in corpus.get("sources", [])}
    out: dict[str, Citation] = {}
    for article in corpus.get("articles", []):
        cite = {"source": sources.get(article.get("source"), article.get("source")),
                "article": article.get("title") or "", "page": article.get("page")}
        for section in article.get("sections", []):
            for passage in section.get("passages", []):
                out[str(passage.get("id"))] = {**cite, "section": section.get("heading") or ""}
    return out


def configured_corpus_path() -> Path:
    """ZHEWEN_CORPUS (environment or .env) when set and valid, else the package's built corpus."""
    from content.store import DEFAULT_BUILD

    try:
        from bot.settings import load_settings

        return load_settings().corpus or DEFAULT_BUILD
    except Exception:  # a bad unrelated setting must not stop a log upgrade
        return DEFAULT_BUILD


def load_citations(path: Path | None = None) -> dict[str, Citation]:
    """The citations of the built corpus file, without building it; {} when it cannot be read."""
    path = path or configured_corpus_path()
    try:
        return corpus_citations(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        logger.warning("query log upgrade: corpus %s unreadable, old rows keep no article: %s", path, exc)
        return {}
