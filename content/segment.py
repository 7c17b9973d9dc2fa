"""From a manifest's raw lines to articles → sections → passages, recording every decision.

General rules live here; anything specific to one document comes from its manifest.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from content import clean, plain
from content.manifest import ArticleSpec, Manifest

PATH_SEPARATOR = " › "
MAX_PASSAGE = 300
MIN_PASSAGE = 30


@dataclass
class Event:
    """One line of the build report: something dropped, joined, corrected or collapsed."""

    action: str       # dropped | joined | corrected | deduplicated
    kind: str         # e.g. "photo credit", "byline", "repeated sentence"
    where: str        # "source:line" or article title
    text: str
    source: str = ""  # the source id, set by the build


@dataclass
class Events:
    items: list[Event] = field(default_factory=list)

    def add(self, action: str, kind: str, where: str, text: str) -> None:
        self.items.append(Event(action, kind, where, text))


_NOISE = [
    ("ISSN/CN", re.compile(r"ISSN|\bCN\s*\d|邮发代号|连续出版物号")),
    ("address/phone", re.compile(r"[（(]0\d{2,3}[）)]\s*\d{7,8}|电子信箱|门户网站|^地址|电话\s*[（(]?\d")),
    ("copyright", re.compile(r"版权声明|著作权使用费")),
    ("sponsor list", re.compile(r"^特别鸣谢$")),
]
_PHOTO_CREDIT = re.compile(r"\s摄\s*$|新华社(?:图片|发)\s*$")
_FURNITURE = {"本刊记者", "本刊评论员", "本期关注"}
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(]\d+[）)])")
_BYLINE_DOT = re.compile(r"^●.{0,30}(?:记者|电)")


def noise_kind(line: str) -> str | None:
    """The general noise class of a raw line, or None when it may be text."""
    text = line.strip()
    for kind, pattern in _NOISE:
        if pattern.search(text):
            return kind
    if len(re.findall(r"人民政府|中共\S{1,6}?委", text)) >= 3:
        return "sponsor list"
    if _PHOTO_CREDIT.search(text):
        return "photo credit" if len(text) <= 40 else "caption"
    cleaned = clean.clean_line(text.lstrip("#").strip())
    if cleaned in _FURNITURE:
        return "page furniture"
    if len(clean.compact(cleaned).strip(clean.STRAY_GLYPHS)) <= 1:
        return "stray glyph"
    return None


def digest(text: str, size: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:size]


def article_id(source_id: str, title: str) -> str:
    """Stable across rebuilds: derived from the source and the title, never from a counter."""
    return f"{source_id}/{digest(title)}"


@dataclass
class _Item:
    kind: str          # body | heading ("" heading text: close the sections at its level)
    line: int          # 1-based raw line
    text: str
    level: int = 1
    wrapped: bool = False  # plain text: the line filled the wrap width, so its paragraph goes on


@dataclass
class _Paragraph:
    path: tuple[str, ...]
    text: str


def _is_byline(text: str) -> bool:
    return text.startswith("■") or bool(_BYLINE_DOT.match(text))


def _short_label(text: str) -> bool:
    """A short line with no sentence punctuation: a byline's role or affiliation."""
    return len(text) <= 30 and not re.search(r"[。！？，,；]", text)


def _heading(raw: str, text: str, manifest: Manifest) -> int:
    """0 when body text, else the heading level (1 section, 2 lead-in / numbered sub-heading)."""
    if len(text) > 40 or "。" in text:
        return 0
    if text.endswith("——") or _NUMBERED.match(text):
        return 2
    if raw.startswith(("#", "●")) or any(h in raw for h in manifest.headings):
        return 1
    return 0


def _is_title(text: str, spec: ArticleSpec, heading_like: bool) -> bool:
    """The article's own title, subtitle or deck printed again (or split over sidebar lines)."""
    key = clean.compact(text)
    title, subtitle = clean.compact(spec.title), clean.compact(spec.subtitle)
    if "。" in text or len(key) < 2:
        return False
    return key in (title, subtitle) or heading_like and key in title + subtitle


def _cleaned(raw: str) -> tuple[str, list[tuple[str, str]]]:
    """A line after the character, markup, spacing and glyph rules, with (kind, text) of each removal."""
    text, removed = clean.strip_markup(clean.normalize_chars(raw))
    dropped = [(clean.markup_kind(piece), piece) for piece in removed]
    text, stray = clean.strip_stray_glyphs(clean.settle_spacing(text))
    if stray:
        dropped.append(("stray glyph", stray))
    return text, dropped


