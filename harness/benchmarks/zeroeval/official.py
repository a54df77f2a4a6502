"""ZeroEval's result files in and out (``import --format zeroeval`` / ``export``).

Import: each record of ``result_dirs/<task>/<model>.json`` becomes a generation (item id = the
record's ``id``, ZeroEval's own: ``gsm8k-main-test-#<i>``, ``mmlu-redux-<subject>-#<i>``, as
this harness's data gives them; ``output[i]`` is sample i). The file holds its gold answers, so
they are written as the run's ``gold.jsonl`` snapshot, which the benchmark's score reads when no
data is available: scoring an imported file needs no ``--data-dir``. The task (``dataset`` field,
else the folder name) picks the benchmark: gsm -> gsm8k, mmlu-redux -> mmlu. The run's item set is
the benchmark's full set, so a file holding fewer items scores ZeroEval's number (over the items
in the file) flagged incomplete, with the full-set accuracy beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.importing.files import Located, data_files, read_located, require_paths, stem
from harness.importing.records import ImportedRun, ReadOptions, RunBuilder

FORMAT = "zeroeval"
TOOL = "ZeroEval (WildEval/ZeroEval)"
TASKS = {"gsm": "gsm8k", "mmlu-redux": "mmlu"}  # ZeroEval task -> benchmark
LAYOUT = """zeroeval (benchmarks gsm8k, mmlu): PATH is result_dirs/, result_dirs/<task>/ (gsm, mmlu-redux)
  or files result_dirs/<task>/<model>.json(.gz):
    [{id, session_id, output: [text, ...], generator, dataset: gsm | mmlu-redux,
      question, answer (gsm: "# 18") | choices + correct_answer (mmlu-redux), ...}, ...]
    The file's gold answers are kept (gold.jsonl): scoring needs no --data-dir."""


def _files(paths: list[Path]) -> list[tuple[Path, bool]]:
    """(file, given explicitly) of every result file; *.summary.json leaderboards are skipped."""
    out = []
    for p in require_paths(paths):
        if p.is_file():
            out.append((p, True))
            continue
        subdirs = sorted(d for d in p.iterdir() if d.is_dir() and d.name in TASKS)
        for folder in subdirs or [p]:
            out.extend((f, False) for f in data_files(folder, jsonl=False) if ".summary." not in f.name)
    if not out:
        raise HarnessError(f"no ZeroEval result files in {', '.join(map(str, paths))} (expected result_dirs/<task>/"
                           f"<model>.json for tasks {', '.join(TASKS)})")
    return out


def _benchmark(f: Path, records: list[Located], explicit: bool, options: ReadOptions) -> str | None:
    tasks = {r.rec.get("dataset") for r in records} - {None}
    if len(tasks) > 1:
        raise records[0].error("dataset", f"mixes ZeroEval tasks {sorted(map(str, tasks))} in one file")
    if not tasks and f.parent.name not in TASKS:
        if explicit:
            raise records[0].error("dataset", "is missing and the folder is no ZeroEval task (is this a ZeroEval "
                                   f"result file, result_dirs/<task>/<model>.json with tasks {', '.join(TASKS)}?)")
        return None
    task = tasks.pop() if tasks else f.parent.name
    bench = TASKS.get(str(task))
    if bench is None:
        if explicit:
            raise records[0].error("dataset", f"is ZeroEval task {task!r}; the harness scores "
                                   + ", ".join(f"{k} ({v})" for k, v in TASKS.items()))
        return None
    if options.benchmark is not None and bench != options.benchmark:
        if explicit:
            raise records[0].error("dataset", f"is {task!r} ({bench}), not --benchmark {options.benchmark}")
        return None
    return bench


def _gold(loc: Located, bench: str) -> Any:
    from harness.benchmarks.zeroeval.scoring import gold_letter

    if bench == "gsm8k":
        return loc.text("answer", "a ZeroEval GSM8K record")
    choices = loc.get("choices", (list,), what="a ZeroEval MMLU-Redux record")
    correct = loc.text("correct_answer", "a ZeroEval MMLU-Redux record")
    if correct not in choices:
        raise loc.error("correct_answer", f"{correct[:40]!r} is not one of the choices")
    return gold_letter([str(c) for c in choices], correct)


