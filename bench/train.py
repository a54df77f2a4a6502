"""Training cost of SimPO vs DPO, and of our SimPO vs trl's CPOTrainer(loss_type="simpo"), from one run.

Every variant trains the same random-init Llama on the same pairs (equal lengths, so every batch costs
the same):

* ``simpo``            -- our trainer, SimPO (no reference model)
* ``dpo_ref_model``    -- our trainer, DPO with the reference model in memory (a second forward per step)
* ``dpo_precomputed``  -- our trainer, DPO with reference log-probs precomputed once before training
* ``trl_cpo_simpo``    -- trl.experimental CPOTrainer(loss_type="simpo", cpo_alpha=0)

Step time: all four trainers live in one process and take their steps in rotation (forward, loss,
backward, optimizer step), so background load hits every variant alike; reported as the minimum (ratios)
and the median over ``--steps`` steps after ``--warmup``. Memory: each variant runs ``trainer.train()``
alone in its own subprocess. Memory: on GPU
``torch.cuda.max_memory_allocated``; on CPU the peak RSS growth of the process from just before the
model is loaded (``resource`` ru_maxrss), i.e. weights + grads + optimizer state + activations.
The paper reports SimPO ~20% faster and ~10% less peak GPU memory than DPO (8xH100, 8B models).

    python bench/train.py                 # defaults: ~18M-parameter Llama, 4 pairs x 256 tokens per step
    python bench/train.py --json out.json --hidden 512 --layers 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("simpo", "dpo_ref_model", "dpo_precomputed", "trl_cpo_simpo")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.cli.checks import positive_int  # noqa: E402


def build_assets(d: Path, a: argparse.Namespace) -> None:
    """A random Llama, a word-level tokenizer (word i <-> id), and equal-length synthetic pairs."""
    import random

    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<s>", "</s>", "<pad>"]
    vocab = {t: i for i, t in enumerate(specials)} | {f"w{i}": i + 3 for i in range(a.vocab - 3)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    hf.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    hf.save_pretrained(d / "model")
    cfg = LlamaConfig(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.hidden * 3,
                      num_hidden_layers=a.layers, num_attention_heads=max(a.hidden // 64, 1),
                      num_key_value_heads=max(a.hidden // 64, 1), max_position_embeddings=4 * a.seq_len,
                      bos_token_id=0, eos_token_id=1, pad_token_id=2, tie_word_embeddings=False)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).save_pretrained(d / "model")
    rng = random.Random(0)
    prompt_len, resp_len = a.seq_len // 4, a.seq_len - a.seq_len // 4 - 2
    rows = []
    for _ in range(a.pairs * (a.steps + a.warmup)):
        words = lambda n: " ".join(f"w{rng.randrange(a.vocab - 3)}" for _ in range(n))  # noqa: E731
        rows.append({"prompt": words(prompt_len), "chosen": " " + words(resp_len), "rejected": " " + words(resp_len)})
    (d / "pairs.json").write_text(json.dumps(rows))


def _our_dataset(tok, rows):  # noqa: ANN001
    """The same token ids trl's CPO tokenisation produces: BOS + prompt, answer + EOS."""
    from datasets import Dataset

    enc = lambda s: tok(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    return Dataset.from_list([{"prompt_ids": [tok.bos_token_id] + enc(r["prompt"]),
                               "chosen_ids": enc(r["chosen"]) + [tok.eos_token_id],
                               "rejected_ids": enc(r["rejected"]) + [tok.eos_token_id]} for r in rows])


def make_trainer(variant: str, d: Path, a: argparse.Namespace, tok, max_steps: int, callbacks=()):  # noqa: ANN001
    """The variant's trainer on a freshly loaded copy of the bench model; returns (trainer, extra info)."""
    import torch
    from transformers import AutoModelForCausalLM, TrainingArguments

    on_gpu = torch.cuda.is_available()
    rows = json.loads((d / "pairs.json").read_text())
    model = AutoModelForCausalLM.from_pretrained(d / "model", dtype=torch.bfloat16 if on_gpu else torch.float32)
    common = dict(output_dir=str(d / f"out-{variant}"), max_steps=max_steps, learning_rate=1e-5,
                  per_device_train_batch_size=a.pairs, gradient_accumulation_steps=1, report_to=[],
                  save_strategy="no", logging_steps=1000, bf16=on_gpu, gradient_checkpointing=False,
                  use_cpu=not on_gpu, seed=0, disable_tqdm=True, dataloader_num_workers=0,
                  lr_scheduler_type="constant")
    extra: dict = {}
    if variant == "trl_cpo_simpo":
        from datasets import Dataset
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        args = CPOConfig(**common, loss_type="simpo", cpo_alpha=0.0, beta=2.0, simpo_gamma=1.0,
                         max_length=a.seq_len + 8, remove_unused_columns=False)
        return CPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                          callbacks=list(callbacks)), extra
    from trainers.logprobs import collate_pairs
    from trainers.trainer import PreferenceTrainer, precompute_reference

    ds = _our_dataset(tok, rows)
    method, params = ("simpo", {"beta": 2.0, "gamma": 1.0}) if variant == "simpo" else ("dpo", {"beta": 0.1})
    ref = None
    if variant == "dpo_ref_model":
        ref = AutoModelForCausalLM.from_pretrained(d / "model", dtype=model.dtype)
    elif variant == "dpo_precomputed":
        if on_gpu:
            model.to("cuda")
        t0 = time.perf_counter()
        ds = precompute_reference(model, ds, tok.pad_token_id, a.pairs * 2)
        extra["precompute_seconds"] = time.perf_counter() - t0
    args = TrainingArguments(**common, remove_unused_columns=False)
    trainer = PreferenceTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                                data_collator=lambda r: collate_pairs(r, tok.pad_token_id), method=method,
                                loss_params=params, ref_model=ref, callbacks=list(callbacks))
    return trainer, extra


