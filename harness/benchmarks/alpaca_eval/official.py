"""alpaca_eval's own files in and out (``import --format alpaca_eval`` / ``export``).

Import: ``model_outputs.json`` rows become generations, ``weighted_alpaca_eval_gpt4_turbo/
annotations.json`` rows become judgments in the field layout :meth:`AlpacaEval2.judge` writes
(the official fields plus ``item_id``, the judge ``gpt-4-1106-preview`` at OpenAI's endpoint, the
prompt hash and the position switch), so ``score`` computes WR/SE/LC with alpaca-eval's own
functions. Item ids are positions in the 805-instruction reference order, matched by instruction,
so the reference must be available (``--data-dir`` or the hub). A judgment belongs to the output
it judged (``output_2``): where the saved ``model_outputs`` text differs, the judged one is
imported (the saved one kept as ``saved_output``) and the record is reported.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.importing.files import Located, read_located, require_paths
from harness.importing.records import ImportedRun, ReadOptions, RunBuilder

FORMAT = "alpaca_eval"
TOOL = "alpaca_eval (tatsu-lab/alpaca_eval)"
ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
ANNOTATOR_JUDGES = {ANNOTATOR: "gpt-4-1106-preview"}  # annotator config -> the judge model it calls
OUTPUTS = ("model_outputs.json", "model_outputs.json.gz")
ANNOTATIONS = ("annotations.json", "annotations.json.gz")
LAYOUT = f"""alpaca_eval (benchmark alpaca_eval): PATH is results/, results/<model>/ or one of its files:
    results/<model>/model_outputs.json(.gz)   [{{instruction, output, generator, dataset}}, ...]
    results/<model>/{ANNOTATOR}/annotations.json(.gz)
        [{{instruction, output_1 (gpt4_1106_preview), generator_1, output_2 (the model's), generator_2,
          annotator, preference (1..2, null = failed), raw_completion, ...}}, ...]
    Item ids are positions in the 805-instruction reference: give --data-dir (with
    gpt4_1106_preview.model_outputs.json(.gz)) or be online. LC also needs --data-dir (GLM weights)."""


# --------------------------------------------------------------------------- finding the files
def _model_dir_files(folder: Path) -> tuple[Path | None, list[Path]]:
    outputs = next((folder / n for n in OUTPUTS if (folder / n).is_file()), None)
    annotations = [folder / ANNOTATOR / n for n in ANNOTATIONS if (folder / ANNOTATOR / n).is_file()][:1]
    return outputs, annotations


def _groups(paths: list[Path]) -> list[tuple[str, Path | None, list[Path]]]:
    """(folder name, model_outputs file, annotations files) per model directory or file given."""
    out: list[tuple[str, Path | None, list[Path]]] = []
    for p in require_paths(paths):
        if p.is_file():
            is_ann = p.name in ANNOTATIONS or any("output_2" in r.rec for r in read_located(p)[:1])
            folder = p.parent.parent if is_ann else p.parent
            out.append((folder.name, None, [p]) if is_ann else (folder.name, p, []))
            continue
        outputs, annotations = _model_dir_files(p)
        if outputs or annotations:
            out.append((p.name, outputs, annotations))
            continue
        found = [(d.name, *_model_dir_files(d)) for d in sorted(p.iterdir()) if d.is_dir()]
        found = [f for f in found if f[1] or f[2]]
        if not found:
            raise HarnessError(f"{p}: no alpaca_eval results here (expected results/<model>/model_outputs.json(.gz) "
                               f"or results/<model>/{ANNOTATOR}/annotations.json(.gz))")
        out.extend(found)
    return out


# --------------------------------------------------------------------------- reading
def _reference(options: ReadOptions) -> tuple[dict[str, int], list[dict[str, Any]]]:
    from harness.benchmarks.alpaca_eval import data as ae_data

    try:
        records, _ = ae_data.load_reference(options.data_dir)
    except HarnessError as exc:
        raise HarnessError(f"importing alpaca_eval files needs the AlpacaEval reference (item ids are positions in "
                           f"its 805 instructions): {exc}") from None
    return {r["instruction"]: i for i, r in enumerate(records)}, records


def _check_instruction(loc: Located, positions: dict[str, int], seen: dict[str, str]) -> str:
    instruction = loc.text("instruction", "an alpaca_eval file")
    if instruction not in positions:
        raise loc.error("instruction", f"is not one of the 805 AlpacaEval instructions: {instruction[:60]!r}")
    if instruction in seen:
        raise loc.error("instruction", f"repeats {seen[instruction]} (alpaca_eval keeps one row per instruction)")
    seen[instruction] = loc.where
    return instruction


def _model_name(rows: list[Located], field: str, folder: str, options: ReadOptions) -> str:
    names = {r.rec.get(field) for r in rows if isinstance(r.rec.get(field), str)}
    if len(names) > 1:
        raise rows[0].error(field, f"names several models in one file: {sorted(names)[:3]}")
    found = names.pop() if names else folder
    return options.name(found, str(rows[0].path) if rows else folder)


def _annotation_row(loc: Located, instruction: str, item_id: str, model: str, ref: dict[str, Any]) -> dict[str, Any]:
    from harness.benchmarks.alpaca_eval import protocol, scoring
    from harness.store.judgments import OPENAI_ENDPOINT

    rec = loc.rec
    output_1, output_2 = loc.text("output_1", "an annotations file"), loc.text("output_2", "an annotations file")
    generator_1 = loc.get("generator_1", (str,), default=ref.get("generator", "gpt4_1106_preview"))
    if generator_1 != "gpt4_1106_preview":
        raise loc.error("generator_1", f"is {generator_1!r}: AlpacaEval 2 judges against gpt4_1106_preview")
    annotator = loc.get("annotator", (str,), default=ANNOTATOR)
    if annotator not in ANNOTATOR_JUDGES:
        raise loc.error("annotator", f"is {annotator!r}; AlpacaEval 2 here is {ANNOTATOR} (its annotations only)")
    pref = scoring.preference_value(rec.get("preference"), loc.origin)
    call = output_1 != output_2
    return {
        "item_id": item_id, "instruction": instruction, "dataset": rec.get("dataset", ref.get("dataset", "")),
        "output_1": output_1, "output_2": output_2, "generator_1": generator_1, "generator_2": model,
        "annotator": annotator, "judge_model": rec.get("judge_model") or ANNOTATOR_JUDGES[annotator],
        "judge_endpoint": rec.get("judge_endpoint") or OPENAI_ENDPOINT, "prompt_sha256": protocol.prompt_sha256(),
        "preference": None if math.isnan(pref) else pref, "raw_completion": rec.get("raw_completion"),
        "is_switched_outputs": protocol.is_switched(instruction) if call else None, "cache_key": None,
        "judge_call": call, "error": None if not math.isnan(pref) else "no preference in the official annotations",
        "price_per_example": rec.get("price_per_example"), "time_per_example": rec.get("time_per_example"),
        "source": loc.origin,
    }


def _read_group(folder: str, outputs_path: Path | None, ann_paths: list[Path], options: ReadOptions,
                positions: dict[str, int], reference: list[dict[str, Any]]) -> ImportedRun:
    outputs = options.cut(read_located(outputs_path)) if outputs_path else []
    annotations = [loc for p in ann_paths for loc in options.cut(read_located(p))]
    model = _model_name(annotations, "generator_2", folder, options) if annotations else \
        _model_name(outputs, "generator", folder, options)
    b = RunBuilder(FORMAT, TOOL, model, "alpaca_eval")
    saved: dict[str, tuple[str, Located]] = {}
    seen: dict[str, str] = {}
    for loc in outputs:
        instruction = _check_instruction(loc, positions, seen)
        saved[instruction] = (loc.text("output", "a model_outputs file"), loc)
        b.model_id = b.model_id or str(loc.rec.get("generator") or "")
    seen = {}
    judged: set[str] = set()
    for loc in annotations:
        instruction = _check_instruction(loc, positions, seen)
        i = positions[instruction]
        row = _annotation_row(loc, instruction, f"{i:03d}", model, reference[i])
        b.annotations.append(row)
        judged.add(instruction)
        _check(b, loc, row, saved.get(instruction), reference[i])
        b.add_output(row["item_id"], row["output_2"], loc.origin, item_index=i,
                     extra={"saved_output": saved[instruction][0]} if instruction in saved
                     and saved[instruction][0] != row["output_2"] else None)
    for instruction, (text, loc) in saved.items():
        if instruction not in judged:
            b.add_output(f"{positions[instruction]:03d}", text, loc.origin, item_index=positions[instruction])
    for p in [outputs_path, *ann_paths]:
        if p is not None:
            b.source(p)
    if annotations:
        from harness.benchmarks.alpaca_eval import protocol
        from harness.store.judgments import OPENAI_ENDPOINT

        b.judge = {"model": ANNOTATOR_JUDGES[ANNOTATOR], "endpoint": OPENAI_ENDPOINT, "annotator": ANNOTATOR,
                   "prompt": protocol.PROMPT_RESOURCE, "prompt_sha256": protocol.prompt_sha256(),
                   "source_files": [str(p) for p in ann_paths]}
    return b.build()


def _check(b: RunBuilder, loc: Located, row: dict[str, Any], saved: tuple[str, Located] | None,
           ref: dict[str, Any]) -> None:
    """The judge prompt is made of (instruction, reference, output): compare what the annotation holds."""
    what = []
    if row["output_1"] != ref["output"]:
        what.append("output_1 is not the gpt4_1106_preview reference output")
    if saved is not None and saved[0] != row["output_2"]:
        what.append(f"output_2 (the judged output) differs from the saved output at {saved[1].origin}; "
                    "the judged one is imported")
    if what:
        b.checks.differs(loc.origin, row["item_id"], "instruction", "; ".join(what))
    elif saved is None:
        b.checks.skip("no model_outputs file: the judged output_2 is imported")
    else:
        b.checks.match()


def read(paths: list[Path], options: ReadOptions) -> list[ImportedRun]:
    groups = _groups(paths)
    positions, reference = _reference(options)
    return [_read_group(folder, out, anns, options, positions, reference) for folder, out, anns in groups]


# --------------------------------------------------------------------------- export
EXPORT_FIELDS = ("instruction", "output_1", "generator_1", "dataset", "output_2", "generator_2", "annotator",
                 "preference", "price_per_example", "time_per_example", "raw_completion", "judge_model",
                 "judge_endpoint")


def export(run_dir: Path, benchmark: str, out: Path, options: Any) -> list[Path]:
    """``out/<model>/model_outputs.json`` and, when judged, ``out/<model>/<annotator>/annotations.json``."""
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
    from harness.benchmarks.base import ScoreOptions
    from harness.store.jsonl import write_text_atomic
    from harness.store.layout import safe_name

    answers, sel = AlpacaEval2().judgments(run_dir, ScoreOptions(judge_model=options.judge_model,
                                                                 judge_endpoint=options.judge_endpoint))
    if not answers:
        raise HarnessError(f"no generations to export in {run_dir}")
    model = next(iter(answers.values())).model or run_dir.parent.name
    by_id = {r["item_id"]: r for r in sel.judgments if "item_id" in r}
    reference = _export_reference(options, answers, by_id)
    outputs = []
    for item_id, rec in answers.items():
        ref = reference.get(item_id) or {}
        if "instruction" not in ref:
            raise HarnessError(f"cannot export item {item_id} of {run_dir}: its instruction is unknown (pass --data-dir "
                               "with the AlpacaEval reference)")
        outputs.append({"instruction": ref["instruction"], "output": rec.output, "generator": model,
                        "dataset": ref.get("dataset", "")})
    folder = Path(out) / safe_name(model)
    written = [folder / "model_outputs.json"]
    write_text_atomic(written[0], json.dumps(outputs, indent=2, ensure_ascii=False) + "\n")
    if sel.judgments:
        rows = [{k: r.get(k) for k in EXPORT_FIELDS} for r in sorted(sel.judgments, key=lambda r: str(r.get("item_id")))]
        written.append(folder / ANNOTATOR / "annotations.json")
        write_text_atomic(written[1], json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return written


def _export_reference(options: Any, answers: dict[str, Any], judged: dict[str, dict[str, Any]]
                      ) -> dict[str, dict[str, Any]]:
    """item id -> {instruction, dataset}: from the reference when available, else from the judgments."""
    from harness.benchmarks.alpaca_eval import data as ae_data

    try:
        records, _ = ae_data.load_reference(options.data_dir)
        return {f"{i:03d}": r for i, r in enumerate(records)}
    except HarnessError:
        if not all(i in judged for i in answers):
            raise
        return judged
