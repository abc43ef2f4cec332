"""Golden files of the renderers for tutorial examples (VMAPVIZ_UPDATE_GOLDEN=1 rewrites).

The examples come from :mod:`vmapviz.examples`, whose States carry names or nn.Module
paths so every label is stable. The pmap2 and shard_map examples run on the four CPU
devices tests/conftest.py sets up.

The files are written on the pinned JAX (tests/_jax_pin.py). Text, HTML and SVG are
vmapviz's own and compare byte for byte on every release; DOT graphs label equations
with JAX's primitive names and parameters, so on other releases they compare
:func:`_jax_pin.dot_structure` (inputs, outputs, batch colouring, clusters, edges).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest
from _jax_pin import ON_PIN, PINNED, dot_structure

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
        assert ON_PIN, f"golden files are written on jax {PINNED}, not {jax.__version__}"
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[name])
    assert path.exists(), f"missing {path}; run with VMAPVIZ_UPDATE_GOLDEN=1"
    if ON_PIN or not name.endswith(".dot"):
        assert outputs[name] == path.read_text()
    else:
        assert dot_structure(outputs[name]) == dot_structure(path.read_text())


def test_dot_structure_keeps_what_vmapviz_decides():
    """The comparison used off the pinned JAX sees batch colours, names, types and
    edges, and only equation and cluster labels (JAX's wording) are left out."""
    text = (GOLDEN / "pmap2_3_4.dot").read_text()
    same = dot_structure(text)
    assert same["views"]["etop"]["inputs"][0][0] == "argument x\\nf32[]"
    assert len(same["elementwise"]["edges"]) == 10
    assert dot_structure(text.replace('"psum"', '"psum2"')) == same
    assert dot_structure(text.replace('"jit _fun"', '"jit call_wrapped"')) == same
    for changed in (
        text.replace('e3 [label="bias\\nf32[]", shape=box, style="rounded,filled", '
                     'fillcolor="#e8f0fe"', 'e3 [label="bias\\nf32[]", shape=box, '
                     'style="rounded,filled", fillcolor="#e8f0fe", color="#d95f02", penwidth=2'),
        text.replace("per_device_total\\nf32[4]", "per_device_total\\nf32[1,4]"),
        text.replace('e5 -> e6 [label="f32[]"]', 'e4 -> e6 [label="f32[]"]'),
        text.replace('b22 -> b24 [label="f32[4]", color="#d95f02", fontcolor="#a63603", '
                     'penwidth=2, arrowhead=normalnormal]', 'b22 -> b24 [label="f32[4]"]'),
        text.replace("orange: carries", "orange carries"),
    ):
        assert changed != text
        assert dot_structure(changed) != same


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