def run_memory(variant: str, d: Path, a: argparse.Namespace) -> dict:
    """Peak memory of ``trainer.train()`` for one variant, alone in this process."""
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(a.threads)
    on_gpu = torch.cuda.is_available()
    tok = AutoTokenizer.from_pretrained(d / "model")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    trainer, extra = make_trainer(variant, d, a, tok, max_steps=a.warmup + 2)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    if on_gpu:
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024  # KiB -> MiB
    return {"variant": variant, "peak_memory_mb": peak_mb,
            "memory_kind": "cuda_max_allocated" if on_gpu else "cpu_peak_rss_growth", **extra}


def run_timing(d: Path, a: argparse.Namespace) -> dict:
    """Step times with the variants interleaved step by step, so background load hits all of them alike.

    Each step is the Trainer's own ``training_step`` (forward, loss, backward) plus the optimizer step,
    on the trainer's first batch (all batches have equal shapes).
    """
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(a.threads)
    on_gpu = torch.cuda.is_available()
    tok = AutoTokenizer.from_pretrained(d / "model")
    setups = {}
    for v in VARIANTS:
        trainer, _ = make_trainer(v, d, a, tok, max_steps=a.steps + a.warmup)
        trainer.create_optimizer_and_scheduler(num_training_steps=a.steps + a.warmup)
        batch = next(iter(trainer.get_train_dataloader()))
        trainer.model.to(trainer.args.device)
        trainer.current_gradient_accumulation_steps = 1  # normally set inside train()'s loop
        setups[v] = (trainer, batch)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for i in range(a.warmup + a.steps):
        order = VARIANTS[i % len(VARIANTS):] + VARIANTS[:i % len(VARIANTS)]
        for v in order:
            trainer, batch = setups[v]
            if on_gpu:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            trainer.training_step(trainer.model, batch)
            trainer.optimizer.step()
            trainer.optimizer.zero_grad(set_to_none=True)
            if on_gpu:
                torch.cuda.synchronize()
            if i >= a.warmup:
                times[v].append(time.perf_counter() - t0)
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hidden", type=int, default=384)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--vocab", type=int, default=8000)
    p.add_argument("--seq-len", type=int, default=256, help="tokens per sequence (prompt + response)")
    p.add_argument("--pairs", type=int, default=4, help="preference pairs per step")
    p.add_argument("--steps", type=int, default=10, help="timed steps per variant")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=positive_int, default=1, help="memory runs per variant (median is reported)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--variant", choices=(*VARIANTS, "timing"), help=argparse.SUPPRESS)
    p.add_argument("--assets", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.variant:  # child process
        out = run_timing(a.assets, a) if a.variant == "timing" else run_memory(a.variant, a.assets, a)
        print("RESULT " + json.dumps(out))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        d = Path(tmp)
        build_assets(d, a)
        child_args = list(sys.argv[1:])
        if "--json" in child_args:
            i = child_args.index("--json")
            child_args = child_args[:i] + child_args[i + 2:]
        env = dict(os.environ, PYTHONPATH=str(REPO), TRL_EXPERIMENTAL_SILENCE="1")

        def child(variant: str):  # noqa: ANN202
            proc = subprocess.run([sys.executable, __file__, *child_args, "--variant", variant, "--assets", str(d)],
                                  capture_output=True, text=True, env=env)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
                raise SystemExit(f"bench child {variant} failed")
            return json.loads(line[len("RESULT "):])

        mem_runs = {v: [child(v) for _ in range(a.rounds)] for v in VARIANTS}
        times = child("timing")
    results = {}
    for v in VARIANTS:
        rs = mem_runs[v]
        results[v] = {"step_seconds": min(times[v]), "step_seconds_median": statistics.median(times[v]),
                      "step_times": times[v], "steps_timed": len(times[v]),
                      "peak_memory_mb": statistics.median(r["peak_memory_mb"] for r in rs),
                      "memory_kind": rs[0]["memory_kind"]}
        if "precompute_seconds" in rs[0]:
            results[v]["precompute_seconds"] = statistics.median(r["precompute_seconds"] for r in rs)
    params = f"hidden {a.hidden}, layers {a.layers}, vocab {a.vocab}, {a.pairs} pairs x {a.seq_len} tokens/step"
    print(f"bench/train.py  ({params}; {a.steps} interleaved steps after {a.warmup} warm-up)")
    print(f"{'variant':<18}{'min step s':>12}{'median s':>10}{'peak MiB':>10}")
    for v, r in results.items():
        print(f"{v:<18}{r['step_seconds']:>12.3f}{r['step_seconds_median']:>10.3f}{r['peak_memory_mb']:>10.1f}")
    s, dr, dp, t = (results[v] for v in VARIANTS)
    ratios = {
        "simpo/dpo_ref_model time": s["step_seconds"] / dr["step_seconds"],
        "simpo/dpo_ref_model memory": s["peak_memory_mb"] / dr["peak_memory_mb"],
        "simpo/dpo_precomputed time": s["step_seconds"] / dp["step_seconds"],
        "simpo/dpo_precomputed memory": s["peak_memory_mb"] / dp["peak_memory_mb"],
        "ours_simpo/trl_cpo_simpo time": s["step_seconds"] / t["step_seconds"],
        "ours_simpo/trl_cpo_simpo memory": s["peak_memory_mb"] / t["peak_memory_mb"],
    }
    for k, v in ratios.items():
        print(f"{k:<34}{v:>8.3f}")
    print(f"(dpo_precomputed paid {dp['precompute_seconds']:.2f}s once to precompute reference log-probs; "
          f"memory kind: {s['memory_kind']})")
    if a.json:
        a.json.write_text(json.dumps({"params": vars(a) | {"json": str(a.json)}, "results": results,
                                      "ratios": ratios}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