def _pattern_items(text: str, line: int, manifest: Manifest, wrapped: bool = False) -> list[_Item]:
    """A line numbered by one of the manifest's heading patterns: its heading, then the paragraph run
    into it; [] when no pattern numbers it."""
    found = plain.find_heading(text, manifest.heading_patterns)
    if found is None:
        return []
    level, heading, body = found
    items = [_Item("heading", line, clean.curly_quotes(heading), level)]
    if body:
        items.append(_Item("body", line, body, wrapped=wrapped))
    return items


def _items(manifest: Manifest, spec: ArticleSpec, lines: list[str], events: Events) -> list[_Item]:
    if manifest.layout == "plain":
        return _plain_items(manifest, spec, lines, events)
    where = manifest.id
    numbers = [n for n, _ in manifest.lines]
    indices = [i for start, end in spec.spans for i in range(start, end + 1) if lines[i].strip()]
    credit = {i for i in indices if noise_kind(lines[i]) == "photo credit"}
    items: list[_Item] = []
    after_byline = 0
    previous_heading = False
    for pos, i in enumerate(indices):
        raw = lines[i].strip()
        at = f"{where}:{numbers[i]}"
        rule = next((r for r in manifest.noise if r.hits(raw)), None)
        if rule:
            events.add("dropped", rule.kind, at, raw)
            continue
        kind = noise_kind(raw)
        if kind is None and pos + 1 < len(indices) and indices[pos + 1] in credit:
            kind = "caption"
        if kind:
            events.add("dropped", kind, at, raw)
            continue
        marker = raw.lstrip("#").strip()
        if _is_byline(marker):
            events.add("dropped", "byline", at, raw)
            after_byline = 2
            continue
        text, removed = _cleaned(marker)
        for removed_kind, piece in removed:
            events.add("dropped", removed_kind, at, piece)
        if after_byline and _short_label(text):
            events.add("dropped", "byline", at, raw)
            after_byline -= 1
            continue
        after_byline = 0
        numbered = _pattern_items(text, numbers[i], manifest)
        if numbered:
            items.extend(numbered)
            previous_heading = len(numbered) == 1
            continue
        level = _heading(raw, text.lstrip("●").strip(), manifest)
        if level and clean.compact(text) in {clean.compact(a) for a in spec.authors}:
            events.add("dropped", "byline", at, raw)
            continue
        if _is_title(text, spec, bool(level) or text.startswith("——")):
            events.add("dropped", "title", at, raw)
            continue
        if level:
            heading = clean.curly_quotes(text.lstrip("●").strip().removesuffix("——").strip())
            if level == 1 and previous_heading:
                level = 2
            items.append(_Item("heading", numbers[i], heading, level))
            previous_heading = True
            continue
        previous_heading = False
        items.append(_Item("body", numbers[i], text))
    return items


def _plain_drop(raw: str, text: str, following: str, manifest: Manifest) -> str | None:
    """Why a line of a plain text is not text (the report's kind), or None when it is text. The
    document number, a lone date line and the signature above it are metadata. General noise rules
    apply only to lines without sentence punctuation: a policy's sentence may name three 人民政府
    or a telephone number and is still content."""
    rule = next((r for r in manifest.noise if r.hits(raw)), None)
    if rule:
        return rule.kind
    if not plain.is_sentence(text) and (kind := noise_kind(raw)):
        return kind
    if kind := plain.furniture_kind(text):
        return kind
    if plain.date_of_line(text):
        return "date line"
    if plain.is_label(text) and plain.date_of_line(following):
        return "signature"
    return None


def _plain_items(manifest: Manifest, spec: ArticleSpec, lines: list[str], events: Events) -> list[_Item]:
    """Plain text: headings are the lines the manifest's patterns number (or its `headings`); the
    title line(s) and the lines `_plain_drop` names are not text."""
    numbers = [n for n, _ in manifest.lines]
    indices = [i for start, end in spec.spans for i in range(start, end + 1) if lines[i].strip()]
    cleaned = {i: _cleaned(lines[i].strip()) for i in indices}
    width = plain.wrap_width([len(cleaned[i][0]) for i in indices])
    items: list[_Item] = []
    for pos, i in enumerate(indices):
        raw, (text, removed) = lines[i].strip(), cleaned[i]
        at = f"{manifest.id}:{numbers[i]}"
        following = cleaned[indices[pos + 1]][0] if pos + 1 < len(indices) else ""
        kind = _plain_drop(raw, text, following, manifest)
        if kind:
            events.add("dropped", kind, at, raw)
            continue
        for removed_kind, piece in removed:
            events.add("dropped", removed_kind, at, piece)
        wrapped = plain.is_wrapped(len(text), width)
        numbered = _pattern_items(text, numbers[i], manifest, wrapped)
        if numbered:
            items.extend(numbered)
        elif _is_title(text, spec, plain.is_label(text)):
            events.add("dropped", "title", at, raw)
        elif plain.is_label(text) and any(h in raw for h in manifest.headings):
            items.append(_Item("heading", numbers[i], clean.curly_quotes(text), 1))
        else:
            if plain.is_closing(text):  # back to the document's top level: no section
                items.append(_Item("heading", numbers[i], "", 1))
            items.append(_Item("body", numbers[i], text, wrapped=wrapped))
    return items


