"""simpo-harness: reproduce the SimPO paper's evaluation tables and compare checkpoints.

Importing this package must stay cheap: no torch, vllm, trl or transformers at import time.
Heavy modules are imported lazily inside the functions that need them.
"""

__version__ = "0.1.0"
