"""Speed benchmark for the answer engine (run by `make bench`; prints figures, asserts nothing).

Figures: cold start (process start to first answer, caches warm and cold), per-question p50/p99 on
the real corpus and on a 50x synthetic corpus of replicated, perturbed passages, and peak RSS.
Each measurement runs in its own process so peak RSS belongs to that workload alone.
"""
from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "浙江有多少款大模型通过国家网信办备案？", "魔搭社区托管的开源模型有多少个？",
    "宁波数字安全产业基地哪天投运？", "宇树科技的机器人为什么性价比高？", "之江实验室 海纳数据枢纽 定位",
    "寧波舟山港的貨物吞吐量連續多少年世界第一？", "新加坡交易所集团 CEO 是谁",
    "温岭欠薪预警平台设置了多少项预警阈值", "港交所的科企专线是什么？", "象山开渔节每年几号举办？",
    "火星基地何时建成？", "今天天气怎么样", "请问", "浙江自贸试验区累计形成多少项制度创新成果",
    "中控技术 TPT2 发布时间", "莲都区养老管家", "丽水 一县一链一党委", "杭州 算力券", "数据知识产权 数知通",
    "阅兵 装备方队 多少个",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_questions(engine, rounds: int = 20) -> tuple[float, float]:
    engine.ask(QUESTIONS[0])
    latencies = []
    for _ in range(rounds):
        for q in QUESTIONS:
            started = time.perf_counter()
            engine.ask(q)
            latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies), percentile(latencies, 0.99)


def synthetic(corpus: dict, factor: int, seed: int = 17) -> dict:
    """`factor` copies of every article, each passage perturbed: sentences rotated, some characters
    dropped, digits changed, so the index holds `factor` times the distinct postings."""
    rng = random.Random(seed)
    articles = []
    for copy in range(factor):
        for art in corpus["articles"]:
            sections = []
            for sec in art["sections"]:
                passages = []
                for p in sec["passages"]:
                    text = p["text"]
                    if copy:
                        parts = text.split("。")
                        k = rng.randrange(len(parts))
                        text = "。".join(parts[k:] + parts[:k])
                        chars = [c for c in text if rng.random() > 0.03]
                        text = "".join(str(rng.randrange(10)) if c.isdigit() else c for c in chars)
                    passages.append({"id": f"{p['id']}~{copy}", "text": text})
                sections.append({"heading": sec["heading"], "passages": passages})
            articles.append({**art, "id": f"{art['id']}~{copy}", "sections": sections})
    return {"sources": corpus["sources"], "articles": articles,
            "content_hash": f"{corpus.get('content_hash')}-x{factor}"}


def run_real() -> dict:
    from bot.engine import Engine

    engine = Engine.load()
    p50, p99 = time_questions(engine)
    return {"passages": len(engine.pipeline.index.passages), "p50_ms": p50, "p99_ms": p99,
            "peak_rss_mb": peak_rss_mb()}


def run_synthetic(factor: int, cache: Path, serve: bool) -> dict:
    """Build the synthetic corpus and its index into `cache`, or (`serve`) load both from there and
    time questions (the corpus is kept as a file so both processes index the very same text)."""
    from bot.engine import Engine
    from content.store import load_built

    saved = cache / "synthetic.json"
    if not serve:
        saved.write_text(json.dumps(synthetic(load_built(), factor), ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    # As Engine.load does: the corpus is read through a loader, so it is let go before the index loads.
    engine = Engine.from_loader(lambda: json.loads(saved.read_text(encoding="utf-8")), cache_dir=cache)
    result = {"passages": len(engine.pipeline.index.passages), "seconds": time.perf_counter() - started}
    if serve:
        result["p50_ms"], result["p99_ms"] = time_questions(engine, rounds=5)
    return {**result, "peak_rss_mb": peak_rss_mb()}


def cold_start(runs: int = 5) -> list[float]:
    """Wall time of `zhewen ask --json` from process start to its answer, caches warm."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", QUESTIONS[0]], cwd=ROOT,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def in_subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1:
        sys.path.insert(0, str(ROOT))
        if sys.argv[1] == "real":
            result = run_real()
        else:
            factor = int(sys.argv[1].removeprefix("x"))
            result = run_synthetic(factor, Path(sys.argv[2]), sys.argv[3] == "serve")
        print(json.dumps(result))
        return
    # One run first, so the corpus and index caches exist before cold starts are timed.
    subprocess.run([sys.executable, "-m", "bot.cli", "ask", "浙江"], cwd=ROOT, check=True,
                   capture_output=True)
    starts = cold_start()
    print(f"cold start (process start to first answer): median {statistics.median(starts):.2f} s, "
          f"max {max(starts):.2f} s over {len(starts)} runs")
    real = in_subprocess("real")
    print(f"real corpus ({real['passages']} passages): p50 {real['p50_ms']:.2f} ms, "
          f"p99 {real['p99_ms']:.2f} ms, peak RSS {real['peak_rss_mb']:.0f} MB")
    with tempfile.TemporaryDirectory() as cache:
        build = in_subprocess("x50", cache, "build")
        big = in_subprocess("x50", cache, "serve")
    print(f"50x synthetic ({big['passages']} passages): index build {build['seconds']:.1f} s "
          f"(peak RSS {build['peak_rss_mb']:.0f} MB), load from cache {big['seconds']:.1f} s, "
          f"p50 {big['p50_ms']:.2f} ms, p99 {big['p99_ms']:.2f} ms, "
          f"peak RSS serving {big['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
