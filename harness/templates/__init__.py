"""Pinned chat templates, rendering, and tokenization with the one-BOS check.

Each template is a ``.jinja`` file in this package, pinned by its SHA-256 (recorded in every
generation record as ``template_hash``). Defaults are the models' official HF chat templates.
The SimPO authors decoded AlpacaEval and Arena-Hard with their own prompt strings, which differ
in places (no ``| trim`` for Llama-3 on AlpacaEval, an empty system turn and ``"<s> "`` for
zephyr-style Mistral-Base, a different Mistral-Instruct template on Arena-Hard, and a Mistral-Base
Arena-Hard file whose newlines are literal backslash-n text outside the Jinja tags, which a
template read from that file renders verbatim); those live in
``<benchmark>.<template>.jinja`` (each benchmark's spec lists its variants and their BOS policy in
``authors_templates``) and are selected with ``authors_exact=True``. Golden tests check them byte
for byte against the authors' files.

Rendering goes to token ids with ``add_special_tokens=False``; a template that has no BOS in its
text gets the tokenizer's BOS prepended, and :func:`check_single_bos` raises when the ids do
not start with exactly one BOS (a doubled BOS is the most common silent reproduction bug).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from harness.errors import HarnessError, did_you_mean

TEMPLATE_DIR = Path(__file__).resolve().parent

BosPolicy = Literal["template", "prepend", "none"]


def authors_variants() -> dict[tuple[str, str], BosPolicy]:
    """(benchmark, template id) -> BOS policy of the SimPO authors' variant, from the benchmark specs."""
    from harness.benchmarks import all_specs

    return {(spec.name, tid): policy for spec in all_specs() for tid, policy in spec.authors_templates.items()}


@dataclass(frozen=True)
class _Spec:
    bos_policy: BosPolicy  # template: BOS is in the text; prepend: add the tokenizer's; none: no BOS
    bos_token: str  # family defaults, used when rendering without a tokenizer
    eos_token: str


SPECS: dict[str, _Spec] = {
    "llama3": _Spec("template", "<|begin_of_text|>", "<|eot_id|>"),
    "llama3-nobos": _Spec("prepend", "<|begin_of_text|>", "<|eot_id|>"),
    "mistral-instruct": _Spec("template", "<s>", "</s>"),
    "mistral-base": _Spec("prepend", "<s>", "</s>"),
    "gemma2": _Spec("template", "<bos>", "<eos>"),
    # SmolLM2's tokenizer calls <|im_start|> its BOS and adds none; chatml has no BOS token.
    "chatml": _Spec("none", "<|im_start|>", "<|im_end|>"),
}

@cache
def pinned_sha256() -> dict[str, str]:
    """file name -> pinned sha256, from ``PINNED.sha256`` beside the templates (sha256sum format)."""
    lines = (TEMPLATE_DIR / "PINNED.sha256").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (ln.split() for ln in lines if ln.strip() and not ln.startswith("#"))}


TEMPLATE_IDS: tuple[str, ...] = tuple(SPECS)


def _raise_exception(message: str) -> None:
    raise HarnessError(f"chat template: {message}")


@cache
def _compile(source: str) -> Any:
    """Compile like transformers' apply_chat_template (sandboxed, trim_blocks, lstrip_blocks)."""
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.globals["raise_exception"] = _raise_exception
    return env.from_string(source)


def render_jinja(source: str, messages: list[dict[str, str]], *, bos_token: str, eos_token: str,
                 add_generation_prompt: bool = True) -> str:
    """Render any HF-style chat template string (used for ours and, in tests, the authors')."""
    return _compile(source).render(messages=messages, bos_token=bos_token, eos_token=eos_token,
                                   add_generation_prompt=add_generation_prompt)


