"""The passage index: two channels (jieba words, CJK bigrams), each over body and a boosted field.

Built once from the content export object and cached on disk keyed by its content hash, together
with jieba's dictionary cache, so a process starts without re-tokenising the corpus.
"""
from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from retrieval import homophones
from retrieval.bm25 import PostingsBM25
from retrieval.lexicon import Lexicon, build_lexicon, is_short_form
from retrieval.normalize import display_text, normalize
from retrieval.stopwords import STOPWORDS, is_question_token
from retrieval.tokenize import Tokenizer, bigrams, import_jieba, special_spans
from retrieval.userdict import build_user_words

INDEX_VERSION = "8"


def code_hash() -> str:
    """A hash of the retrieval and content code: the cache key follows the code, so a changed or
    broken build step is never served from an older cache. Taken once, when this module is
    imported, from the code this process runs: files changed on disk while it runs (an upgrade
    beside a running replica, an edit) must not file its index under the new code's key."""
    return _CODE_HASH


def _hash_code_files() -> str:
    import content

    digest = hashlib.sha256()
    for package in (Path(__file__).parent, Path(content.__file__).parent):
        for f in sorted(package.glob("*.py")):
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


_CODE_HASH = _hash_code_files()


@dataclass(frozen=True)
class Params:
    """Ranking parameters, chosen on the dev set (see the final report of issue 3)."""

    k1: float = 1.2
    b: float = 0.75
    field_weight: float = 0.6     # title + heading match, relative to the body
    bigram_weight: float = 0.8    # bigram channel, relative to the word channel, after normalisation
    article_weight: float = 0.2   # the article's best passage (short passages lose their context)
    cue_weight: float = 0.5       # the passage holds the kind of answer asked for (a duration, a cause)
    cue_depth: int = 30           # how many of the best passages the cue reranks
    expansion_weight: float = 0.25  # a synonym or full form of a question word, relative to the word


class Passage(NamedTuple):
    """One passage and where it sits (a tuple, no dict per instance: tens of thousands at 50x)."""

    id: str
    source: str
    source_id: str
    article_id: str
    article: str
    section: str
    page: int | None
    text: str
    order: int


class Hit(NamedTuple):
    doc: int
    score: float