def _drop_repeated_fragments(items: list[_Item], where: str, events: Events) -> list[_Item]:
    """A body line repeating an earlier one, or a cut fragment contained in a longer line, goes."""
    keys = {id(it): clean.compact(it.text) for it in items if it.kind == "body"}
    kept: list[_Item] = []
    seen: set[str] = set()
    for item in items:
        if item.kind == "body" and len(item.text) >= 10:
            key = keys[id(item)]
            contained = not clean.ends_sentence(item.text) and any(
                other != id(item) and len(other_key) > len(key) and key in other_key
                for other, other_key in keys.items())
            if key in seen or contained:
                events.add("deduplicated", "repeated fragment", f"{where}:{item.line}", item.text)
                continue
            seen.add(key)
        kept.append(item)
    return kept


def _paragraphs(items: list[_Item], where: str, events: Events, layout: str = "ocr") -> list[_Paragraph]:
    """Rebuild paragraphs. OCR: an unfinished one continues with the next body line, across headings,
    sidebar titles and captions (which were dropped or become the next section's heading). Plain
    text: only a line cut at the wrap width continues, and never across a heading.
    A heading's path is the headings above it of a higher level (a smaller number), then itself."""
    paragraphs: list[_Paragraph] = []
    path: tuple[str, ...] = ()
    levels: list[tuple[int, str]] = []
    open_paragraph: _Paragraph | None = None
    last_line = 0
    crossed = False
    for item in items:
        if item.kind == "heading":
            if layout == "plain":  # a level the document skips (第X章 then （一）) leaves no gap
                levels = [(n, t) for n, t in levels if n < item.level] + ([(item.level, item.text)]
                                                                          if item.text else [])
                path = tuple(t for _, t in levels)
                open_paragraph = None
            else:  # OCR: two levels, the first heading seen is the top one
                path = (item.text,) if item.level == 1 or not path else (path[0], item.text)
            crossed = open_paragraph is not None
            continue
        if open_paragraph is not None:
            kind = "paragraph across a heading" if crossed else "paragraph"
            events.add("joined", kind, f"{where}:{last_line}+{item.line}",
                       f"…{open_paragraph.text[-12:]} + {item.text[:12]}…")
            open_paragraph.text = clean.join_fragments(open_paragraph.text, item.text)
        else:
            open_paragraph = _Paragraph(path, item.text)
            paragraphs.append(open_paragraph)
        last_line = item.line
        crossed = False
        if clean.ends_sentence(open_paragraph.text) or layout == "plain" and not item.wrapped:
            open_paragraph = None
    return paragraphs


def _collapse(paragraphs: list[_Paragraph], manifest: Manifest, title: str,
              events: Events) -> list[_Paragraph]:
    """Curly quotes per paragraph; drop garbled clauses and sentences repeated within the article
    (OCR repeats text across columns and pages; a plain text repeats only what its author meant to)."""
    repeats = manifest.layout != "plain"
    garbled = [clean.compact(rule.match) for rule in manifest.garbled if rule.match]
    seen: list[str] = []
    out: list[_Paragraph] = []
    for paragraph in paragraphs:
        kept: list[str] = []
        text = clean.settle_spacing(clean.curly_quotes(paragraph.text))
        for sentence in clean.split_sentences(text):
            clauses = re.findall(r".*?；|.+$", sentence)
            bad = [c for c in clauses if c and garbled and _contains_any(clean.compact(c), garbled)]
            if bad:
                events.add("dropped", "garbled OCR (two columns interleaved)", title, "".join(bad))
                sentence = "".join(c for c in clauses if c not in bad)
                if not sentence:
                    continue
            key = clean.compact(sentence)
            if repeats and (len(key) >= 6 and key in seen or len(key) >= 10 and any(key in s for s in seen)):
                events.add("deduplicated", "repeated sentence", title, sentence)
                continue
            seen.append(key)
            kept.append(sentence)
        if kept:
            out.append(_Paragraph(paragraph.path, "".join(kept)))
    return out