@dataclass(frozen=True)
class ChatTemplate:
    id: str  # template id, with the benchmark prefix for authors' variants (<benchmark>.llama3)
    source: str
    sha256: str
    bos_policy: BosPolicy
    bos_token: str
    eos_token: str

    def render(self, messages: list[dict[str, str]], *, add_generation_prompt: bool = True,
               bos_token: str | None = None, eos_token: str | None = None) -> str:
        if not messages:
            raise HarnessError("cannot render an empty conversation")
        return render_jinja(self.source, messages, bos_token=self.bos_token if bos_token is None else bos_token,
                            eos_token=self.eos_token if eos_token is None else eos_token,
                            add_generation_prompt=add_generation_prompt)

    def render_to_ids(self, tokenizer: Any, messages: list[dict[str, str]], *,
                      add_generation_prompt: bool = True) -> RenderedPrompt:
        """Render with the tokenizer's special tokens and tokenize with exactly one BOS."""
        bos = getattr(tokenizer, "bos_token", None)
        eos = getattr(tokenizer, "eos_token", None)
        text = self.render(messages, add_generation_prompt=add_generation_prompt,
                           bos_token=bos if bos is not None else self.bos_token,
                           eos_token=eos if eos is not None else self.eos_token)
        ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
        bos_id = getattr(tokenizer, "bos_token_id", None)
        if self.bos_policy == "prepend" and bos_id is not None:
            ids = [bos_id, *ids]
        if bos_id is not None and bos_id == getattr(tokenizer, "eos_token_id", None):
            # BOS doubles as EOS (GPT-2 style): later occurrences end turns; check the start only.
            check_single_bos(ids[:2] if len(ids) < 2 or ids[1] == bos_id else ids[:1], bos_id, self)
        else:
            check_single_bos(ids, bos_id, self)
        return RenderedPrompt(text=text, token_ids=tuple(ids))


@dataclass(frozen=True)
class RenderedPrompt:
    text: str  # the rendered string (without a prepended BOS, which exists only as an id)
    token_ids: tuple[int, ...]


def check_single_bos(ids: list[int] | tuple[int, ...], bos_id: int | None, template: ChatTemplate) -> None:
    """Raise unless the prompt starts with exactly one BOS (or, for BOS-less templates, no doubled one)."""
    if bos_id is None or not ids:
        return
    if template.bos_policy == "none":
        if len(ids) > 1 and ids[0] == ids[1] == bos_id:
            raise HarnessError(f"template {template.id!r}: prompt starts with a doubled BOS token {bos_id}")
        return
    count = sum(1 for i in ids if i == bos_id)
    if count != 1 or ids[0] != bos_id:
        where = "missing" if count == 0 else ("not at position 0" if count == 1 else f"present {count} times")
        raise HarnessError(
            f"template {template.id!r}: BOS token {bos_id} is {where}; a prompt must start with exactly "
            "one BOS (check that the template and the tokenizer do not both add it)"
        )


def _read_pinned(filename: str) -> tuple[str, str]:
    path = TEMPLATE_DIR / filename
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if pinned_sha256().get(filename) != digest:
        raise HarnessError(f"template file {path} does not match its pinned sha256 (was it edited?)")
    return data.decode("utf-8"), digest


def get_template(template_id: str, *, benchmark: str | None = None, authors_exact: bool = False) -> ChatTemplate:
    """A pinned template by id, or a custom ``.jinja`` file by path.

    With ``authors_exact`` the SimPO authors' variant for ``benchmark`` is used where one exists
    (their strings equal the default elsewhere).
    """
    if template_id.endswith(".jinja") and template_id not in SPECS:
        path = Path(template_id)
        if not path.is_file():
            raise HarnessError(f"template file not found: {path}")
        source = path.read_text(encoding="utf-8")
        policy: BosPolicy = "template" if "bos_token" in source else "prepend"
        return ChatTemplate(id=str(path), source=source, sha256=hashlib.sha256(source.encode()).hexdigest(),
                            bos_policy=policy, bos_token="", eos_token="")
    if template_id not in SPECS:
        raise did_you_mean(template_id, SPECS, what="template")
    spec = SPECS[template_id]
    variants = authors_variants() if authors_exact and benchmark else {}
    if (benchmark, template_id) in variants:
        name = f"{benchmark}.{template_id}"
        source, digest = _read_pinned(f"{name}.jinja")
        return ChatTemplate(name, source, digest, variants[(benchmark, template_id)], spec.bos_token, spec.eos_token)
    source, digest = _read_pinned(f"{template_id}.jinja")
    return ChatTemplate(template_id, source, digest, spec.bos_policy, spec.bos_token, spec.eos_token)
