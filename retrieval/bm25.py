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
from collections.abc import Iterable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi


def lucene_idf(n_docs: int, doc_freq: int) -> float:
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class PostingsBM25(BM25Okapi):
    """BM25Okapi's interface (`get_scores`, `idf`, `doc_len`, `avgdl`) with sparse scoring."""

    def __init__(self, corpus: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        super().__init__(corpus, k1=k1, b=b)

    def _initialize(self, corpus: Iterable[Sequence[str]]) -> dict[str, int]:
        """Like BM25Okapi's, but keeps postings (doc ids, term counts) instead of a dict per document."""
        ids: dict[str, array] = {}
        tfs: dict[str, array] = {}
        total = 0
        for doc_id, document in enumerate(corpus):
            self.doc_len.append(len(document))
            total += len(document)
            for word, tf in Counter(document).items():
                if word not in ids:
                    ids[word], tfs[word] = array("i"), array("H")
                ids[word].append(doc_id)
                tfs[word].append(min(tf, 65535))
            self.corpus_size += 1
        self.avgdl = total / max(self.corpus_size, 1) or 1.0
        lengths = np.asarray(self.doc_len, dtype=np.float32)
        self._norm = self.k1 * (1 - self.b + self.b * lengths / self.avgdl)
        # One flat array per field and a term -> slice table: compact in memory and quick to unpickle.
        self._slices: dict[str, tuple[int, int]] = {}
        start = 0
        for w in ids:
            self._slices[w] = (start, start + len(ids[w]))
            start += len(ids[w])
        self._doc_ids = np.empty(start, dtype=np.int32)
        self._tfs = np.empty(start, dtype=np.float32)
        for w, (lo, hi) in self._slices.items():
            self._doc_ids[lo:hi] = np.frombuffer(ids[w], dtype=np.int32)
            self._tfs[lo:hi] = np.frombuffer(tfs[w], dtype=np.uint16)
        return {w: hi - lo for w, (lo, hi) in self._slices.items()}

    def _calc_idf(self, nd: dict[str, int]) -> None:
        self.idf = {word: lucene_idf(self.corpus_size, freq) for word, freq in nd.items()}
        self.average_idf = sum(self.idf.values()) / max(len(self.idf), 1)

    def get_scores(self, query: Iterable[str]) -> np.ndarray:
        score = np.zeros(self.corpus_size, dtype=np.float32)
        for q in query:
            where = self._slices.get(q)
            if where is None:
                continue
            docs, tf = self._doc_ids[where[0] : where[1]], self._tfs[where[0] : where[1]]
            score[docs] += self.idf[q] * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return score

    def get_batch_scores(self, query: Iterable[str], doc_ids: Sequence[int]) -> list[float]:
        return self.get_scores(query)[list(doc_ids)].tolist()
