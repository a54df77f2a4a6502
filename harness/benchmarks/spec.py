"""What a benchmark declares about itself, in one place (its package's ``spec.py``).

Everything else derives from the spec: the model-registry validation (which decoding keys and
published metric keys exist), the planner (items, judge units, cost), the CLI help and
``benchmarks list``, the tables (columns, labels, digits), the embedded local judge (verdict
choices), the chat-template variants (``--authors-exact``), the importers and the comparisons.
Specs are plain data: importing one imports nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

BosPolicy = Literal["template", "prepend", "none"]
PairedTest = Literal["bootstrap_mean", "bradley_terry", "wilcoxon", "mcnemar"]
ReportKind = Literal["pairwise", "games", "rating", "exact"]


def load_attr(ref: str) -> Any:
    """The object a ``"module:attribute"`` reference names (the module is imported now)."""
    module_name, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@dataclass(frozen=True)
class MetricSpec:
    """A number a benchmark reports (a key of scores.json ``metrics`` and of published scores)."""

    key: str
    label: str  # table header
    digits: int  # decimals printed in tables
    has_ci: bool = False


@dataclass(frozen=True)
class VerdictSpec:
    """How the embedded local judge recognises this protocol's prompt and forces a legal verdict.

    ``mode="generate"``: after its text, if ``present`` does not match, append ``prefix`` and the
    highest-scoring of ``choices`` followed by ``suffix``. ``mode="logprobs"``: a one-token answer
    among ``choices`` with their log-probs (AlpacaEval's m/M).
    """

    marker: str  # text in the judge prompt that identifies the protocol
    choices: tuple[str, ...]
    mode: Literal["generate", "logprobs"] = "generate"
    present: str = ""  # regex of a verdict already in the judge's text
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class JudgeProtocol:
    """What the benchmark's judge code sends and parses, which a judge preset must pin exactly
    (``harness.judges.presets``). Prompt sources are ``package:<pkg>/<file>`` or ``python:module:ATTR``."""

    name: str
    parser: str  # "module:function"
    prompts: dict[str, str]  # prompt id -> source


@dataclass(frozen=True)
class JudgeSpec:
    default_model: str  # the official judge
    units_per_item: int  # judge calls per item (AlpacaEval 1, Arena-Hard 2 games, MT-Bench 2 turns)
    # (prompt, completion) tokens per call for cost estimates before the requests exist: the mean of
    # the published official judgments (cl100k) where the benchmark has them (tests recompute them)
    tokens_per_unit: tuple[int, int]
    verdict: VerdictSpec | None = None
    uses_references: bool = False  # MT-Bench grades some categories against reference answers
    protocol: JudgeProtocol | None = None
    tokens_measured: bool = False  # tokens_per_unit measured on published judgments, not guessed

    def is_official(self, model: str | None, endpoint: str | None) -> bool:
        """Whether judgments by ``model`` at ``endpoint`` are the published numbers' judge."""
        from harness.store.judgments import OPENAI_ENDPOINT

        return model == self.default_model and endpoint == OPENAI_ENDPOINT


@dataclass(frozen=True)
class DataSpec:
    """Where the data is looked for: ``--data-dir/<subdir>/`` for each of ``subdirs`` (then
    ``--data-dir`` itself, whose files are checked to be this benchmark's), else ``public``."""

    subdirs: tuple[str, ...]
    files: str  # the layout, for docs and errors
    public: str  # the public source used when online
    offline: str | None = None  # what works with no network and no --data-dir, if anything


@dataclass(frozen=True)
class ReportSpec:
    """How the HTML report's item browser shows this benchmark (``harness.report``).

    ``kind`` is the verdict vocabulary of :mod:`harness.report.data` (pairwise: one preference
    against a reference answer; games: two games against a baseline; rating: a grade per turn;
    exact: a parsed answer against the gold one). ``reader`` is ``"module:function"`` of
    ``read(run_dir, ctx) -> harness.report.items.ModelRun`` (one model's answers and verdicts);
    ``section``, optional, of ``section(runs, ctx) -> harness.report.items.SectionExtras`` (the
    reference answers and their label, notes); ``figures``, optional, of
    ``figures(results_dir, run_dirs, data_dir) -> harness.report.figures.FigureSet`` (the analysis
    figures of the runs, e.g. length vs win rate). All are imported only when a report is built.
    """

    kind: ReportKind
    reader: str
    section: str = ""
    figures: str = ""


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    title: str
    impl: str  # "module:Class", imported only when the benchmark is used
    description: str
    n_items: int  # the full item set
    data: DataSpec
    metrics: tuple[MetricSpec, ...]
    judge: JudgeSpec | None = None
    decoding_key: str = ""  # key of a model config's ``decoding`` (default: name)
    # --authors-exact: template id -> BOS policy of the SimPO authors' variant
    # (``harness/templates/<name>.<template>.jinja``)
    authors_templates: dict[str, BosPolicy] = field(default_factory=dict)
    formats: tuple[str, ...] = ()  # official tools' file formats that import into / export from it
    paired_test: PairedTest | None = None  # `compare`'s test; values from ``Benchmark.paired_values``
    report: ReportSpec | None = None  # the report's item browser
    max_new_tokens: int | None = None  # a cap the protocol fixes itself (lm-eval GSM8K: 256)
    in_tables: bool = True  # scores shown by `table` (a variant stored under another metric is not)

    def __post_init__(self) -> None:
        if not self.decoding_key:
            object.__setattr__(self, "decoding_key", self.name)

    @property
    def needs_judge(self) -> bool:
        return self.judge is not None

    @property
    def metric_keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.metrics)

    def load_class(self) -> type:
        return load_attr(self.impl)

    def create(self, **kwargs: Any) -> Any:
        """A benchmark instance (imports its implementation)."""
        return self.load_class()(**kwargs)
