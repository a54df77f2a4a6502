"""The train stage's one progress bar: optimizer steps, with the last logged loss.

Without ``-v`` transformers' Trainer would print every log as a raw dict (its ``PrinterCallback``,
used when its own tqdm bars are off); the harness shows this bar instead. The log history is
unchanged (``trainer.state.log_history``, the training manifest).
"""

from __future__ import annotations

import sys
from typing import Any


def harness_progress_callback() -> Any:
    """A ``TrainerCallback`` drawing one tqdm bar on stderr (rank 0 only)."""
    from transformers import TrainerCallback

    class HarnessProgress(TrainerCallback):
        def __init__(self) -> None:
            self.bar: Any = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                from tqdm import tqdm

                self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="train", unit="step",
                                file=sys.stderr, dynamic_ncols=True, disable=False)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            if self.bar is not None and logs and "loss" in logs:
                self.bar.set_postfix_str(f"loss={float(logs['loss']):.4f}", refresh=False)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return HarnessProgress()


def use_harness_progress(trainer: Any) -> None:
    """Replace the Trainer's printed log dicts by :func:`harness_progress_callback`'s bar."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(harness_progress_callback())
