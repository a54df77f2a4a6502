"""Arena-Hard v0.1 as the harness sees it (see harness.benchmarks.spec)."""

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
    name="arena_hard",
    title="Arena-Hard v0.1",
    impl="harness.benchmarks.arena_hard.benchmark:ArenaHard",
    description="500 questions, pairwise vs gpt-4-0314 judged by gpt-4-1106-preview (two games, swapped), "
                "Bradley-Terry win rate with a 100-round bootstrap CI",
    n_items=500,
    data=DataSpec(
        subdirs=("arena_hard_v0.1", "arena-hard-v0.1", "arena_hard"),
        files="question.jsonl and gpt-4-0314.model_answer.jsonl(.gz) (or model_answer/gpt-4-0314.jsonl)",
        public="github.com/lmarena/arena-hard-auto data/arena-hard-v0.1"),
    metrics=(MetricSpec("ah", "AH", 1, has_ci=True), MetricSpec("ah_length", "AH Length", 0)),
    judge=JudgeSpec(default_model="gpt-4-1106-preview", units_per_item=2, tokens_per_unit=(1432, 766), tokens_measured=True,
                    # 410 published gpt-4-1106-preview games of 2 models
                    protocol=JudgeProtocol(
                        "arena-hard-v0.1", "harness.benchmarks.arena_hard.protocol:get_score",
                        {p: f"python:harness.benchmarks.arena_hard.protocol:{a}" for p, a in
                         (("system", "SYSTEM_PROMPT"), ("user_template", "PROMPT_TEMPLATE"),
                          ("continue", "CONTINUE_PROMPT"))}),
                    verdict=VerdictSpec(marker="[[A>>B]]", choices=("A>>B", "A>B", "A=B", "B>A", "B>>A"),
                                        present=r"\[\[([AB<>=]+)\]\]", prefix="\nMy final verdict is: [[",
                                        suffix="]]")),
    authors_templates={"mistral-instruct": "prepend", "mistral-base": "prepend"},
    formats=("arena_hard",),
    paired_test="bradley_terry",
    report=ReportSpec(kind="games", reader="harness.benchmarks.arena_hard.report:read_run",
                      section="harness.benchmarks.arena_hard.report:section",
                      figures="harness.benchmarks.arena_hard.report:figures"),
)
