"""The report's data contract: everything the HTML report shows, as plain dataclasses.

``ReportData`` is the one input of :func:`harness.report.html.render_report`; ``to_dict`` gives
its JSON form (the page embeds the item browser part of it) and ``from_dict`` reads that form
back, checking it, so a report can be rendered from a JSON file written by another tool.
Nothing here reads files or imports heavy packages.

Vocabulary of :attr:`Verdict.outcome` per :attr:`BenchmarkSection.kind`:

* ``pairwise`` (AlpacaEval: the model vs a reference answer, one preference): ``win`` / ``tie`` /
  ``loss`` from the model's side, ``unparsed`` when the judge gave no usable preference;
* ``games`` (Arena-Hard: two games against a baseline, positions swapped): per game ``win`` /
  ``tie`` / ``loss`` from the model's side, ``unparsed`` when no verdict label was found;
* ``rating`` (MT-Bench: a 1-10 grade per turn): the grade rounded to an integer (``"1"`` ...
  ``"10"``), ``unparsed`` when no grade was found;
* ``exact`` (GSM8K, MMLU: the parsed answer against the gold one): ``correct`` / ``wrong``
  (an answer that could not be parsed is ``wrong`` with ``parse_failure`` set, as it is scored).

Every kind may also use ``error`` (the judge call failed).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from harness.errors import HarnessError

SCHEMA_VERSION = 1
KINDS = ("pairwise", "games", "rating", "exact")
_COMMON = ("unparsed", "error")
OUTCOMES: dict[str, tuple[str, ...]] = {
    "pairwise": ("win", "tie", "loss", *_COMMON),
    "games": ("win", "tie", "loss", *_COMMON),
    "rating": tuple(str(i) for i in range(0, 11)) + _COMMON,
    "exact": ("correct", "wrong", *_COMMON),
}
RATING_GAP = 2.0  # rating items "disagree" when the models' mean grades differ by at least this much
_UNINFORMATIVE = ("unparsed", "error")


@dataclass
class Judge:
    """A judge as the header labels it; ``official`` is False for anything but the paper's judge."""

    name: str
    benchmarks: list[str] = field(default_factory=list)
    official: bool = True
    note: str = ""


@dataclass
class TableColumn:
    """As :class:`harness.tables.render.Column`: ``digits`` None is text; lists print as ``[lo, hi]``."""

    key: str
    header: str
    digits: int | None = None
    signed: bool = False


@dataclass
class TableRow:
    """One row: ``values`` by column key; ``incomplete`` marks cells (key -> why) shown with ``*``."""

    values: dict[str, Any]
    incomplete: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    columns: list[TableColumn]
    rows: list[TableRow]
    title: str = "Published vs reproduced"
    footnotes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    """One paired comparison A vs B on one benchmark metric (delta = A - B)."""

    benchmark: str
    metric: str
    model_a: str
    model_b: str
    delta: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_holm: float | None = None
    n_paired: int = 0
    n_only_a: int = 0
    n_only_b: int = 0
    method: str = ""
    rounds: int | None = None
    seed: int | None = None
    note: str = ""


@dataclass
class Figure:
    """A figure as an SVG document (e.g. matplotlib's ``savefig(format="svg")``)."""

    title: str
    svg: str
    caption: str = ""


@dataclass
class Verdict:
    """One judgment of one model's answer: a turn (MT-Bench), a game (Arena-Hard) or the item."""

    outcome: str
    label: str = ""  # what the judge said: "B>>A", "8", "preference 1.93", "correct"
    score: float | None = None  # the number behind it: preference, rating, 1/0
    text: str | None = None  # the judge's explanation, where it gives one
    turn: int = 1  # 1-based
    game: int | None = None  # 1-based (Arena-Hard)
    note: str = ""  # e.g. "A = gpt-4-0314, B = the model"
    parse_failure: bool = False
    parsed: str | None = None  # the model's parsed answer (exact-answer benchmarks)


@dataclass
class Item:
    """One benchmark item with every model's answer and verdicts (models without one are absent)."""

    item_id: str
    turns: list[str]  # the instruction / question, one per user turn
    category: str = ""
    reference: list[str] | None = None  # reference or baseline answer per turn, where there is one
    gold: str | None = None  # the gold answer (exact-answer benchmarks)
    answers: dict[str, list[str]] = field(default_factory=dict)  # model -> output per turn
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)  # model -> verdicts