def _join_quotations(paragraphs: list[_Paragraph], title: str, events: Events) -> list[_Paragraph]:
    """A paragraph closing a quotation it never opened ("…也尤为重要。”李茵说。") joins the one
    before, when both fit in a passage: alone it would not say who the speaker is."""
    out: list[_Paragraph] = []
    for paragraph in paragraphs:
        previous = out[-1] if out else None
        if (previous is not None and previous.path == paragraph.path
                and clean.closes_unopened(paragraph.text)
                and len(previous.text) + len(paragraph.text) <= MAX_PASSAGE):
            events.add("joined", "quotation across paragraphs", title,
                       f"…{previous.text[-12:]} + {paragraph.text[:12]}…")
            out[-1] = _Paragraph(previous.path, previous.text + paragraph.text)
        else:
            out.append(paragraph)
    return out


def _contains_any(text: str, parts: list[str]) -> bool:
    return any(part in text for part in parts)


def _passages(paragraphs: list[_Paragraph]) -> list[tuple[tuple[str, ...], str]]:
    """Long paragraphs split at sentence ends; fragments under MIN_PASSAGE merged with a neighbour."""
    pieces = [(p.path, chunk) for p in paragraphs for chunk in clean.split_long(p.text, MAX_PASSAGE)]
    merged: list[tuple[tuple[str, ...], str]] = []
    for path, text in pieces:
        if merged and merged[-1][0] == path and (
                len(text) < MIN_PASSAGE or len(merged[-1][1]) < MIN_PASSAGE):
            merged[-1] = (path, merged[-1][1] + text)
        else:
            merged.append((path, text))
    return merged


def apply_errata(manifest: Manifest, events: Events) -> list[str]:
    """Exact, reviewed replacements; an erratum that no longer matches is an error, not a no-op."""
    lines = [text for _, text in manifest.lines]
    for erratum in manifest.errata:
        count = sum(line.count(erratum.find) for line in lines)
        expected = erratum.count
        if count == 0 or (expected is not None and count != expected):
            want = "at least once" if expected is None else f"{expected} times"
            raise ValueError(f"{manifest.path.name}: erratum {erratum.find!r} found {count} times, "
                             f"expected {want}; fix the manifest")
        lines = [line.replace(erratum.find, erratum.replace) for line in lines]
        events.add("corrected", f"{erratum.find}→{erratum.replace}", manifest.id,
                   f"{count}× {erratum.reason}")
    return lines


def segment(manifest: Manifest, events: Events) -> list[dict]:
    """All articles of one source as export dicts; unassigned lines are reported as dropped."""
    lines = apply_errata(manifest, events)
    owned = {i for spec in manifest.articles for s, e in spec.spans for i in range(s, e + 1)}
    for i, line in enumerate(lines):
        if i not in owned and line.strip():
            raw = line.strip()
            rule = next((r for r in manifest.noise if r.hits(raw)), None)
            kind = rule.kind if rule else noise_kind(raw) or "outside any article"
            events.add("dropped", kind, f"{manifest.id}:{manifest.lines[i][0]}", raw)
    articles = []
    for spec in manifest.articles:
        items = _items(manifest, spec, lines, events)
        if manifest.layout != "plain":
            items = _drop_repeated_fragments(items, manifest.id, events)
        paragraphs = _paragraphs(items, manifest.id, events, manifest.layout)
        paragraphs = _collapse(paragraphs, manifest, spec.title, events)
        paragraphs = _join_quotations(paragraphs, spec.title, events)
        aid = article_id(manifest.id, spec.title)
        sections: list[dict] = []
        used: dict[str, int] = {}
        for path, text in _passages(paragraphs):
            heading = PATH_SEPARATOR.join(path)
            if not sections or sections[-1]["heading"] != heading:
                sections.append({"heading": heading, "passages": []})
            pid = f"{aid}.{digest(text, 10)}"
            used[pid] = used.get(pid, 0) + 1
            if used[pid] > 1:
                pid = f"{pid}-{used[pid]}"
            sections[-1]["passages"].append({"id": pid, "text": text})
        articles.append({
            "id": aid, "source": manifest.id, "title": clean_title(spec.title),
            "subtitle": clean_title(spec.subtitle), "authors": list(spec.authors),
            "column": spec.column, "page": spec.page, "sections": sections})
    return articles


def clean_title(text: str) -> str:
    """Titles get the character, punctuation and quote rules of passages; their spaces are the
    editor's (the manifest is typed by a person), so they stay."""
    return clean.curly_quotes(clean.fullwidth_punct(clean.normalize_chars(text).strip()))