@dataclass
class Index:
    passages: list[Passage]
    params: Params
    content_hash: str
    user_words: list[str]
    word_body: PostingsBM25
    word_field: PostingsBM25
    bi_body: PostingsBM25
    bi_field: PostingsBM25
    field_of: np.ndarray
    lexicon: Lexicon = field(default_factory=Lexicon, repr=False)
    # first character -> the documents' names of 3+ characters, for short forms (浙大 -> 浙江大学)
    long_names: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    tokenizer: Tokenizer | None = field(default=None, repr=False)
    structure: Structure | None = field(default=None, repr=False)
    char_df: dict[str, int] | None = field(default=None, repr=False)
    article_texts: dict[str, str] = field(default_factory=dict, repr=False)
    doc_ids: dict[str, int] = field(default_factory=dict, repr=False)
    # article id -> {name: (kind, mentions)}, filled on first use by the decision (retrieval.decide)
    article_names: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict, repr=False)

    def article_text(self, doc: int) -> str:
        """The normalised text of the passage's whole article, its title and headings included."""
        article_id = self.passages[doc].article_id
        if article_id not in self.article_texts:
            if self.structure is None:
                self.structure = Structure.of(self.passages)
            a = int(self.structure.article_of[doc])
            lo = int(self.structure.article_starts[a])
            hi = int(self.structure.article_starts[a + 1]) if a + 1 < len(self.structure.article_starts) \
                else len(self.passages)
            ps = self.passages[lo:hi]
            self.article_texts[article_id] = normalize(" ".join(
                [ps[0].source, ps[0].article, *dict.fromkeys(p.section for p in ps), *(p.text for p in ps)]))
        return self.article_texts[article_id]

    def char_weight(self, ch: str) -> float:
        """idf of one character over the passages: a shared "案" says more than a shared "子"."""
        if self.char_df is None:
            df: Counter[str] = Counter()
            for p in self.passages:
                df.update(set(p.text))
            self.char_df = dict(df)
        df_ch = self.char_df.get(ch, 0)
        return math.log(1 + (len(self.passages) - df_ch + 0.5) / (df_ch + 0.5))

    def full_forms(self, short: str) -> tuple[str, ...]:
        """The documents' names this may be a short form of ("浙大" -> 浙江大学)."""
        return tuple(n for n in self.long_names.get(short[:1], ()) if is_short_form(short, n))

    def doc_of(self, passage_id: str) -> int | None:
        """The position of a passage by its id (None for an id this corpus does not have)."""
        if not self.doc_ids:  # built whole, then assigned: a thread never sees it half filled
            self.doc_ids = {p.id: i for i, p in enumerate(self.passages)}
        return self.doc_ids.get(passage_id)

    def matches(self, pattern: re.Pattern[str]) -> bool:
        """Whether some article's normalised text matches the pattern."""
        return any(pattern.search(text) for text in self._articles())

    def _articles(self) -> Iterator[str]:
        """Each article's normalised text, title and headings included."""
        if self.structure is None:
            self.structure = Structure.of(self.passages)
        return (self.article_text(int(doc)) for doc in self.structure.article_starts)

    def mentioned(self, text: str) -> bool:
        """Whether some article contains this normalised text as written, punctuation included
        ("deepseek-v3", which the tokens split)."""
        return any(text in article for article in self._articles())

    def attested_latin(self, word: str) -> bool:
        """Whether a Latin word occurs in the documents, possibly inside a longer token."""
        return word in self.word_body.idf or word in self.bi_body.idf

    def typos(self, text: str) -> list[homophones.Fix]:
        """The pinyin-input typos of a normalised question (see retrieval.homophones)."""
        if len(text) > homophones.LONGEST_QUESTION:
            return []
        spans = [homophones.Span(lo, hi, self._known(word))
                 for word, lo, hi in self.tokenizer.spans(text) if hi - lo > 1]
        # Numbers with their units ("17万个") are tokens of their own, not typos.
        spans += [homophones.Span(m.start(), m.end(), True) for m in special_spans(text)]
        return homophones.corrections(text, spans, self.word_body.vocabulary, self.bi_body.vocabulary,
                                      self.attested, STOPWORDS.__contains__,
                                      self.tokenizer.frequency)

    def _known(self, word: str) -> bool:
        return word in self.word_body.idf or word in STOPWORDS or is_question_token(word)

    def attested(self, text: str) -> bool:
        """Whether some passage contains this normalised CJK text (two or more characters)."""
        if len(text) == 2:
            return text in self.bi_body.idf
        docs = None
        for i in range(len(text) - 1):
            found = self.bi_body.docs(text[i : i + 2])
            docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
            if not len(docs):
                return False
        return docs is not None and any(text in normalize(self.passages[d].text) for d in docs)

    def channel_scores(self, words: Sequence[str], grams: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Word-channel and bigram-channel scores of every passage (body + weighted field)."""
        wf = self.params.field_weight
        w = self.word_body.get_scores(words) + wf * self.word_field.get_scores(words)[self.field_of]
        g = self.bi_body.get_scores(grams) + wf * self.bi_field.get_scores(grams)[self.field_of]
        return w, g

    def search(self, words: Sequence[str], grams: Sequence[str], k: int = 20,
               cue: Callable[[str], bool] | None = None, extra: Sequence[str] = ()) -> list[Hit]:
        """Top-k passages by normalised score fusion of the two channels, each passage helped by its
        article's best passage (hierarchical retrieval: passages are short and split from their
        context), then the best `cue_depth` reranked by whether they hold the kind of answer asked
        for (`cue(passage_text)`). `extra` words (synonyms, full forms) add to the word channel at
        `expansion_weight`. Adding the neighbours' scores was tried: no gain on any set."""
        words, grams = self.channel_scores(words, grams)
        if extra and self.params.expansion_weight:
            words = words + self.params.expansion_weight * self.channel_scores(extra, ())[0]
        top_w, top_b = float(words.max(initial=0.0)), float(grams.max(initial=0.0))
        fused = np.zeros_like(words)
        if top_w > 0:
            fused += words / top_w
        if top_b > 0:
            fused += self.params.bigram_weight * grams / top_b
        fused = self._in_context(fused)
        if cue is not None and self.params.cue_weight and fused.any():
            depth = min(self.params.cue_depth, len(fused))
            best = np.argpartition(-fused, depth - 1)[:depth]
            ceiling = float(fused[best].max())
            for i in best:
                if fused[i] > 0 and cue(self.passages[i].text):
                    fused[i] += self.params.cue_weight * ceiling
        k = min(k, len(fused))
        if k == 0 or not fused.any():
            return []
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.lexsort((top, -fused[top]))]
        return [Hit(int(i), float(fused[i])) for i in top if fused[i] > 0]

    def _in_context(self, fused: np.ndarray) -> np.ndarray:
        if not self.params.article_weight or not len(fused):
            return fused
        if self.structure is None:
            self.structure = Structure.of(self.passages)
        best = np.maximum.reduceat(fused, self.structure.article_starts)
        return fused + self.params.article_weight * best[self.structure.article_of]


