"""GSM8K 5-shot (lm-evaluation-harness) as the harness sees it (see harness.benchmarks.spec)."""

from harness.benchmarks.spec import BenchmarkSpec, MetricSpec, ReportSpec
from harness.benchmarks.zeroeval.spec import GSM8K

SPEC = BenchmarkSpec(
    name="gsm8k_lmeval",
    title="GSM8K 5-shot (lm-eval)",
    impl="harness.benchmarks.gsm8k_lmeval.benchmark:GSM8KLmEval",
    description="GSM8K test, 5 shots from train (lm-evaluation-harness task v3.0), strict-match",
    n_items=1319,
    data=GSM8K.data,  # the same GSM8K files (test + the train split for the shots)
    metrics=(MetricSpec("gsm", "GSM", 1), MetricSpec("gsm_flexible_extract", "GSM flexible-extract", 1)),
    decoding_key=GSM8K.decoding_key,  # a model config's GSM8K decoding applies
    paired_test="mcnemar",
    report=ReportSpec(kind="exact", reader="harness.benchmarks.gsm8k_lmeval.report:read_run"),
    max_new_tokens=256,
    in_tables=False,
)
