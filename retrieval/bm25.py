"""BM25 over token lists: rank-bm25's BM25Okapi statistics, Lucene's idf, and postings for speed.

Why not BM25Okapi as is: its idf `log((N-n+0.5)/(n+0.5))` is negative for a term in more than half
the documents and is then floored to `epsilon * mean idf` (exactly half gets 0), so on a small
corpus a frequent but meaningful term ("浙江", "人工智能") scores the same as a stopword, or nothing.
We use Lucene's `log(1 + (N-n+0.5)/(n+0.5))`, positive and monotone. And BM25Okapi.get_scores
loops over every document in Python per query term; postings make a query cost what it matches.
"""
from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

# A term's count in one passage is stored in a byte: BM25 saturates long before 255.
MAX_TF = 255


def lucene_idf(n_docs: int, doc_freq: int) -> float:
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class IdfTable(Mapping[str, float]):
    """term -> idf, read-only, over the postings' own term table: one dict per field instead of
    two (the term -> postings-row dict is needed anyway), and no float object per term."""

    def __init__(self, rows: dict[str, int], values: np.ndarray) -> None:
        self._rows, self._values = rows, values
        self.max = float(values.max()) if len(values) else 1.0

    def __getitem__(self, term: str) -> float:
        return float(self._values[self._rows[term]])

    def __contains__(self, term: object) -> bool:
        return term in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class PostingsBM25(BM25Okapi):
    """BM25Okapi's interface (`get_scores`, `idf`, `doc_len`, `avgdl`) with sparse scoring.

    Memory, which grows with the corpus: postings are two flat numpy arrays (passage ids as int32,
    counts as uint8) cut by a start offset per term, and terms live in one dict (term -> row)."""

    def __init__(self, corpus: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        super().__init__(corpus, k1=k1, b=b)

    def _initialize(self, corpus: Iterable[Sequence[str]]) -> dict[str, int]:
        """Like BM25Okapi's, but keeps postings (doc ids, term counts) instead of a dict per document."""
        ids: dict[str, array] = {}
        tfs: dict[str, array] = {}
        lengths = array("i")
        for doc_id, document in enumerate(corpus):
            lengths.append(len(document))
            for word, tf in Counter(document).items():
                if word not in ids:
                    ids[word], tfs[word] = array("i"), array("B")
                ids[word].append(doc_id)
                tfs[word].append(min(tf, MAX_TF))
        self.corpus_size = len(lengths)
        self.doc_len = np.frombuffer(lengths, dtype=np.int32).copy()
        self.avgdl = float(self.doc_len.sum()) / max(self.corpus_size, 1) or 1.0
        self._norm = (self.k1 * (1 - self.b + self.b * self.doc_len / self.avgdl)).astype(np.float32)
        self._rows: dict[str, int] = {w: i for i, w in enumerate(ids)}
        sizes = np.fromiter((len(v) for v in ids.values()), dtype=np.int64, count=len(ids))
        self._starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self._starts[1:])
        self._doc_ids = np.empty(int(self._starts[-1]), dtype=np.int32)
        self._tfs = np.empty(int(self._starts[-1]), dtype=np.uint8)
        for row, w in enumerate(self._rows):
            lo, hi = self._starts[row], self._starts[row + 1]
            self._doc_ids[lo:hi] = np.frombuffer(ids.pop(w), dtype=np.int32)
            self._tfs[lo:hi] = np.frombuffer(tfs.pop(w), dtype=np.uint8)
        return dict(zip(self._rows, sizes.tolist(), strict=True))

    def _calc_idf(self, nd: dict[str, int]) -> None:
        values = np.fromiter((lucene_idf(self.corpus_size, n) for n in nd.values()), dtype=np.float64,
                             count=len(nd))
        self.idf = IdfTable(self._rows, values)
        self.average_idf = float(values.mean()) if len(values) else 0.0

    def get_scores(self, query: Iterable[str]) -> np.ndarray:
        score = np.zeros(self.corpus_size, dtype=np.float32)
        for q in query:
            row = self._rows.get(q)
            if row is None:
                continue
            lo, hi = self._starts[row], self._starts[row + 1]
            docs, tf = self._doc_ids[lo:hi], self._tfs[lo:hi].astype(np.float32)
            score[docs] += self.idf[q] * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return score

    @property
    def vocabulary(self) -> Container[str]:
        """Every term of the corpus (a plain dict's keys: fast membership tests)."""
        return self._rows.keys()

    def docs(self, term: str) -> np.ndarray:
        """The passages holding a term (sorted ids), empty when none does."""
        row = self._rows.get(term)
        if row is None:
            return self._doc_ids[:0]
        return self._doc_ids[self._starts[row] : self._starts[row + 1]]

    def get_batch_scores(self, query: Iterable[str], doc_ids: Sequence[int]) -> list[float]:
        return self.get_scores(query)[list(doc_ids)].tolist()