@dataclass(frozen=True)
class Structure:
    """The article of each passage: articles are contiguous runs of passages, in reading order."""

    article_starts: np.ndarray
    article_of: np.ndarray

    @classmethod
    def of(cls, passages: list[Passage]) -> Structure:
        starts: list[int] = []
        article_of: list[int] = []
        for i, p in enumerate(passages):
            if not i or passages[i - 1].article_id != p.article_id:
                starts.append(i)
            article_of.append(len(starts) - 1)
        return cls(np.array(starts, dtype=np.int64), np.array(article_of, dtype=np.int32))


def passages_of(corpus: dict) -> list[Passage]:
    """Flatten the content export object into passages in reading order."""
    sources = {s["id"]: s.get("title") or s["id"] for s in corpus.get("sources", [])}
    out: list[Passage] = []
    for art in corpus.get("articles", []):
        for sec in art.get("sections", []):
            for p in sec.get("passages", []):
                out.append(Passage(
                    id=str(p["id"]), source=sources.get(art.get("source"), str(art.get("source", ""))),
                    source_id=str(art.get("source", "")), article_id=str(art.get("id", "")),
                    article=art.get("title") or "", section=sec.get("heading") or "",
                    page=art.get("page"), text=display_text(p.get("text") or ""), order=len(out),
                ))
    return out


def field_text(p: Passage, subtitle: str = "") -> str:
    return normalize(" ".join(x for x in (p.article, subtitle, p.section) if x))


def content_hash_of(corpus: dict) -> str:
    if corpus.get("content_hash"):
        return str(corpus["content_hash"])
    raw = pickle.dumps(corpus.get("articles"), protocol=4)
    return hashlib.sha256(raw).hexdigest()[:16]


def default_cache_dir() -> Path:
    """content/build when writable (beside the built corpus), else a private per-user temp directory.

    The cache is a pickle, and loading a pickle runs code: a directory someone else can write to (a
    shared /tmp/zhewen-cache planted before the bot first ran) is never used; then a fresh private
    directory holds this run's cache."""
    import content

    candidate = Path(content.__file__).resolve().parent / "build"
    try:
        candidate.mkdir(parents=True, exist_ok=True)
        probe = candidate / ".zhewen-write-probe"
        probe.touch()
        probe.unlink()
        return candidate
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"zhewen-cache-{os.getuid()}"
    try:
        fallback.mkdir(mode=0o700, exist_ok=True)
        info = fallback.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return fallback
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="zhewen-cache-"))


def _cache_files(content_hash: str, params: Params, cache_dir: Path | None) -> tuple[str, Path, Path]:
    key = hashlib.sha256(f"{content_hash}|{INDEX_VERSION}|{code_hash()}|{params}".encode()).hexdigest()[:16]
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    return key, cache_dir / f"index-{key}.pickle", cache_dir / f"jieba-{key}.cache"


def load_cached_index(content_hash: str, params: Params = Params(),
                      cache_dir: Path | None = None) -> Index | None:
    """The cached index of this content hash and parameters, or None: needs no corpus in memory,
    so a caller can let the corpus go first and keep the peak memory to the larger of the two."""
    _, index_file, jieba_file = _cache_files(content_hash, params, cache_dir)
    if not (index_file.is_file() and jieba_file.is_file()):
        return None
    try:
        with index_file.open("rb") as f:
            index = pickle.load(f)
        index.tokenizer = Tokenizer(index.user_words, cache_file=jieba_file)
        return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        return None


