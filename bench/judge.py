"""Wall time to annotate the 805 AlpacaEval pairs against a local judge server with 100 ms latency:
our judge (OpenAIJudgeClient, async, --concurrency) vs alpaca-eval 0.6.2's own annotator.

Both sides talk to the same :class:`harness.judges.local_server.LocalJudgeServer`, run in its own
process (``python -m harness.judges.local_server``) so it shares no interpreter lock with either side (a deterministic
m/M responder hashed on the prompt, so both must produce identical preferences -- checked). The
official side is ``alpaca_eval.annotators.PairwiseAnnotator("weighted_alpaca_eval_gpt4_turbo")``,
i.e. its real ``openai_completions`` decoder (multiprocessing pool of OPENAI_MAX_CONCURRENCY
workers, default 5), pointed at the server through its documented client-config file
(``OPENAI_CLIENT_CONFIG_PATH``: ``default: [{api_key, base_url}]``). It runs in a subprocess because
alpaca_eval reads that configuration at import time.

    python bench/judge.py [--data-dir ../shared/alpaca_eval_validation_data] [--concurrency 16,64]
                          [--latency 0.1] [--official-concurrency 5] [--limit N] [--out FILE]

Prints, for each of our concurrencies, the wall time as a ratio to the latency bound
(ceil(requests / concurrency) x latency: what a client with no overhead of its own would take)
and the speed-up over the official annotator measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL_OUTPUTS = "model_outputs/gemma-2-9b-it-SimPO.model_outputs.json.gz"


def _official(args: argparse.Namespace) -> int:
    """Child mode: alpaca-eval 0.6.2's annotator; prints {seconds, preferences} as JSON."""
    import logging

    logging.disable(logging.WARNING)
    from alpaca_eval.annotators import PairwiseAnnotator

    from harness.benchmarks.alpaca_eval import data as ae_data
    from harness.store.jsonl import read_records

    reference, _ = ae_data.load_reference(args.data_dir)
    model = read_records(args.data_dir / MODEL_OUTPUTS)
    n = args.limit or len(reference)
    annotator = PairwiseAnnotator(annotators_config="weighted_alpaca_eval_gpt4_turbo", caching_path=None)
    t = time.perf_counter()
    out = annotator.annotate_head2head(outputs_1=reference[:n], outputs_2=model[:n])
    seconds = time.perf_counter() - t
    prefs = {r["instruction"]: (None if r["preference"] is None or math.isnan(r["preference"]) else r["preference"])
             for r in out}
    print(json.dumps({"seconds": seconds, "preferences": prefs}))
    return 0


def _ours(args: argparse.Namespace, base_url: str, work: Path) -> tuple[float, dict[str, float]]:
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
    from harness.benchmarks.base import JudgeOptions
    from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient
    from harness.store.jsonl import append_jsonl, read_jsonl, read_records

    bench = AlpacaEval2(args.data_dir)
    items = bench.load_items(limit=args.limit)
    model = read_records(args.data_dir / MODEL_OUTPUTS)
    run_dir = work / "ours"
    append_jsonl(run_dir / "generations.jsonl", [
        {"key": it.item_id, "item_id": it.item_id, "turn": 0, "sample_index": 0, "model": m["generator"],
         "output": m["output"]}
        for it, m in zip(items, model, strict=False)])
    client = OpenAIJudgeClient(JudgeClientConfig(base_url=base_url, concurrency=args.concurrency,
                                                 cache_path=run_dir / "judge_cache.sqlite"))
    from harness.benchmarks.alpaca_eval import protocol

    # import alpaca_eval (its prompt code and its completion parsers, which import scipy) outside the
    # timed region, as the child does
    protocol.judge_messages("warm-up", "a", "b", False)
    import alpaca_eval.completion_parsers  # noqa: F401
    t = time.perf_counter()
    bench.judge(run_dir, client, items, JudgeOptions())
    seconds = time.perf_counter() - t
    return seconds, {r["instruction"]: r["preference"] for r in read_jsonl(run_dir / "annotations.jsonl")}


