"""AlpacaEval 2 as the harness sees it (see harness.benchmarks.spec)."""

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
    name="alpaca_eval",
    title="AlpacaEval 2",
    impl="harness.benchmarks.alpaca_eval.benchmark:AlpacaEval2",
    description="805 instructions judged against gpt4_1106_preview by weighted_alpaca_eval_gpt4_turbo "
                "(alpaca-eval 0.6.2): length-controlled and raw win rate",
    n_items=805,
    data=DataSpec(
        subdirs=("alpaca_eval", "alpaca_eval_validation_data"),
        files="gpt4_1106_preview.model_outputs.json(.gz) or model_outputs/gpt4_1106_preview.model_outputs.json(.gz) "
              "(805 instructions + reference); optional glm_weights/, instruction_difficulty.csv, df_gamed.csv",
        public="huggingface.co/datasets/tatsu-lab/alpaca_eval"),
    metrics=(MetricSpec("ae2_lc", "AE2 LC", 1), MetricSpec("ae2_wr", "AE2 WR", 1),
             MetricSpec("ae2_length", "AE2 Length", 0)),
    judge=JudgeSpec(default_model="gpt-4-1106-preview", units_per_item=1, tokens_per_unit=(901, 1), tokens_measured=True,
                    # 4,007 published weighted_alpaca_eval_gpt4_turbo annotations of 5 models (total_tokens - 1)
                    protocol=JudgeProtocol(
                        "weighted_alpaca_eval_gpt4_turbo", "harness.benchmarks.alpaca_eval.protocol:parse_preference",
                        {"alpaca_eval_clf":
                         "package:alpaca_eval/evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt"}),
                    verdict=VerdictSpec(marker='"model_identifier": "M"', choices=("m", "M"), mode="logprobs")),
    authors_templates={"llama3": "template", "llama3-nobos": "prepend", "mistral-instruct": "prepend",
                       "mistral-base": "template"},
    formats=("alpaca_eval",),
    paired_test="bootstrap_mean",
    report=ReportSpec(kind="pairwise", reader="harness.benchmarks.alpaca_eval.report:read_run",
                      section="harness.benchmarks.alpaca_eval.report:section",
                      figures="harness.benchmarks.alpaca_eval.report:figures"),
)