def build_index(corpus: dict, params: Params = Params(), cache_dir: Path | None = None) -> Index:
    """Index the corpus, or load the cached index for this content hash and parameters."""
    cached = load_cached_index(content_hash_of(corpus), params, cache_dir)
    if cached is not None:
        return cached
    key, index_file, jieba_file = _cache_files(content_hash_of(corpus), params, cache_dir)
    cache_dir = index_file.parent
    index = _build(corpus, params, key, jieba_file)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # One temporary file per process: concurrent builders never interleave their writes.
        tmp = index_file.with_name(f"{index_file.name}.{os.getpid()}.tmp")
        tokenizer, index.tokenizer = index.tokenizer, None
        with tmp.open("wb") as f:
            pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
        index.tokenizer = tokenizer
        tmp.replace(index_file)
        _prune(cache_dir, keep=key)
    except OSError:
        pass
    return index


def _prune(cache_dir: Path, keep: str, spare: int = 3) -> None:
    """Remove the caches of older corpus versions (a few MB each), sparing the `spare` most recent
    so that processes working on another corpus (tests, a second checkout) do not rebuild in turns."""
    keys: dict[str, float] = {}
    for f in [*cache_dir.glob("index-*.pickle"), *cache_dir.glob("jieba-*.cache")]:
        key = f.stem.split("-", 1)[1]
        try:
            keys[key] = max(keys.get(key, 0.0), f.stat().st_mtime)
        except FileNotFoundError:  # pruned meanwhile by another process
            continue
    recent = sorted(keys, key=keys.get, reverse=True)[:spare]
    for key in keys:
        if key != keep and key not in recent:
            for stale in (cache_dir / f"index-{key}.pickle", cache_dir / f"jieba-{key}.cache"):
                stale.unlink(missing_ok=True)


def _build(corpus: dict, params: Params, key: str, jieba_file: Path | None) -> Index:
    passages = passages_of(corpus)
    subtitles = {a.get("id"): a.get("subtitle") or "" for a in corpus.get("articles", [])}
    texts = [normalize(p.text) for p in passages]
    fields = [field_text(p, subtitles.get(p.article_id, "")) for p in passages]
    from retrieval.tokenize import base_dictionary_has

    user_words = build_user_words(texts, set(fields),
                                  base_dictionary_has(jieba_file.parent if jieba_file else None))
    tokenizer = Tokenizer(user_words, cache_file=jieba_file)
    unique_fields = list(dict.fromkeys(fields))
    field_no = {f: i for i, f in enumerate(unique_fields)}
    word_body = PostingsBM25((tokenizer.words(t) for t in texts), k1=params.k1, b=params.b)
    lexicon = build_lexicon(texts, word_body.vocabulary, _jieba_dictionary())
    return Index(
        passages=passages, params=params, content_hash=content_hash_of(corpus), user_words=user_words,
        word_body=word_body, lexicon=lexicon,
        long_names=_long_names(user_words, word_body.vocabulary, lexicon, texts),
        word_field=PostingsBM25((tokenizer.words(f) for f in unique_fields), k1=params.k1, b=params.b),
        bi_body=PostingsBM25((bigrams(t) for t in texts), k1=params.k1, b=params.b),
        bi_field=PostingsBM25((bigrams(f) for f in unique_fields), k1=params.k1, b=params.b),
        field_of=np.array([field_no[f] for f in fields], dtype=np.int32),
        tokenizer=tokenizer,
    )


# What names of offices end in, where no word of the index does ("省发展改革委" is cut 发展/改革/委).
_OFFICE = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:委员会|委|办公室|办|厅|局)")


def _long_names(user_words: list[str], vocabulary, lexicon: Lexicon,
                texts: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """The documents' names of 3 to 12 characters by first character: generated terms, words
    jieba tags as proper nouns, and runs ending in an office's head (发展改革委), each from every
    starting point (a short form 发改委 starts where the name does, not where the run does)."""
    from retrieval.lexicon import ENTITY_SUFFIX, PROPER_TAGS

    names = {w for w in user_words if 3 <= len(w) <= 12}
    names |= {run[i:] for text in texts for m in _OFFICE.finditer(text) if (run := m.group())
              for i in range(len(run) - 2)}
    names |= {w for w in vocabulary if 3 <= len(w) <= 12 and (lexicon.tag(w) in PROPER_TAGS
                                                            or ENTITY_SUFFIX.search(w))}
    out: dict[str, list[str]] = {}
    for n in sorted(names):
        out.setdefault(n[0], []).append(n)
    return {k: tuple(v) for k, v in out.items()}


def _jieba_dictionary() -> Path:
    return Path(import_jieba().__file__).parent / "dict.txt"
