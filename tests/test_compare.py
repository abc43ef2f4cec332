"""vmapviz.compare(a, b): what changed between two calls, and the Inspector's entry labels."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import examples
from vmapviz.inspection import Comparison, words
from vmapviz.records import Change, Delta, Kind, Rule
from vmapviz.transform import vmap2
from vmapviz.util.filter import WithTag
from vmapviz.widgets import Inspector


def counter(name: str = "count", n: int = 4):
    """``count += d; return count * 2`` with ``count`` batched on axis 0."""
    count = vmapviz.ShortTermState(jnp.zeros(n), name=name)

    def step(d):
        count.value = count.value + d
        return count.value * 2

    return count, vmap2(step, state_in_axes={0: vmapviz.ShortTermState})


def by_label(c: Comparison) -> dict:
    return {e.label: e for e in c.entries}


# ------------------------------------------------------------------ same signature


def test_same_signature_twice_is_a_hit_with_nothing_changed():
    mapping, args, kwargs = examples.get("1.5_counter").build()
    a = mapping.inspect(*args, **kwargs)
    b = mapping.inspect(*args, **kwargs)
    c = vmapviz.compare(a, b)
    assert isinstance(c, Comparison)
    assert c.same_mapping and c.hit and not c.changed
    assert c.entries == ()
    assert (c.cache_a.call, c.cache_b.call) == (1, 2)
    assert [j.which for j in c.jaxprs] == ["elementwise", "batched"]
    assert all(j.same_text and j.primitives == () for j in c.jaxprs)
    lines = c.text().splitlines()
    assert lines[0] == "Comparing Counter: a (call 1) vs b (call 2)."
    assert lines[1] == "Cache, b (call 2): cache hit (signature (f32[4])), no retrace."
    assert lines[2] == "Signature: the same, (f32[4])."
    assert lines[3] == "Arguments, States and outputs: nothing changed."
    assert lines[4].startswith("Per-element jaxpr: the same, ")
    assert str(c) == c.text()
    labels = [e["label"] for e in c.widget().entries]
    assert labels == ["call 1, first call: Counter(f32[4])", "call 2, hit: Counter(f32[4])"]


def test_catalogue_example_with_random_keys_hits_the_cache_on_its_second_call():
    mapping, args, kwargs = examples.get("2.1_sample_normal").build()
    a = mapping.inspect(*args, **kwargs)
    b = mapping.inspect(*args, **kwargs)
    c = vmapviz.compare(a, b)
    assert c.hit and c.entries == ()
    el = c.jaxprs[0]
    assert el.total_a > el.eqns_a  # the random draw is nested in jit equations
    assert "random_bits" not in {p.name for p in el.primitives}


# ------------------------------------------------------------------ argument leaves


def test_batch_size_change_misses_on_the_argument_type_and_keeps_the_lane_program():
    count, m = counter()
    a = m.inspect(jnp.arange(4.0))
    count.value = jnp.zeros(3)
    b = m.inspect(jnp.arange(3.0))
    c = vmapviz.compare(a, b)
    assert not c.hit
    (why,) = c.cache_b.changes
    assert (why.change, why.name, why.before, why.now) == (
        Change.ARGUMENT, "argument d", "f32[4]", "f32[3]")
    changes = by_label(c)
    assert set(changes) == {"argument d", "count", "output 0"}
    d = changes["argument d"]
    assert (d.kind, d.delta, d.fields) == (Kind.ARGUMENT, Delta.CHANGED, ("type",))
    assert (d.a.type, d.b.type) == ("f32[4]", "f32[3]")
    assert d.type_changed and not d.batching_changed
    el, batched = c.jaxprs
    assert el.same_text  # one lane computes the same thing
    assert (el.eqns_a, el.eqns_b, el.total_a, el.total_b) == (2, 2, 2, 2)
    assert (batched.eqns_a, batched.total_a) == (batched.eqns_b, batched.total_b)
    assert batched.primitives == () and not batched.same_text  # other shapes only
    text = c.text()
    assert "Cache, b (call 2): cache miss: traced because argument d: now f32[3], before " \
           "f32[4]" in text
    assert "Signature: (f32[4]) -> (f32[3])." in text
    assert "- argument d: type f32[4] -> f32[3]" in text
    assert "- count: type f32[4] -> f32[3]" in text
    assert "Per-element jaxpr: the same, 2 equations (2 with nested ones)." in text


def test_dtype_change_and_an_argument_moving_off_the_batch_axis():
    m = vmap2(lambda x, y: x * y, in_axes=(0, None))
    a = m.inspect(jnp.ones(3), jnp.float32(2.0))
    b = m.inspect(jnp.ones(3, dtype=jnp.int32), 2.0)
    c = vmapviz.compare(a, b)
    changes = by_label(c)
    x, y = changes["argument x"], changes["argument y"]
    assert x.fields == ("type",) and (x.a.type, x.b.type) == ("f32[3]", "i32[3]")
    assert y.fields == ("weak",)  # same f32[], now a weakly typed Python scalar
    assert {d.name for d in c.cache_b.changes} == {"argument x", "argument y"}
    assert "- argument x: type f32[3] -> i32[3]" in c.text()
    assert "- argument y: weak type strong -> weak" in c.text()
    out = changes["output 0"]  # i32[3] * a weak f32 scalar: a weakly typed f32[3]
    assert out.fields == ("weak",) and (out.a.weak, out.b.weak) == ((False,), (True,))


def test_argument_added_and_removed_when_the_structure_changes():
    m = vmap2(lambda d: sum(jax.tree.leaves(d)))
    a = m.inspect({"p": jnp.ones(3)})
    b = m.inspect({"p": jnp.ones(3), "q": jnp.ones(3)})
    c = vmapviz.compare(a, b)
    (added,) = c.of(Kind.ARGUMENT)
    assert (added.label, added.delta, added.a, added.fields) == (
        "argument d['q']", Delta.ADDED, None, ("type", "axis_in"))
    assert c.cache_b.changes[0].change is Change.STRUCTURE
    assert "- argument d['q']: only in b (type f32[3], axis in 0)" in c.text()
    back = vmapviz.compare(b, a)
    assert [(e.label, e.delta) for e in back.entries] == [("argument d['q']", Delta.REMOVED)]
    assert back.cache_b.first_call and not back.hit  # in ``back``, b is the first call


def test_static_argument_change_and_primitives_that_differ():
    def f(x, flip):
        return jnp.cos(x) if flip else jnp.sin(x)

    m = vmap2(f, in_axes=(0, None), static_argnums=1)
    a = m.inspect(jnp.ones(3), False)
    b = m.inspect(jnp.ones(3), True)
    c = vmapviz.compare(a, b)
    assert not c.hit and c.entries == ()
    (why,) = c.cache_b.changes
    assert why.change is Change.STATIC
    for j in c.jaxprs:
        assert {(p.name, p.a, p.b) for p in j.primitives} == {("cos", 0, 1), ("sin", 1, 0)}
        assert (j.eqns_a, j.eqns_b) == (1, 1)
    text = c.text().splitlines()
    assert text[2] == "Signature: (f32[3]) static 1=False -> (f32[3]) static 1=True."
    assert text[3] == "Arguments, States and outputs: nothing changed."
    assert text[4] == ("Per-element jaxpr: 1 equation (1 with nested ones); primitive counts "
                       "changed: cos: 0 -> 1, sin: 1 -> 0.")
    labels = [e["label"] for e in c.widget().entries]
    assert labels[1] == "call 2, miss: static 1=False -> 1=True"


def test_nested_equations_are_counted_as_a_multiset():
    def f(x, twice):
        g = jax.jit(lambda v: jnp.dot(v, v))
        return g(x) + g(x) if twice else g(x)

    m = vmap2(f, in_axes=(0, None), static_argnums=1)
    c = vmapviz.compare(m.inspect(jnp.ones((2, 3)), False), m.inspect(jnp.ones((2, 3)), True))
    el = c.jaxprs[0]
    counts = {p.name: (p.a, p.b) for p in el.primitives}
    assert counts["dot_general"] == (1, 2)
    assert counts["add"] == (0, 1)
    assert (el.eqns_a, el.eqns_b) == (1, 3)  # jit, then jit, jit, add
    assert el.total_b - el.eqns_b == 2 * (el.total_a - el.eqns_a)
    assert "dot_general: 1 -> 2" in c.text()


# ------------------------------------------------------------------ States


def test_a_tag_change_flips_the_filter_and_the_state_batching():
    tagged = vmapviz.State(jnp.array([10.0, 20.0, 30.0]), name="tagged", tag="per_lane")
    m = vmap2(lambda x: x + tagged.value, state_in_axes={0: WithTag("per_lane")})
    a = m.inspect(jnp.arange(3.0))
    tagged.tag = "shared"
    b = m.inspect(jnp.arange(3.0))
    c = vmapviz.compare(a, b)
    assert c.cache_b.changes[0].change is Change.STATE_FILTERS
    s = by_label(c)["tagged"]
    assert s.fields == ("axis_in", "rule_in", "filter_in")
    assert (s.a.rule_in, s.b.rule_in) == (Rule.FILTER, Rule.UNMATCHED)
    assert s.batching_changed and s.decision_changed and not s.type_changed
    assert c.of(Kind.ARGUMENT) == ()
    text = c.text()
    assert ("- tagged: axis in 0 -> None; rule in filter -> unmatched; state_in_axes filter "
            "WithTag('per_lane') -> none") in text
    assert "  why in a: state_in_axes {0: WithTag('per_lane')} matched; not written" in text
    assert "  why in b: no state_in_axes filter matched: shared by every lane" in text
    assert c.widget().entries[1]["label"] == "call 2, miss: tagged tag 'shared'"


def test_a_state_that_gained_the_batch_axis_is_fed_per_lane_next_time():
    s = vmapviz.ShortTermState(jnp.zeros(()), name="acc")

    def step(x):
        s.value = s.value + x
        return x

    m = vmap2(step)  # policy 'auto': acc gains the batch axis on its first call
    with pytest.warns(UserWarning):
        a = m.inspect(jnp.arange(3.0))
    b = m.inspect(jnp.arange(3.0))
    acc = by_label(vmapviz.compare(a, b))["acc"]
    assert "type" in acc.fields and (acc.a.type, acc.b.type) == ("f32[]", "f32[3]")
    assert (acc.a.axis_in, acc.b.axis_in) == (None, 0)
    assert (acc.a.rule_in, acc.b.rule_in) == (Rule.UNMATCHED, Rule.AUTO_PER_LANE)
    assert acc.batching_changed


def test_a_state_of_another_class_is_told_by_its_class():
    p = vmapviz.ParamState(jnp.ones(3), name="w")
    m = vmap2(lambda x: x * p.value, state_in_axes={0: vmapviz.ShortTermState})
    a = m.inspect(jnp.ones(3))
    p2 = vmapviz.ShortTermState(jnp.ones(3), name="w")
    m2 = vmap2(lambda x: x * p2.value, state_in_axes={0: vmapviz.ShortTermState})
    c = vmapviz.compare(a, m2.inspect(jnp.ones(3)))
    w = by_label(c)["w"]
    assert w.fields[:1] == ("state_class",) and (w.class_a, w.class_b) == (
        "ParamState", "ShortTermState")
    assert "class ParamState -> ShortTermState" in c.text()


# ------------------------------------------------------------------ two mappings, bad input


def test_two_different_mappings_are_compared_and_said_to_differ():
    c = vmapviz.compare(examples.inspect("2.1_sample_normal"), examples.inspect("1.5_counter"))
    assert not c.same_mapping
    assert c.text().splitlines()[0] == (
        "Comparing different mappings: a (sample_normal, call 1) vs b (Counter, call 1).")
    deltas = {(e.label, e.delta) for e in c.entries}
    assert ("argument scale", Delta.REMOVED) in deltas
    assert ("argument delta", Delta.ADDED) in deltas
    assert ("count", Delta.ADDED) in deltas
    random_bits = {p.name: (p.a, p.b) for p in c.jaxprs[0].primitives}["random_bits"]
    assert random_bits == (1, 0)


@pytest.mark.parametrize("bad", [None, 3, "report"])
def test_anything_but_reports_is_a_type_error_naming_the_argument(bad):
    report = vmap2(lambda x: x).inspect(jnp.ones(2))
    with pytest.raises(TypeError, match=r"argument a must be a vmapviz.inspection.Report"):
        vmapviz.compare(bad, report)
    with pytest.raises(TypeError, match=rf"argument b .* got {type(bad).__name__}"):
        vmapviz.compare(report, bad)


# ------------------------------------------------------------------ outputs


def test_html_escapes_state_and_function_names():
    count, m = counter(name="<b>&")
    a = m.inspect(jnp.arange(4.0))
    count.value = jnp.zeros(2)
    c = vmapviz.compare(a, m.inspect(jnp.arange(2.0)))
    page = c.html()
    assert page == c._repr_html_()
    assert "<b>&" not in page
    assert "<td>&lt;b&gt;&amp;</td>" in page
    assert page.startswith('<div class="vmapviz-report vmapviz-compare">')
    assert "<caption>Arguments, States and outputs that changed</caption>" in page
    assert "<td>f32[4]</td><td>f32[2]</td>" in page


def test_html_escapes_a_function_name():
    def f(x):
        return x + 1

    f.__name__ = f.__qualname__ = "<b>&f"
    m = vmap2(f)
    c = vmapviz.compare(m.inspect(jnp.ones(2)), m.inspect(jnp.ones(3)))
    page = c.html()
    assert "<b>&" not in page
    assert "<h4>&lt;b&gt;&amp;f: a (call 1) vs b (call 2)</h4>" in page
    assert "<p>" not in page  # the argument changed: a table, not 'nothing changed'


def test_to_json_is_deterministic_and_holds_the_records():
    def build():
        count, m = counter()
        a = m.inspect(jnp.arange(4.0))
        count.value = jnp.zeros(3)
        return vmapviz.compare(a, m.inspect(jnp.arange(3.0)))

    first, second = build(), build()
    assert first.to_json() == second.to_json()
    data = json.loads(first.to_json())
    assert data["same_mapping"] is True
    assert data["cache_b"]["call"] == 2 and data["cache_b"]["changes"][0]["change"] == "argument"
    assert [e["label"] for e in data["entries"]] == ["argument d", "count", "output 0"]
    assert data["entries"][0]["delta"] == "changed"
    assert data["jaxprs"][0]["which"] == "elementwise"
    assert "reports" not in data
    assert first.to_json(indent=None) == json.dumps(first.to_dict(), sort_keys=True)


# ------------------------------------------------------------------ Inspector entry labels


def test_inspector_labels_after_three_calls_of_one_mapping():
    count, m = counter()
    ins = vmapviz.widgets.inspect(m, jnp.arange(4.0))
    ins.inspect(jnp.arange(4.0))
    count.value = jnp.zeros(3)
    ins.inspect(jnp.arange(3.0))
    assert [e["label"] for e in ins.entries] == [
        "call 1, first call: step(f32[4])",
        "call 2, hit: step(f32[4])",
        "call 3, miss: d f32[4] -> f32[3]",
    ]
    assert Inspector(ins.reports, labels=["x", "y", "z"]).entries[2]["label"] == "z"


def test_entry_labels_stay_short_and_count_what_they_leave_out():
    m = vmap2(lambda *xs: sum(xs))
    m(*[jnp.ones(3)] * 8)
    report = m.inspect(*[jnp.ones(2)] * 8)
    label = Inspector(report).entry["label"]
    assert label.startswith("call 2, miss: args[0] f32[3] -> f32[2], ")
    assert label.endswith(" more") and len(label) <= words.ENTRY_TITLE_WIDTH
    shown = label.removeprefix("call 2, miss: ").rsplit(", +", 1)
    hidden = int(shown[1].split()[0])
    assert len(shown[0].split(", ")) + hidden == 8


def test_entry_label_without_a_call_number_is_the_signature():
    report = counter()[1].inspect(jnp.arange(4.0))
    cache = dataclasses.replace(report.cache, call=0)
    assert words.entry_title(cache, report.mapping) == "step(f32[4])"
