"""scripts/vllm_venv.py: the vLLM test venv is layered over the interpreter that runs it.

Real venvs (without pip, so each is built in a fraction of a second); what is checked is what the
vLLM venv's python can import, and in which order, not how the helper does it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "vllm_venv.py"


def _helper():
    spec = importlib.util.spec_from_file_location("vllm_venv", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _site(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return Path(out)


def _run(python: Path | str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture()
def project_env(tmp_path: Path) -> Path:
    """A venv standing for the one the project was installed into: a module, an installed
    distribution's metadata, a .pth-linked source dir (as an editable install) and a module that
    the vLLM venv must shadow."""
    env = tmp_path / "project-env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    site = _site(env / "bin" / "python")
    (site / "marker_mod.py").write_text("WHERE = 'project-env'\n")
    (site / "shadowed.py").write_text("WHERE = 'project-env'\n")
    meta = site / "marker_dist-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: marker-dist\nVersion: 1.0\n")
    src = tmp_path / "editable-src"
    src.mkdir()
    (src / "editable_mod.py").write_text("WHERE = 'editable'\n")
    (site / "__editable__.marker.pth").write_text(f"{src}\n")
    return env


def test_layers_over_the_active_venv_not_the_base_interpreter(project_env: Path, tmp_path: Path):
    target = tmp_path / "vllm-venv"
    done = _run(project_env / "bin" / "python", str(SCRIPT), str(target), "--without-pip", "--require", "marker-dist")
    assert done.returncode == 0, done.stderr
    vpy = Path(done.stdout.strip())
    assert vpy == target.resolve() / "bin" / "python"
    (_site(vpy) / "shadowed.py").write_text("WHERE = 'vllm-venv'\n")
    probe = ("import importlib.util, marker_mod, editable_mod, shadowed, sys; "
             "print(marker_mod.WHERE, editable_mod.WHERE, shadowed.WHERE, sys.prefix, "
             "importlib.util.find_spec('pytest') is None)")
    out = _run(vpy, "-c", probe)
    assert out.returncode == 0, out.stderr
    mod, editable, shadowed, prefix, no_pytest = out.stdout.split()
    assert (mod, editable, shadowed) == ("project-env", "editable", "vllm-venv")
    assert Path(prefix) == target.resolve()
    # The base interpreter's site-packages (pytest is installed there) stay out of it.
    assert no_pytest == "True"


def test_rerun_keeps_the_venv_and_follows_the_interpreter(project_env: Path, tmp_path: Path):
    target = tmp_path / "vllm-venv"
    first = _run(project_env / "bin" / "python", str(SCRIPT), str(target), "--without-pip")
    assert first.returncode == 0, first.stderr
    keep = _site(Path(first.stdout.strip())) / "installed_there.py"
    keep.write_text("")
    # Now from the system interpreter (the CI path): same venv, reused, layered over it instead.
    again = _run(sys.executable, str(SCRIPT), str(target), "--without-pip")
    assert again.returncode == 0, again.stderr
    assert keep.is_file()
    out = _run(again.stdout.strip(), "-c", "import pytest, installed_there; print(pytest.__file__)")
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(Path(sysconfig.get_paths()["purelib"]))
    assert _run(again.stdout.strip(), "-c", "import marker_mod").returncode != 0


def test_missing_project_install_is_one_line_error(project_env: Path, tmp_path: Path):
    done = _run(project_env / "bin" / "python", str(SCRIPT), str(tmp_path / "v"), "--without-pip",
                "--require", "simpo-harness-not-here")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "simpo-harness-not-here is not installed" in done.stderr
    assert not (tmp_path / "v").exists()


def test_refuses_to_layer_a_venv_over_itself(tmp_path: Path):
    target = tmp_path / "v"
    assert _run(sys.executable, str(SCRIPT), str(target), "--without-pip").returncode == 0
    done = _run(target / "bin" / "python", str(SCRIPT), str(target), "--without-pip")
    assert done.returncode != 0 and "not with" in done.stderr


def test_stale_venvs_are_rebuilt():
    needs_rebuild = _helper().needs_rebuild
    ok = {"home": "/x/bin", "include-system-site-packages": "false", "version": "3.11.7"}
    assert needs_rebuild(ok, "3.11.7") is None
    assert needs_rebuild({}, "3.11.7") == "missing"
    assert "3.12.1" in needs_rebuild(ok, "3.12.1")
    # The old layout: --system-site-packages over the base interpreter.
    assert "system-site-packages" in needs_rebuild({**ok, "include-system-site-packages": "true"}, "3.11.7")
