"""Pure text-cleaning rules for OCR'd Chinese text; each rule is a small function with its own tests.

Nothing here knows about a particular document: source-specific fixes live in the manifests.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata

# Characters NFKC would damage: the ellipsis becomes "...", circled numbers become digits (which would
# hide stray glyphs), full-width punctuation becomes ASCII (restored by `fullwidth_punct` only next to
# Chinese text, so we keep it as it is).
_NFKC_KEEP = set("…‥—·•“”‘’　") | {chr(c) for c in range(0x2460, 0x24FF)} | {
    chr(c) for c in range(0x2776, 0x2794)} | set("，。：；！？（）【】《》〈〉「」『』、～")

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (+ ext. A, compatibility), for classes
_CJK_PUNCT = r"\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65“”‘’—…·•《》"
_CJK = HAN + _CJK_PUNCT
_CJK_RE = re.compile(f"[{_CJK}]")
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}])[ \t\u3000]+|[ \t\u3000]+(?=[{_CJK}])")

_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}

# Sentence ends: 。！？… and a closing quote or bracket that follows one of them.
_SENTENCE = re.compile(r".+?(?:[。！？!?]+|…+)[”’」』）)]*|.+$", re.S)
_TERMINAL = "。！？…；："
_CLOSERS = "”’」』）》\"'"

STRAY_GLYPHS = "①②③④⑤⑥⑦⑧⑨⑩❶❷❸❹❺❻❼❽❾❿≥≤☆∮"
_TRAILING_STRAY = re.compile(f"[\\s{STRAY_GLYPHS}]*[{STRAY_GLYPHS}][\\s{STRAY_GLYPHS}]*$")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?>")
_CONTINUATION = re.compile(r"[（(]\s*[上下]接\s*[A-Za-z]?\d*\s*版\s*[）)]")


_HAN_RE = re.compile(f"[{HAN}]")
_NON_WORD = re.compile(r"[\W_]+")


def is_han(ch: str) -> bool:
    """True for a Chinese character (CJK unified ideographs, extension A, compatibility)."""
    return bool(_HAN_RE.fullmatch(ch))


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


_MIDDLE_DOTS = {"•": "·", "・": "·", "‧": "·"}


@functools.cache
def _safe_nfkc(ch: str) -> str:
    if ch in _MIDDLE_DOTS:
        return _MIDDLE_DOTS[ch]
    return ch if ch in _NFKC_KEEP else unicodedata.normalize("NFKC", ch)


def normalize_chars(text: str) -> str:
    """NFKC where it is safe: full-width letters and digits become ASCII, compatibility forms fold,
    but ellipses, dashes, circled numbers and Chinese punctuation stay as they are. Bullets used as
    the interpunct ("创业中华•藤蔓全球") become ·."""
    return "".join(map(_safe_nfkc, text))


def strip_markup(text: str) -> tuple[str, list[str]]:
    """Remove HTML tags, markdown emphasis and continuation marks; return the text and what went."""
    removed: list[str] = []

    def take(match: re.Match[str]) -> str:
        removed.append(match.group(0))
        return ""

    text = _TAG.sub(take, text)
    text = re.sub(r"\*\*+", take, text)
    text = _CONTINUATION.sub(take, text)
    return text, removed


def markup_kind(piece: str) -> str:
    """Report name for something `strip_markup` removed."""
    if _CONTINUATION.fullmatch(piece):
        return "continuation mark"
    return "HTML tag" if piece.startswith("<") else "markdown residue"


def strip_stray_glyphs(text: str) -> tuple[str, str]:
    """Drop end-of-article marks and OCR debris (❷ ② ≥ …) trailing a line; return (text, removed)."""
    match = _TRAILING_STRAY.search(text)
    if not match:
        return text, ""
    return text[: match.start()], match.group(0).strip()


def remove_cjk_spaces(text: str) -> str:
    """Spaces next to Chinese characters or punctuation are OCR column artefacts: remove them.
    Spaces between Latin words or numbers are kept ("AI for Science")."""
    text = _SPACE_NEAR_CJK.sub("", text)
    return re.sub(r"[ \t\u3000]{2,}", " ", text).strip()


def fullwidth_punct(text: str) -> str:
    """ASCII , ; : ! ? and paired ( ) touching Chinese text become full-width; "1,000" and "9:30"
    and parentheses around Latin-only text in Latin context stay ASCII."""
    chars = list(text)

    def cjk_at(i: int) -> bool:
        return 0 <= i < len(chars) and bool(_CJK_RE.match(chars[i]))

    chinese = has_han(text)
    changed = True
    while changed:  # a converted mark makes its ASCII neighbour touch Chinese punctuation too
        changed = False
        for i, ch in enumerate(chars):
            if ch in ",;:!?" and (cjk_at(i - 1) or cjk_at(i + 1) or ch == ";" and chinese):
                chars[i] = _FULLWIDTH[ch]
                changed = True
    stack: list[int] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            j = stack.pop()
            inner = "".join(chars[j + 1: i])
            if has_han(inner) or cjk_at(j - 1) or cjk_at(i + 1):
                chars[j], chars[i] = "（", "）"
    return "".join(chars)


def curly_quotes(text: str) -> str:
    """Straight quotes become “ ” (and ‘ ’ next to Chinese text) alternately within one paragraph:
    the OCR lost their shapes. English apostrophes between Latin letters stay."""
    out: list[str] = []
    double = single = False
    for i, ch in enumerate(text):
        if ch == '"':
            out.append("”" if double else "“")
            double = not double
        elif ch == "'" and (has_han(text[i - 1: i]) or has_han(text[i + 1: i + 2])):
            out.append("’" if single else "‘")
            single = not single
        else:
            out.append(ch)
    return "".join(out)


def clean_line(text: str) -> str:
    """The line-level pipeline: NFKC, markup, spaces, punctuation (quotes wait for whole paragraphs)."""
    text = normalize_chars(text)
    text, _ = strip_markup(text)
    return settle_spacing(text)


def settle_spacing(text: str) -> str:
    """Spaces and punctuation settle each other ("建设 ,推动" needs both rules twice)."""
    for _ in range(3):
        before = text
        text = fullwidth_punct(remove_cjk_spaces(text))
        if text == before:
            break
    return text


def compact(text: str) -> str:
    """Letters, digits and Chinese characters only: for comparing titles and headings."""
    return _NON_WORD.sub("", normalize_chars(text))


def ends_sentence(text: str) -> bool:
    """Does this paragraph end where a sentence (or a list lead-in ending in ：/；) ends?"""
    text = text.rstrip()
    if not text:
        return True
    if text[-1] in _TERMINAL or text.endswith("··"):  # "······" is an ellipsis too
        return True
    stripped = text.rstrip(_CLOSERS)
    return stripped != text and bool(stripped) and stripped[-1] in "。！？…"


def split_sentences(text: str) -> list[str]:
    """Split after 。！？ or an ellipsis, keeping closing quotes with their sentence."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


def closes_unopened(text: str) -> bool:
    """Whether the text closes a quotation (”) it never opened: the quote began in an earlier
    paragraph, or the OCR lost its opening mark."""
    depth = 0
    for ch in text:
        if ch == "“":
            depth += 1
        elif ch == "”":
            if not depth:
                return True
            depth -= 1
    return False


def join_fragments(left: str, right: str) -> str:
    """Join a paragraph cut by a column or page break; a space only between two Latin letters."""
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() \
            and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def split_long(text: str, limit: int = 300) -> list[str]:
    """Split a long paragraph at sentence ends into balanced chunks of at most about `limit`
    characters (330 becomes two of ~165, not 300 + 30); an overlong sentence is cut at ；or ，."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for sentence in split_sentences(text):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        pieces.extend(p for p in re.findall(r".*?[；，]|.+$", sentence, re.S) if p)
    target = len(text) / math.ceil(len(text) / limit)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and (len(current) >= target or len(current) + len(piece) > limit):
            chunks.append(current)
            current = piece
        else:
            current += piece
    if current:
        chunks.append(current)
    return chunks
