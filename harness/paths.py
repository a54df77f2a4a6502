"""Where things live: bundled configs, benchmark data, results."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import HarnessError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def model_configs_dir() -> Path:
    """The directory of released-model YAMLs (env ``SIMPO_HARNESS_MODEL_CONFIGS`` overrides)."""
    override = os.environ.get("SIMPO_HARNESS_MODEL_CONFIGS")
    return Path(override) if override else REPO_ROOT / "model_configs"


def default_results_dir() -> Path:
    return Path(os.environ.get("SIMPO_HARNESS_RESULTS", "results"))


def require_file(path: Path, what: str, hint: str = "") -> Path:
    """Return ``path`` if it exists, else raise a one-line error naming the missing file."""
    if not path.is_file():
        extra = f" ({hint})" if hint else ""
        raise HarnessError(f"{what} not found: {path}{extra}")
    return path


def data_roots(data_dir: Path, subdirs: tuple[str, ...]) -> list[Path]:
    """Where a benchmark looks inside ``--data-dir``: its own subfolders (``BenchmarkSpec.data``)
    first, then the folder itself (for a folder holding one benchmark's files)."""
    return [*(Path(data_dir) / sub for sub in subdirs), Path(data_dir)]


def find_data_file(data_dir: Path, subdirs: tuple[str, ...], names: tuple[str, ...]) -> Path | None:
    """The first existing ``<root>/<name>`` over :func:`data_roots` (roots outer, names inner), else None."""
    for root in data_roots(data_dir, subdirs):
        for name in names:
            candidate = root / name
            if candidate.is_file():
                return candidate
    return None


def download_cached(url: str, cache_rel: str, hint: str) -> Path:
    """Fetch ``url`` once into ``$XDG_CACHE_HOME/simpo-harness/<cache_rel>`` (atomic write).

    Offline, fails at once with a one-line error ending in ``hint`` (e.g. which --data-dir to pass).
    """
    import urllib.request

    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    dest = Path(root) / "simpo-harness" / cache_rel
    if dest.is_file():
        return dest
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - fixed https URLs only
            body = resp.read()
    except OSError as exc:
        raise HarnessError(f"could not fetch {url} ({exc}); {hint}") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, dest)
    return dest
