"""Golden files of the renderers for tutorial examples (VMAPVIZ_UPDATE_GOLDEN=1 rewrites).

The examples come from :mod:`vmapviz.examples`, whose States carry names or nn.Module
paths so every label is stable. The pmap2 and shard_map examples run on the four CPU
devices tests/conftest.py sets up.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest

from vmapviz import examples, render

GOLDEN = Path(__file__).parent / "golden" / "render"

# golden file stem -> catalogued example
EXAMPLES = {
    "counter_1_5": "1.5_counter",
    "linear_1_6": "1.6_linear",
    "ignore_1_7": "1.7_ignore",
    "random_2_1": "2.1_sample_normal",
    "out_axes_1_2": "1.2_out_axes",
    "state_out_3_5": "3.5_simple_jaxpr",
    "pmap2_3_4": "3.4_pmap2",
    "shard_map_3_4": "3.4_shard_map",
}
FORMATS = ("txt", "html", "svg", "dot")


def _runnable(stem: str) -> bool:
    return jax.device_count() >= examples.get(EXAMPLES[stem]).devices


def render_all(report) -> dict[str, str]:
    """Every golden format of one report."""
    return {
        "txt": render.to_text(report),
        "html": render.to_html(report),
        "svg": render.axis_svg(report, lane=1),
        "dot": render.to_dot(report, which="both"),
    }


def all_outputs() -> dict[str, str]:
    """``{file name: content}`` for every example and format."""
    out = {}
    for stem, name in EXAMPLES.items():
        if _runnable(stem):
            for ext, text in render_all(examples.inspect(name)).items():
                out[f"{stem}.{ext}"] = text
    return out


def digest() -> str:
    """One hash over every golden output (used by the two-process check)."""
    h = hashlib.sha256()
    for name, text in sorted(all_outputs().items()):
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()


@pytest.fixture(scope="module")
def outputs():
    return all_outputs()


@pytest.mark.parametrize("name", sorted(f"{n}.{e}" for n in EXAMPLES for e in FORMATS))
def test_golden(outputs, name):
    stem = name.rsplit(".", 1)[0]
    if not _runnable(stem):
        pytest.skip(f"{EXAMPLES[stem]} needs more devices than the {jax.device_count()} found")
    path = GOLDEN / name
    if os.environ.get("VMAPVIZ_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[name])
    assert path.exists(), f"missing {path}; run with VMAPVIZ_UPDATE_GOLDEN=1"
    assert outputs[name] == path.read_text()


def test_no_stale_golden_files():
    expected = {f"{n}.{e}" for n in EXAMPLES for e in FORMATS}
    assert {p.name for p in GOLDEN.iterdir()} == expected


def test_same_output_in_two_processes():
    here = Path(__file__).parent
    code = (f"import sys; sys.path.insert(0, {str(here)!r}); import conftest; "
            "import test_render_golden as g; print(g.digest())")
    env = dict(os.environ, PYTHONPATH=str(here.parent))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=120, check=True).stdout.strip()
            for _ in range(2)]
    assert runs[0] == runs[1]
    assert len(runs[0]) == 64
