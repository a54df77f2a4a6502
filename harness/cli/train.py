"""`simpo-harness train`: train SimPO or a baseline from a recipe, resumably, into an evaluable checkpoint."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", help="bundled recipe name (see --list) or a recipe YAML path")
    parser.add_argument("--model", help="override the recipe's base model (registry name, HF repo or local dir)")
    parser.add_argument("--template", help="chat template id of the trained checkpoint (default: the base model's)")
    parser.add_argument("--max-steps", type=int, help="stop after N optimizer steps (overrides epochs)")
    parser.add_argument("--output-dir", help="checkpoint directory (default: the recipe's output_dir)")
    parser.add_argument("--learning-rate", type=float, help="override the recipe's learning rate")
    parser.add_argument("--register", metavar="DIR",
                        help="also write the checkpoint's model config into this model_configs directory")
    parser.add_argument("--list", action="store_true", help="list the bundled recipes and exit")


def run(args: argparse.Namespace) -> int:
    from harness.errors import HarnessError
    from trainers.recipe import available_recipes, load_recipe

    if args.list:
        for name in available_recipes():
            recipe = load_recipe(name)
            print(f"{name:<34} {recipe.method:<8} {recipe.setting:<22} {recipe.model}")
        return 0
    if not args.recipe:
        raise HarnessError("--recipe is required (or --list to see the bundled recipes)")
    if args.max_steps is not None and args.max_steps <= 0:
        raise HarnessError("--max-steps must be a positive integer")
    recipe = load_recipe(args.recipe, model=args.model, template=args.template, max_steps=args.max_steps,
                         learning_rate=args.learning_rate)

    from trainers.runner import train_recipe

    hp = recipe.resolved_hyperparameters()
    print(f"training {recipe.name}: {recipe.method} on {recipe.model} {hp['loss_params']}")
    if "gamma_conversion" in hp:
        print(f"  {hp['gamma_conversion']}")
    result = train_recipe(recipe, output_dir=args.output_dir, register_dir=args.register)
    if result.already_complete:
        print(f"already complete at step {result.global_step}/{result.max_steps}: {result.resumed_from} "
              "(no training steps run, nothing rewritten; pass a larger --max-steps to continue)")
        print(f"checkpoint: {result.output_dir}  (evaluate: simpo-harness generate --model {result.output_dir} ...)")
        return 0
    if result.resumed_from:
        print(f"resumed from {result.resumed_from} (step {result.start_step})")
    first, last = result.start_step + 1, result.global_step
    span = (f"{result.steps_run} steps run: {first}-{last}/{result.max_steps}" if result.steps_run > 0
            else f"no training steps run, at step {last}/{result.max_steps}")
    losses = result.losses_this_run()
    if losses:
        print(f"loss: first logged {losses[0]:.4f}, last logged {losses[-1]:.4f} ({span})")
    else:
        print(f"loss: none logged ({span})")
    if result.loss_before is not None and result.loss_after is not None:
        print(f"objective on {recipe.loss_probe_samples} training pairs: before {result.loss_before:.4f} "
              f"(step {result.start_step}), after {result.loss_after:.4f} (step {result.global_step})")
    print(f"checkpoint: {result.output_dir}  (evaluate: simpo-harness generate --model {result.output_dir} ...)")
    return 0
