"""Golden files of the renderers for tutorial examples (VMAPVIZ_UPDATE_GOLDEN=1 rewrites).

The examples follow the seed tutorial; their States carry names or nn.Module paths
so every label is stable.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import render
from vmapviz.transform import vmap2
from vmapviz.util.filter import OfType

GOLDEN = Path(__file__).parent / "golden" / "render"


def counter_1_5():
    class Counter(vmapviz.nn.Module):
        def __init__(self):
            super().__init__()
            self.count = vmapviz.ShortTermState(jnp.zeros(4))

        def __call__(self, delta):
            self.count.value = self.count.value + delta
            return self.count.value

    f = vmap2(Counter(), in_axes=0, out_axes=0,
              state_in_axes={0: OfType(vmapviz.ShortTermState)},
              state_out_axes={0: OfType(vmapviz.ShortTermState)})
    return f.inspect(jnp.array([1.0, 2.0, 3.0, 4.0]))


def linear_1_6():
    class LinearLayer(vmapviz.nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.weight = vmapviz.ParamState(jnp.ones((in_features, out_features)))
            self.bias = vmapviz.ParamState(jnp.zeros((out_features,)))

        def __call__(self, x):
            return x @ self.weight.value + self.bias.value

    return vmap2(LinearLayer(3, 2), in_axes=0, out_axes=0).inspect(jnp.ones((4, 3)))


def ignore_1_7():
    temp_state2 = vmapviz.ShortTermState(jnp.array(0.0), name="temp_state2")
    write_state2 = vmapviz.LongTermState(jnp.asarray(0.0), name="write_state2")

    def update_temp2(x):
        temp_state2.value = temp_state2.value + x
        write_state2.value = temp_state2.value
        return temp_state2.value

    f = vmap2(update_temp2, in_axes=0, unexpected_out_state_mapping="ignore")
    return f.inspect(jnp.array([1.0, 2.0, 3.0]))


def random_2_1():
    vmapviz.random.seed(42)

    def sample_normal(scale):
        return vmapviz.random.normal(0.0, scale)

    return vmap2(sample_normal, in_axes=0).inspect(jnp.array([1.0, 2.0, 3.0, 4.0]))


def out_axes_1_2():
    def create_vector(scalar):
        return jnp.array([scalar, scalar * 2, scalar * 3])

    return vmap2(create_vector, in_axes=0, out_axes=1).inspect(jnp.array([1.0, 2.0]))


def state_out_3_5():
    simple_state = vmapviz.State(jnp.array(1.0), name="simple_state")

    def simple_op(x):
        result = x + simple_state.value
        simple_state.value = result
        return result * 2

    f = vmap2(simple_op, in_axes=0, state_out_axes={0: OfType(vmapviz.State)})
    return f.inspect(jnp.array([1.0, 2.0]))


EXAMPLES = {f.__name__: f for f in (counter_1_5, linear_1_6, ignore_1_7, random_2_1,
                                    out_axes_1_2, state_out_3_5)}


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
    for name, build in EXAMPLES.items():
        for ext, text in render_all(build()).items():
            out[f"{name}.{ext}"] = text
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


@pytest.mark.parametrize("name", sorted(f"{n}.{e}" for n in EXAMPLES
                                        for e in ("txt", "html", "svg", "dot")))
def test_golden(outputs, name):
    path = GOLDEN / name
    if os.environ.get("VMAPVIZ_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[name])
    assert path.exists(), f"missing {path}; run with VMAPVIZ_UPDATE_GOLDEN=1"
    assert outputs[name] == path.read_text()


def test_no_stale_golden_files():
    expected = {f"{n}.{e}" for n in EXAMPLES for e in ("txt", "html", "svg", "dot")}
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