def _outputs(loc: Located) -> list[str]:
    out = loc.get("output", (list, str), what="a ZeroEval result")
    out = [out] if isinstance(out, str) else out
    if not out or not all(isinstance(o, str) for o in out):
        raise loc.error("output", "must be a non-empty list of strings")
    return out


def _read_file(f: Path, records: list[Located], bench: str, options: ReadOptions) -> ImportedRun:
    model = options.name(stem(f), str(f))
    b = RunBuilder(FORMAT, TOOL, model, bench)
    b.source(f)
    gold, seen = [], {}
    for loc in options.cut(records):
        item_id = loc.ident("id", "a ZeroEval result")
        if item_id in seen:
            raise loc.error("id", f"{item_id} repeats {seen[item_id]}")
        seen[item_id] = loc.where
        gold.append({"id": item_id, "gold": _gold(loc, bench)})
        b.model_id = b.model_id or str(loc.rec.get("generator") or "")
        keep = {k: v for k, v in loc.rec.items() if k != "output"}
        for s, text in enumerate(_outputs(loc)):
            b.add_output(item_id, text, loc.origin, sample=s, item_index=loc.index, extra={"zeroeval": keep})
    b.side_files["gold.jsonl"] = gold
    b.notes.append(f"gold answers of the {len(gold)} items in the file written to gold.jsonl")
    return b.build()


def read(paths: list[Path], options: ReadOptions) -> list[ImportedRun]:
    runs = []
    for f, explicit in _files(paths):
        records = read_located(f)
        if not records:
            raise HarnessError(f"{f}: no records")
        bench = _benchmark(f, records, explicit, options)
        if bench is not None:
            runs.append(_read_file(f, records, bench, options))
    return runs


# --------------------------------------------------------------------------- export
TASK_OF = {v: k for k, v in TASKS.items()}


def _native_record(bench: Any, item: Any, rec: Any) -> dict[str, Any]:
    out = {"session_id": item.item_id, "chat_history": list(item.turns), "model_input": rec.prompt or "n/a",
           "generator": rec.model_id or rec.model, "configs": {"engine": rec.backend, **(rec.params or {})},
           "dataset": TASK_OF[bench.name], "id": item.item_id}
    if bench.name == "gsm8k":
        out.update(question=item.metadata.get("question", ""), answer=item.reference)
    else:
        out.update(question=item.turns[0], choices=item.metadata["choices"],
                   correct_answer=item.metadata["correct_answer"])
    return out


def export(run_dir: Path, benchmark: str, out: Path, options: Any) -> list[Path]:
    """``out/<task>/<model>.json``: ZeroEval records, every sample in ``output``."""
    from harness.benchmarks import get_benchmark
    from harness.store import current_generations
    from harness.store.jsonl import write_text_atomic

    records = current_generations(run_dir)
    if not records:
        raise HarnessError(f"no generations to export in {run_dir}")
    by_item: dict[str, list[Any]] = {}
    for r in records:
        by_item.setdefault(r.item_id, []).append(r)
    bench = get_benchmark(benchmark)
    items = None
    if not all("zeroeval" in r.extra for r in records):
        items = {it.item_id: it for it in bench.load_items(options.data_dir)}
    rows = []
    for item_id, recs in by_item.items():
        recs.sort(key=lambda r: r.sample_index)
        if "zeroeval" in recs[0].extra:
            base = dict(recs[0].extra["zeroeval"])
        elif items is not None and item_id in items:
            base = _native_record(bench, items[item_id], recs[0])
        else:
            raise HarnessError(f"cannot export item {item_id} of {run_dir}: it is not a {benchmark} item")
        rows.append({**base, "output": [r.output for r in recs]})
    model = records[0].model or run_dir.parent.name
    path = Path(out) / TASK_OF[benchmark] / f"{model}.json"
    write_text_atomic(path, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return [path]
