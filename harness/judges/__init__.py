"""LLM judges: the client contract (:mod:`.base`), the OpenAI-compatible client with retries,
cache and cost accounting (:mod:`.client`), OpenAI Batch API judging (:mod:`.batch`), judge presets
(:mod:`.presets`), serving open judges with vLLM (:mod:`.serve`), cost estimates (:mod:`.cost`) and
a local OpenAI-compatible server (:mod:`.local_server`)."""