@dataclass
class BenchmarkSection:
    """The item browser of one benchmark."""

    benchmark: str
    kind: str
    models: list[str]
    items: list[Item]
    title: str = ""
    reference_label: str | None = None  # whose answer ``Item.reference`` is ("gpt-4-0314 (baseline)")
    judge: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    title: str
    generated: str  # ISO 8601 time of generation
    results_dir: str
    models: list[str]
    benchmarks: list[str]
    judges: list[Judge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: Table | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    sections: list[BenchmarkSection] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (strict JSON: NaN becomes null); sections' items gain computed ``summary``
        (model -> item outcome) and ``disagree`` fields, which :meth:`from_dict` ignores."""
        self.validate()
        out = _finite(asdict(self))
        for sec, sec_dict in zip(self.sections, out["sections"], strict=True):
            for item, item_dict in zip(sec.items, sec_dict["items"], strict=True):
                summary = item_summary(sec.kind, item)
                item_dict["summary"] = summary
                item_dict["disagree"] = disagree(sec.kind, summary)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ReportData:
        """Read the JSON form back; a malformed document is one HarnessError naming the field."""
        if not isinstance(data, dict):
            raise HarnessError("report data must be a JSON object")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise HarnessError(f"report data schema_version {version!r} is not {SCHEMA_VERSION}")
        report = _build(cls, data, "report")
        report.validate()
        return report

    def validate(self) -> None:
        """Raise HarnessError on data the page could not show faithfully."""
        for fig in self.figures:
            head = fig.svg.lstrip()[:200].lower()
            if not (head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in fig.svg[:2000].lower())):
                raise HarnessError(f"figure {fig.title!r}: not an SVG document")
        for sec in self.sections:
            _validate_section(sec)


def _validate_section(sec: BenchmarkSection) -> None:
    where = f"report section {sec.benchmark!r}"
    if sec.kind not in KINDS:
        raise HarnessError(f"{where}: kind must be one of {', '.join(KINDS)}, got {sec.kind!r}")
    known = set(sec.models)
    seen: set[str] = set()
    for item in sec.items:
        if not (_strings(item.turns) and all(_strings(a) for a in item.answers.values())
                and (item.reference is None or _strings(item.reference))):
            raise HarnessError(f"{where}: item {item.item_id!r}: turns, answers and reference must be lists of strings")
        if item.item_id in seen:
            raise HarnessError(f"{where}: item {item.item_id!r} appears twice")
        seen.add(item.item_id)
        extra = (set(item.answers) | set(item.verdicts)) - known
        if extra:
            raise HarnessError(f"{where}: item {item.item_id!r} names models not in the section: {sorted(extra)}")
        for model, verdicts in item.verdicts.items():
            for v in verdicts:
                if v.outcome not in OUTCOMES[sec.kind]:
                    raise HarnessError(f"{where}: item {item.item_id!r} model {model!r}: outcome {v.outcome!r} "
                                       f"is not one of {', '.join(OUTCOMES[sec.kind])}")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# --------------------------------------------------------------------------- item summaries
def _game_points(outcome: str) -> int:
    return {"win": 1, "loss": -1}.get(outcome, 0)


def model_outcome(kind: str, verdicts: list[Verdict]) -> str | None:
    """One model's outcome on one item: its verdict (pairwise, exact); the sum of its games
    (win +1, loss -1); its mean grade to one decimal (rating). None without verdicts."""
    if not verdicts:
        return None
    usable = [v for v in verdicts if v.outcome not in _UNINFORMATIVE]
    if not usable:
        return "error" if all(v.outcome == "error" for v in verdicts) else "unparsed"
    if kind == "games":
        total = sum(_game_points(v.outcome) for v in usable)
        return "win" if total > 0 else "loss" if total < 0 else "tie"
    if kind == "rating":
        grades = [v.score for v in usable if v.score is not None]
        return f"{sum(grades) / len(grades):.1f}" if grades else "unparsed"
    return usable[0].outcome


def item_summary(kind: str, item: Item) -> dict[str, str]:
    out = {}
    for model, verdicts in item.verdicts.items():
        outcome = model_outcome(kind, verdicts)
        if outcome is not None:
            out[model] = outcome
    return out


def disagree(kind: str, summary: dict[str, str]) -> bool:
    """Whether at least two models have informative outcomes on the item and they differ
    (rating: their mean grades are at least :data:`RATING_GAP` apart)."""
    values = [v for v in summary.values() if v not in _UNINFORMATIVE]
    if len(values) < 2:
        return False
    if kind == "rating":
        grades = [float(v) for v in values]
        return max(grades) - min(grades) >= RATING_GAP
    return len(set(values)) > 1


# --------------------------------------------------------------------------- JSON helpers
def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


_NESTED: dict[tuple[type, str], tuple[str, type]] = {}  # (owner, field) -> (shape, dataclass); set below


def _build(cls: type, data: Any, where: str) -> Any:
    """``cls(**data)`` with nested dataclasses built from their dicts; unknown keys are ignored
    (the computed ``summary`` / ``disagree``), missing required ones are an error."""
    if not isinstance(data, dict):
        raise HarnessError(f"{where}: expected an object, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value, at = data[f.name], f"{where}.{f.name}"
        shape, sub = _NESTED.get((cls, f.name), ("plain", object))
        if value is None or shape == "plain":
            pass
        elif shape == "one":
            value = _build(sub, value, at)
        elif shape == "list":
            value = [_build(sub, v, f"{at}[{i}]") for i, v in enumerate(_list(value, at))]
        else:  # "map": model -> list
            if not isinstance(value, dict):
                raise HarnessError(f"{at}: expected an object, got {type(value).__name__}")
            value = {k: [_build(sub, v, f"{at}.{k}[{i}]") for i, v in enumerate(_list(vs, at))]
                     for k, vs in value.items()}
        kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise HarnessError(f"{where}: {exc}") from None


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise HarnessError(f"{where}: expected a list, got {type(value).__name__}")
    return value


_NESTED.update({
    (ReportData, "judges"): ("list", Judge), (ReportData, "table"): ("one", Table),
    (ReportData, "comparisons"): ("list", Comparison), (ReportData, "figures"): ("list", Figure),
    (ReportData, "sections"): ("list", BenchmarkSection), (Table, "columns"): ("list", TableColumn),
    (Table, "rows"): ("list", TableRow), (BenchmarkSection, "items"): ("list", Item),
    (Item, "verdicts"): ("map", Verdict),
})
