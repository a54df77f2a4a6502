"""Runs ``BatchJudgeClient.complete_many`` once in its own process, for the kill-and-resume test.

    python -m tests.helpers.batch_worker --base-url URL --cache C.sqlite --n 12 --out results.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness.judges.base import JudgeRequest, JudgeResponse
from harness.judges.batch import BatchJudgeClient, BatchJudgeConfig


def worker_requests(n: int) -> list[JudgeRequest]:
    """AlpacaEval-style logprob requests and Arena-Hard-style text requests, alternating."""
    reqs = []
    for i in range(n):
        if i % 2:
            reqs.append(JudgeRequest.from_messages("gpt-4-1106-preview", [{"role": "user", "content": f"judge {i}"}],
                                                   temperature=0.0, max_tokens=64))
        else:
            reqs.append(JudgeRequest.from_messages("gpt-4-1106-preview", [{"role": "user", "content": f"q{i}"}],
                                                   max_tokens=1, logprobs=True, top_logprobs=5, temperature=1.0))
    return reqs


def essentials(responses: list[JudgeResponse]) -> list[dict[str, Any]]:
    """What benchmarks read from a response (not the batch id, which differs between runs)."""
    return [{"content": r.content, "top_logprobs": r.top_logprobs, "prompt_tokens": r.prompt_tokens,
             "completion_tokens": r.completion_tokens, "error": r.error,
             "finish_reason": r.extra.get("finish_reason")} for r in responses]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--n", type=int, default=12)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--poll", type=float, default=0.05)
    a = p.parse_args(argv)
    client = BatchJudgeClient(BatchJudgeConfig(base_url=a.base_url, cache_path=a.cache, poll_interval_s=a.poll,
                                               http_retries=0), log=lambda msg: None)
    out = client.complete_many(worker_requests(a.n))
    a.out.write_text(json.dumps({"responses": essentials(out), "usage": client.usage.to_dict()}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
