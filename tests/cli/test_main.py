import subprocess
import sys

from harness.cli import main


def test_unknown_command_suggests(capsys):
    assert main(["modles"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'models'" in err
    assert "Traceback" not in err


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from harness.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'vllm', 'trl', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_closed_stdout_pipe_is_not_a_traceback():
    """`simpo-harness models list | head -1`: the reader goes away; no BrokenPipeError traceback."""
    import subprocess
    import sys

    proc = subprocess.run(f"{sys.executable} -m harness models list | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("NAME") and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
