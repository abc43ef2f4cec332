"""The seed tutorial, example by example, against its documented outputs."""

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.tutorial_examples import EXAMPLES, EXPECTED

ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def normalize(text: str) -> str:
    """Whitespace and the function address aside; the reference's package name mapped."""
    text = ADDRESS.sub(" at 0xADDRESS>", text.replace("brainstate.", "vmapviz."))
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """Run every example in one namespace, in order, like notebook cells."""
    namespace: dict = {"__name__": "__tutorial__"}
    printed = {}
    for name, source in EXAMPLES.items():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, f"<example {name}>", "exec"), namespace)  # noqa: S102 (running the examples is the test)
        printed[name] = buffer.getvalue()
    return printed


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_prints_documented_output(outputs, name):
    assert normalize(outputs[name]) == normalize(EXPECTED[name])


SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.skipif(not (SEED / "tutorial_cells.py").exists(), reason="no shared/seeds beside")
def test_seed_script_runs_against_vmapviz():
    """The seed's own runner, SEED_BACKEND=vmapviz, prints every documented output."""
    env = dict(os.environ, SEED_BACKEND="vmapviz",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    run = subprocess.run([sys.executable, str(SEED / "tutorial_cells.py")], env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    got = _cells(run.stdout)
    documented = _cells((SEED / "tutorial_documented_output.txt").read_text())
    for name, body in documented.items():
        if "verbatim, with typo" in name:
            assert "NameError" in got[name]
            continue
        if name.startswith("3.5 [fixed"):
            body = EXPECTED[name]
        assert normalize(got[name]) == normalize(body), name


def _cells(text: str) -> dict[str, str]:
    found = re.finditer(r"===== CELL (.*?) =====\n(.*?)----- STATUS", text, re.DOTALL)
    return {
        m.group(1): "\n".join(x for x in m.group(2).splitlines() if not x.startswith("[warning"))
        for m in found
    }