def _chat_requests(base_url: str) -> int:
    import httpx

    return int(httpx.get(base_url + "/stats", timeout=10).json()["chat_requests"])


def _concurrencies(text: str) -> list[int]:
    return [int(c) for c in text.split(",") if c.strip()]


def latency_bound(requests: int, concurrency: int, latency: float) -> float:
    """The least wall time ``requests`` calls can take at ``concurrency`` when each takes ``latency``."""
    return math.ceil(requests / concurrency) * latency


def _official_run(args: argparse.Namespace, base_url: str, work: Path) -> tuple[dict, float]:
    cfg = work / "openai_client_config.yaml"
    cfg.write_text(f"default:\n  - api_key: local-bench-no-key\n    base_url: {base_url}\n")
    env = {**os.environ, "OPENAI_CLIENT_CONFIG_PATH": str(cfg),
           "OPENAI_MAX_CONCURRENCY": str(args.official_concurrency), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--_official", "--data-dir", str(args.data_dir)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "alpaca_eval_validation_data")
    p.add_argument("--concurrency", type=_concurrencies, default=[16, 64], help="ours, comma-separated (default 16,64)")
    p.add_argument("--official-concurrency", type=int, default=5, help="OPENAI_MAX_CONCURRENCY (its default: 5)")
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--limit", type=int)
    p.add_argument("--out", type=Path)
    p.add_argument("--_official", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._official:
        return _official(args)

    server = subprocess.Popen(
        [sys.executable, "-m", "harness.judges.local_server", "--port", "0", "--latency", str(args.latency),
         "--responder", "harness.judges.local_server:hashed_preference_responder"],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    ours_runs: list[dict] = []
    load = [os.getloadavg()[0]]
    try:
        base_url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
        with tempfile.TemporaryDirectory() as tmp:
            for c in args.concurrency:
                before = _chat_requests(base_url)
                seconds, prefs = _ours(argparse.Namespace(**{**vars(args), "concurrency": c}), base_url, Path(tmp) / f"c{c}")
                ours_runs.append({"concurrency": c, "seconds": seconds, "requests": _chat_requests(base_url) - before,
                                  "preferences": prefs})
            before = _chat_requests(base_url)
            official, official_wall = _official_run(args, base_url, Path(tmp))
            official_requests = _chat_requests(base_url) - before
        load.append(os.getloadavg()[0])
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {"pairs": len(ours_runs[0]["preferences"]), "latency_s": args.latency,
              "load_avg_1min": [round(x, 2) for x in load], "ours": [],
              "alpaca_eval_0.6.2": {"concurrency": args.official_concurrency, "seconds": round(official["seconds"], 3),
                                    "subprocess_wall_s": round(official_wall, 3), "requests": official_requests,
                                    "latency_bound_s": latency_bound(official_requests, args.official_concurrency,
                                                                     args.latency)}}
    for run in ours_runs:
        bound = latency_bound(run["requests"], run["concurrency"], args.latency)
        diffs = [abs(run["preferences"][k] - v) for k, v in official["preferences"].items()
                 if v is not None and run["preferences"].get(k) is not None]
        report["ours"].append({
            "concurrency": run["concurrency"], "seconds": round(run["seconds"], 3), "requests": run["requests"],
            "latency_bound_s": round(bound, 3), "ratio_to_bound": round(run["seconds"] / bound, 3),
            "speedup_vs_official": round(official["seconds"] / run["seconds"], 2),
            "preferences_compared": len(diffs), "max_abs_preference_diff": max(diffs) if diffs else None})
    print(json.dumps(report, indent=2))
    for r in report["ours"]:
        print(f"concurrency {r['concurrency']:>3}: {r['seconds']:.2f} s = {r['ratio_to_bound']:.2f}x the latency bound "
              f"({r['latency_bound_s']:.1f} s); {r['speedup_vs_official']:.1f}x faster than alpaca-eval 0.6.2 at its "
              f"default concurrency {args.official_concurrency} ({official['seconds']:.1f} s); "
              f"max |preference diff| {r['max_abs_preference_diff']}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
