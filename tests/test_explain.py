"""Golden tests: explain() text and record JSON of the tutorial's examples.

The examples come from :mod:`vmapviz.examples`; ``3.4_pmap2`` and ``3.4_shard_map`` run
on the four CPU devices tests/conftest.py sets up. The files are written on the pinned
JAX (tests/_jax_pin.py): explain() text compares byte for byte on every release; the
record JSON holds two jaxprs as JAX prints them, so on other releases everything else in
it compares exactly and the jaxprs by their signature.
"""

import json
import os
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest
from _jax_pin import ON_PIN, PINNED, jaxpr_signature

import vmapviz
from vmapviz import examples
from vmapviz.transform import vmap2

GOLDEN = Path(__file__).parent / "golden" / "explain"
UPDATE = os.environ.get("VMAPVIZ_UPDATE_GOLDEN") == "1"


def _example_params():
    """Every catalogued example; those needing more devices than JAX sees are skipped."""
    return [pytest.param(name, marks=pytest.mark.skipif(
        jax.device_count() < ex.devices,
        reason=f"needs {ex.devices} devices; found {jax.device_count()}"))
        for name, ex in examples.EXAMPLES.items()]


JAXPR_KEYS = ("batched_jaxpr", "elementwise_jaxpr")  # text as JAX prints it


def _check(path: Path, text: str) -> None:
    if UPDATE:
        assert ON_PIN, f"golden files are written on jax {PINNED}, not {jax.__version__}"
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with VMAPVIZ_UPDATE_GOLDEN=1"
    if ON_PIN or path.suffix != ".json":
        assert text == path.read_text()
        return
    got, want = json.loads(text), json.loads(path.read_text())
    for key in JAXPR_KEYS:
        assert jaxpr_signature(got.pop(key)) == jaxpr_signature(want.pop(key)), key
    assert got == want


@pytest.mark.parametrize("name", _example_params())
def test_explain_text_golden(name):
    mapping, args, kwargs = examples.get(name).build()
    _check(GOLDEN / f"{name}.txt", mapping.explain(*args, **kwargs) + "\n")


@pytest.mark.parametrize("name", _example_params())
def test_records_json_golden(name):
    report = examples.inspect(name)
    text = report.to_json()
    data = json.loads(text)
    assert [data[k] for k in JAXPR_KEYS] == [str(report.batched_jaxpr),
                                             str(report.elementwise_jaxpr)]
    _check(GOLDEN / f"{name}.json", text + "\n")


def test_explain_names_the_filter_and_axis():
    mapping, args, _ = examples.get("1.5_counter").build()
    text = mapping.explain(*args)
    assert ("count (ShortTermState f32[4]) is batched on axis 0 because state_in_axes "
            "{0: OfType(ShortTermState)} matched") in text
    assert "<class" not in text  # filters read as they are written, classes by name
    # the mapping's attribute keeps brainstate's repr, which the seed tutorial prints
    assert repr(mapping.state_in_axes) == "{0: OfType(<class 'vmapviz.ShortTermState'>)}"
    # the records keep the filter's repr as data
    [count] = [e for e in mapping.inspect(*args).axes.entries if e.label == "count"]
    assert count.filter_in == "OfType(<class 'vmapviz.ShortTermState'>)"
    assert "written back on axis 0, the axis it entered on" in text


def test_explain_warns_about_a_broadcast_key():
    mapping = vmap2(lambda key, s: jax.random.normal(key, ()) * s, in_axes=(None, 0))
    text = mapping.explain(jax.random.key(0), jnp.arange(3.0))
    assert ("normal(key) draws from argument key, which is broadcast (in_axes None): every "
            "lane draws the same numbers") in text


def test_explain_warns_about_scatter_and_growth():
    mapping, args, _ = examples.get("1.7_ignore").build()
    text = mapping.explain(*args)
    assert "the policy 'ignore' scattered it onto a new axis 0" in text
    assert "temp_state2 is read and written, so it will grow a new axis on every call" in text


def test_explain_warns_about_retracing():
    mapping = vmap2(lambda x: x + 1)
    for n in (2, 3):
        mapping(jnp.ones(n))
    text = mapping.explain(jnp.ones(4))
    assert "has been traced 3 times" in text
    assert "because argument x: now f32[4], before f32[3]" in text


def test_warm_call_reports_cache_hit():
    mapping, args, _ = examples.get("1.6_linear").build()
    first = mapping.inspect(*args)
    second = mapping.inspect(*args)
    assert (first.cache.hit, second.cache.hit) == (False, True)
    assert second.cache.traces == 1


def test_auto_policy_promotion_is_explained():
    total = vmapviz.ShortTermState(jnp.array(0.0), name="total")

    def add(x):
        total.value = total.value + x
        return x

    mapping = vmap2(add)
    with pytest.warns(UserWarning, match="read and written, so it gains a batch axis of size 3"):
        first = mapping.explain(jnp.arange(3.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = mapping.explain(jnp.arange(3.0))
    assert "the 'auto' policy feeds it per lane instead of adding another axis" in first
    assert ("total (ShortTermState f32[3]) is batched on axis 0 because policy 'auto': read "
            "and written with a value that varies by lane, and its leading size equals the "
            "batch size 3: fed per lane on axis 0") in second
    assert total.value.shape == (3,)


def test_examples_build_fresh_states():
    first, args, kwargs = examples.get("1.5_counter").build()
    second, _, _ = examples.get("1.5_counter").build()
    first(*args, **kwargs)
    assert first.origin_fun.count is not second.origin_fun.count
    assert second.origin_fun.count.value.tolist() == [0.0] * 4
    assert first.origin_fun.count.source == second.origin_fun.count.source
    assert first.origin_fun.count.source.startswith("vmapviz/examples/tutorial.py:")


def test_alike_states_are_told_once():
    from vmapviz.examples import real

    mapping, args, _ = real.mlp_300(layers=20, width=4, batch=3)
    lines = mapping.inspect(*args).explain().splitlines()
    states = lines[lines.index("States:") + 1 : lines.index("Outputs:")]
    line = ("- layers.*.{0,1} (40 ParamStates f32[4,4] | f32[4]) is broadcast: every lane "
            "reads the same value (no state_in_axes filter matched: shared by every lane); "
            "not written.")
    assert states == [line]
