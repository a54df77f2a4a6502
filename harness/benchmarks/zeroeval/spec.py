"""GSM8K and MMLU-Redux, ZeroEval-style, as the harness sees them (see harness.benchmarks.spec)."""

from harness.benchmarks.spec import BenchmarkSpec, DataSpec, MetricSpec, ReportSpec

REPORT = ReportSpec(kind="exact", reader="harness.benchmarks.zeroeval.report:read_run")

GSM8K = BenchmarkSpec(
    name="gsm8k",
    title="GSM8K (ZeroEval)",
    impl="harness.benchmarks.zeroeval.benchmark:GSM8KZeroEval",
    description="1,319 grade-school math problems, zero-shot JSON answer, ZeroEval scoring",
    n_items=1319,
    data=DataSpec(subdirs=("gsm8k",), files="test.jsonl (and train.jsonl, the shots of the lm-eval 5-shot variant)",
                  public="huggingface.co/datasets/openai/gsm8k"),
    metrics=(MetricSpec("gsm", "GSM", 1), MetricSpec("gsm_length", "GSM Length", 0)),
    formats=("zeroeval",),
    paired_test="mcnemar",
    report=REPORT,
)

MMLU = BenchmarkSpec(
    name="mmlu",
    title="MMLU-Redux (ZeroEval)",
    impl="harness.benchmarks.zeroeval.benchmark:MMLUReduxZeroEval",
    description="ZeroEval's 2,778 MMLU-Redux items, zero-shot multiple choice, ZeroEval scoring",
    n_items=2778,
    data=DataSpec(subdirs=("mmlu_redux",), files="test.jsonl (ZeroEval's set) or <subject>.jsonl (raw)",
                  public="huggingface.co/datasets/yuchenlin/zero-eval (mmlu-redux)"),
    metrics=(MetricSpec("mmlu", "MMLU", 1), MetricSpec("mmlu_length", "MMLU Length", 0)),
    formats=("zeroeval",),
    paired_test="mcnemar",
    report=REPORT,
)
