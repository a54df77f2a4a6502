"""LLM judges: the client contract (:mod:`.base`), the OpenAI-compatible client with retries,
cache and cost accounting (:mod:`.client`), and a local OpenAI-compatible server (:mod:`.local_server`)."""
