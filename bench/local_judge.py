"""The embedded local judge's guided-verdict step: choices scored on one shared KV cache vs one
full forward pass per choice (the straightforward way), on real MT-Bench judge prompts.

    python bench/local_judge.py                  # SmolLM2-135M-Instruct, 3 MT-Bench prompts
    python bench/local_judge.py --prompts 5

Each context is an MT-Bench single-v1 judge prompt with a reference-free answer plus a short
explanation, followed by the forced "Rating: [[" prefix; the ten choices are "1]]" ... "10]]".
Prints both wall times, their ratio and the largest absolute log-prob difference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.benchmarks import get_spec  # noqa: E402
from harness.benchmarks.mt_bench import protocol as mt  # noqa: E402
from harness.benchmarks.mt_bench.data import load_questions  # noqa: E402
from harness.judges.local_model import DEFAULT_JUDGE_MODEL, LocalModelResponder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_JUDGE_MODEL)
    ap.add_argument("--prompts", type=int, default=3)
    ap.add_argument("--data-dir", default=None, help="MT-Bench data directory (default: the offline wheel)")
    args = ap.parse_args(argv)

    import torch

    responder = LocalModelResponder(args.model)
    fmt = get_spec("mt_bench").judge.verdict
    rows, _ = load_questions(Path(args.data_dir) if args.data_dir else None)
    questions = [q for q in rows if not mt.needs_reference(q["category"])][: args.prompts]
    contexts = []
    for q in questions:
        prompt = mt.prompt_for(q["category"], 0)
        answer = "Here is a detailed answer. " * 40
        text = mt.user_prompt(prompt, q["turns"][:1], [answer], None, 0)
        ids = responder._encode_chat(mt.judge_messages(prompt, text))
        contexts.append(ids + responder._encode_text("The answer is relevant but repetitive." + fmt.prefix))
    continuations = [responder._encode_text(c + fmt.suffix) for c in fmt.choices]
    print(f"{len(contexts)} contexts of {min(map(len, contexts))}-{max(map(len, contexts))} tokens, "
          f"{len(continuations)} choices each")

    with torch.inference_mode():
        responder._choice_logprobs(contexts[0], continuations[:1])  # warm-up
        t0 = time.perf_counter()
        full = [[responder._continuation_logprob(c, k) for k in continuations] for c in contexts]
        t_full = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached = [responder._choice_logprobs(c, continuations) for c in contexts]
        t_cached = time.perf_counter() - t0
    diff = max(abs(a - b) for fa, ca in zip(full, cached, strict=True) for a, b in zip(fa, ca, strict=True))
    same = all(max(range(len(f)), key=f.__getitem__) == max(range(len(c)), key=c.__getitem__)
               for f, c in zip(full, cached, strict=True))
    print(f"one forward pass per choice: {t_full:.2f} s")
    print(f"shared KV cache (ours):      {t_cached:.2f} s")
    print(f"speed-up: {t_full / t_cached:.2f}x   max |log-prob diff|: {diff:.2e}   same verdicts: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
