"""Choose the decision's weights and threshold by cross-validation, grouped by article.

    python tests/tune.py            # pooled scores, gate counts, cross-validated fit
    python tests/tune.py --misses   # also every miss with its gate and features

All question sets in tests/data are pooled (they are training data once their first-seen score is
recorded). Folds are grouped by the article a question is about, so a fitted weight is always
scored on articles it never saw; an unanswerable question is a group of its own. The model is a
logistic regression on the features of retrieval/decide.py over the questions no hard check
declined; the threshold maximises answer@1 + abstain on the training folds.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402
from retrieval import decide  # noqa: E402
from retrieval.evaluate import Item, load_items, norm  # noqa: E402

FEATURES = list(decide.WEIGHTS)
SOFT = {"", "low confidence"}


def rows(engine: Engine) -> list[dict]:
    out = []
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for it in load_items(path):
            r = engine.pipeline.answer(it.question)
            correct = bool(it.answers) and any(norm(g) in norm(r.candidate) for g in it.answers)
            out.append({"set": path.stem, "item": it, "gate": r.gate, "hard": r.gate not in SOFT or r.prompt,
                        "x": [r.features.get(f, 0.0) for f in FEATURES], "correct": correct,
                        "found": r.found, "candidate": r.candidate, "missing": r.missing})
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 3000) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent (a few hundred rows: no library needed)."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= 0.5 * ((x.T @ (p - y)) / len(y) + l2 * w / len(y))
        b -= 0.5 * float(np.mean(p - y))
    return w, b


def outcome(rs: list[dict], conf: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """(right answers, answerable, declined unanswerable, unanswerable)."""
    hit = sum(1 for r, c in zip(rs, conf, strict=True) if r["item"].answers and not r["hard"]
              and c >= threshold and r["correct"])
    abst = sum(1 for r, c in zip(rs, conf, strict=True)
               if not r["item"].answers and (r["hard"] or c < threshold))
    return hit, sum(bool(r["item"].answers) for r in rs), abst, sum(not r["item"].answers for r in rs)


def best_threshold(rs: list[dict], conf: np.ndarray) -> float:
    def value(t: float) -> float:
        h, n, a, u = outcome(rs, conf, t)
        return h / max(n, 1) + a / max(u, 1)
    return max(np.linspace(0.05, 0.95, 91), key=lambda t: (value(t), -abs(t - 0.5)))


def auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a right answer scores above a wrong one."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    return sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))


def confidence(x: list[float]) -> float:
    """The confidence decide.py gives these features with its current constants."""
    z = decide.BIAS + sum(decide.WEIGHTS[f] * v for f, v in zip(FEATURES, x, strict=True))
    return 1 / (1 + math.exp(-z))


def group_of(it: Item) -> str:
    return (it.article or "").strip() or f"none:{it.id}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    engine = Engine.load()
    rs = rows(engine)
    x = np.array([r["x"] for r in rs])
    y = np.array([float(r["correct"]) for r in rs])
    soft = np.array([not r["hard"] for r in rs])
    cur = np.array([confidence(r["x"]) for r in rs])
    h, n, a, u = outcome(rs, cur, decide.THRESHOLD)
    print(f"pooled, current constants: answer@1 {h / n:.3f} ({h}/{n})  abstain {a / u:.3f} ({a}/{u})")
    print("gates:", dict(Counter(r["gate"] or "answered" for r in rs)))
    print("answerable declined by a check:",
          dict(Counter(r["gate"] for r in rs if r["item"].answers and r["hard"])))
    # Cross-validation grouped by article.
    groups = sorted({group_of(r["item"]) for r in rs})
    random.Random(7).shuffle(groups)
    fold_of = {g: i % args.folds for i, g in enumerate(groups)}
    cv_conf = np.zeros(len(rs))
    thresholds = []
    for k in range(args.folds):
        train = np.array([fold_of[group_of(r["item"])] != k for r in rs])
        w, b = fit(x[train & soft], y[train & soft])
        conf = 1 / (1 + np.exp(-(x @ w + b)))
        t = best_threshold([r for r, m in zip(rs, train, strict=True) if m], conf[train])
        thresholds.append(t)
        test = ~train
        cv_conf[test] = conf[test] - t + 0.5  # each fold's own threshold, shifted to 0.5
    h, n, a, u = outcome(rs, cv_conf, 0.5)
    print(f"cross-validated ({args.folds} folds by article): answer@1 {h / n:.3f}  abstain {a / u:.3f}"
          f"  thresholds {[round(float(t), 2) for t in thresholds]}")
    answered = [i for i, r in enumerate(rs) if not r["hard"]]
    ranking = auc([cv_conf[i] for i in answered], [rs[i]["correct"] for i in answered])
    print(f"ranking: AUC of the cross-validated confidence, right vs wrong, among the {len(answered)} "
          f"answers the checks let through: {ranking:.3f}")
    w, b = fit(x[soft], y[soft])
    conf = 1 / (1 + np.exp(-(x @ w + b)))
    t = best_threshold(rs, conf)
    h, n, a, u = outcome(rs, conf, t)
    print(f"fit on all: answer@1 {h / n:.3f}  abstain {a / u:.3f}")
    print("WEIGHTS =", {f: round(float(v), 2) for f, v in zip(FEATURES, w, strict=True)},
          f"BIAS = {b:.2f}  THRESHOLD = {t:.2f}")
    if args.misses:
        for r in rs:
            it = r["item"]
            wrong = (it.answers and not (r["found"] and r["correct"])) or (not it.answers and r["found"])
            if wrong:
                print(f"{it.id:8} {r['gate'] or 'answered':28} {it.question}\n"
                      f"         gold={list(it.answers)} missing={r['missing']}"
                      f" x={[round(v, 2) for v in r['x']]}\n"
                      f"         → {r['candidate'][:90]}")


if __name__ == "__main__":
    main()
