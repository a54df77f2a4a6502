"""`simpo-harness trainers list|show`: preference-optimization methods and hyperparameters."""

from __future__ import annotations

import argparse
import json

from harness.registry.trainers import (
    SEQUENCE_LENGTHS,
    TRAINERS,
    TRAINING_DEFAULTS,
    get_trainer,
    trainer_as_dict,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="{list,show}", required=True)
    lst = sub.add_parser("list", help="list methods with their objectives")
    lst.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="objective, hyperparameters per setting and search ranges of one method")
    show.add_argument("name", help="e.g. SimPO, DPO, R-DPO")
    show.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        if args.format == "json":
            print(json.dumps([trainer_as_dict(t) for t in TRAINERS.values()], indent=2, ensure_ascii=False))
            return 0
        width = max(len(n) for n in TRAINERS)
        for spec in TRAINERS.values():
            ref = "ref-free" if spec.reference_free else "needs ref"
            print(f"{spec.name.ljust(width)}  {ref:<9}  {spec.objective}")
        return 0
    spec = get_trainer(args.name)
    if args.format == "json":
        print(json.dumps(trainer_as_dict(spec), indent=2, ensure_ascii=False))
        return 0
    print(f"{spec.name}: {spec.full_name} ({'reference-free' if spec.reference_free else 'uses a reference model'})")
    print(f"  loss: {spec.objective}")
    for symbol, meaning in spec.hyperparameters.items():
        print(f"  {symbol}: {meaning}")
    if spec.per_setting:
        has_gamma = any(h.gamma_beta_ratio is not None for h in spec.per_setting)
        print("  released-model hyperparameters:")
        head = f"    {'setting':<22}{'beta':>6}" + (f"{'gamma/beta':>12}{'gamma':>8}" if has_gamma else "") + f"{'lr':>9}"
        print(head)
        for h in spec.per_setting:
            gamma = f"{h.gamma_beta_ratio:>12g}{h.gamma:>8g}" if has_gamma else ""
            print(f"    {h.setting:<22}{h.beta:>6g}{gamma}{h.learning_rate:>9g}")
    for name, values in spec.search_space.items():
        print(f"  search {name} in {{{', '.join(f'{v:g}' for v in values)}}}")
    print("  shared: " + ", ".join(f"{k}={v}" for k, v in TRAINING_DEFAULTS.items())
          + f"; max_length/prompt {SEQUENCE_LENGTHS['Llama3-Instruct']} (Mistral-Base {SEQUENCE_LENGTHS['Mistral-Base']})")
    print(f"  trl: {spec.trl}")
    if spec.notes:
        print(f"  notes: {spec.notes}")
    return 0
