"""Random pitfalls from the data flow: draws the same in every lane that reach per-lane data.

Each case is a small real mapped function inspected through ``vmap2(...).inspect``;
``find_pitfalls`` must name exactly the draws whose key does not vary by lane and whose
numbers reach an output (or written State) that does.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from _jax_pin import ON_PIN

import vmapviz
from vmapviz import render
from vmapviz._jax_private import random_call_name, sub_jaxprs
from vmapviz.inspection._pitfalls import find_pitfalls
from vmapviz.records import KeySource, Pitfall
from vmapviz.render._graph import report_graph
from vmapviz.transform import vmap2

N = 4
KEY = jax.random.key(7)


# ------------------------------------------------------------------ the cases


def _captured():
    return vmap2(lambda x: x + jax.random.normal(KEY, ())), (jnp.ones(N),)


def _plain_state():
    rng = vmapviz.ShortTermState(jax.random.key(1), name="rng")
    return vmap2(lambda x: x * jax.random.uniform(rng.value, ())), (jnp.ones(N),)


def _repeated_keys():
    keys = jnp.repeat(KEY[None], N, 0)  # mapped, but every lane gets the same key
    return vmap2(lambda k, x: x + jax.random.normal(k, ())), (keys, jnp.ones(N))


def _broadcast_argument():
    f = vmap2(lambda x, key: x + jax.random.normal(key, ()), in_axes=(0, None))
    return f, (jnp.ones(N), KEY)


def _inside_jit():
    def f(x):
        return jax.jit(lambda y: y * jax.random.normal(KEY, ()))(x)
    return vmap2(f), (jnp.ones(N),)


def _inside_scan():
    def f(x):
        def body(carry, _):
            return carry + jax.random.normal(KEY, ()), None
        return jax.lax.scan(body, x, None, length=3)[0]
    return vmap2(f), (jnp.ones(N),)


def _raw_prng_key():
    f = vmap2(lambda key, x: x + jax.random.normal(key, ()), in_axes=(None, 0))
    return f, (jax.random.PRNGKey(3), jnp.ones(N))


def _dropout_mask():
    def dropout(x, key):
        keep = jax.random.bernoulli(key, 0.7, x.shape)
        return jnp.where(keep, x / 0.7, 0.0)
    return vmap2(dropout, in_axes=(0, None)), (jnp.ones((N, 5)), KEY)


def _fixed_seed_inside():
    return vmap2(lambda x: x + jax.random.normal(jax.random.key(0), ())), (jnp.ones(N),)


def _into_a_written_state():
    acc = vmapviz.ShortTermState(jnp.zeros(N), name="acc")

    def f(x):
        acc.value = acc.value + jax.random.normal(KEY, ())
        return x * 2

    return vmap2(f, state_in_axes={0: vmapviz.ShortTermState}), (jnp.ones(N),)


def _inside_while():
    def f(x):
        def body(c):
            return c[0] + jax.random.normal(KEY, ()), c[1] + 1
        return jax.lax.while_loop(lambda c: c[1] < 3, body, (x, 0))[0]
    return vmap2(f), (jnp.ones(N),)


def _bits_inside_cond():
    def f(x):
        return jax.lax.cond(x > 0, lambda y: y + jax.random.bits(KEY, ()).astype(jnp.float32),
                            lambda y: y, x)
    return vmap2(f), (jnp.ones(N),)


def _fold_in_axis_index():
    def f(key, x):
        lane_key = jax.random.fold_in(key, jax.lax.axis_index("i"))
        return x + jax.random.normal(lane_key, ())
    return vmap2(f, in_axes=(None, 0), axis_name="i"), (KEY, jnp.ones(N))


def _random_state():
    return vmap2(lambda x: x + vmapviz.random.normal()), (jnp.ones(N),)


def _distinct_keys():
    f = vmap2(lambda k, x: x + jax.random.normal(k, ()))
    return f, (jax.random.split(KEY, N), jnp.ones(N))


def _captured_same_output():
    return vmap2(lambda x: (x * 2, jax.random.normal(KEY, ()))), (jnp.ones(N),)


def _broadcast_unused_per_lane():
    f = vmap2(lambda x, key: (x + 1, jax.random.uniform(key, (2,))), in_axes=(0, None))
    return f, (jnp.ones(N), KEY)


def _split_by_mapped_index():
    f = vmap2(lambda i, key: jax.random.normal(jax.random.split(key, N)[i], ()),
              in_axes=(0, None))
    return f, (jnp.arange(N), KEY)


def _random_state_in_scan():
    def f(x):
        def body(carry, _):
            return carry + vmapviz.random.uniform(), None
        return vmapviz.transform.scan(body, x, None, length=3)[0]
    return vmap2(f), (jnp.ones(N),)


# (id, builder, expected (path, name, source, label, outputs, states) per pitfall)
POSITIVES = [
    ("captured", _captured,
     [("0", "normal(key)", KeySource.CAPTURED, None, ("output 0",), ())]),
    ("plain_state", _plain_state,
     [("0", "uniform(key)", KeySource.STATE, "rng", ("output 0",), ())]),
    ("repeated_keys", _repeated_keys,
     [("0", "normal(key)", KeySource.SAME_IN_LANES, "argument k", ("output 0",), ())]),
    ("broadcast_argument", _broadcast_argument,
     [("0", "normal(key)", KeySource.ARGUMENT, "argument key", ("output 0",), ())]),
    ("inside_jit", _inside_jit,
     [("0/0/0", "normal(key)", KeySource.CAPTURED, None, ("output 0",), ())]),
    ("inside_scan", _inside_scan,
     [("0/0/0", "normal(key)", KeySource.CAPTURED, None, ("output 0",), ())]),
    ("raw_prng_key", _raw_prng_key,
     [("1", "normal(key)", KeySource.ARGUMENT, "argument key", ("output 0",), ())]),
    ("dropout_mask", _dropout_mask,
     [("0", "bernoulli(key)", KeySource.ARGUMENT, "argument key", ("output 0",), ())]),
    ("fixed_seed_inside", _fixed_seed_inside,
     [("1", "normal(key)", KeySource.FIXED_SEED, None, ("output 0",), ())]),
    ("into_a_written_state", _into_a_written_state,
     [("0", "normal(key)", KeySource.CAPTURED, None, (), ("acc",))]),
    ("inside_while", _inside_while,
     [("0/0/0", "normal(key)", KeySource.CAPTURED, None, ("output 0",), ())]),
    ("bits_inside_cond", _bits_inside_cond,
     [("2/1/0", "random_bits", KeySource.CAPTURED, None, ("output 0",), ())]),
]

NEGATIVES = [
    ("fold_in_axis_index", _fold_in_axis_index),
    ("random_state", _random_state),
    ("distinct_keys", _distinct_keys),
    ("captured_same_output", _captured_same_output),
    ("broadcast_unused_per_lane", _broadcast_unused_per_lane),
    ("split_by_mapped_index", _split_by_mapped_index),
    ("random_state_in_scan", _random_state_in_scan),
]


def _inspect(build):
    mapping, args = build()
    return mapping.inspect(*args)


def _eqn_at(closed, path: str):
    """The equation at a graph path (``'3/0/5'``) of a closed jaxpr."""
    jaxpr, parts = closed.jaxpr, path.split("/")
    eqn = jaxpr.eqns[int(parts[0])]
    for j, i in zip(parts[1::2], parts[2::2]):
        jaxpr = sub_jaxprs(eqn.params)[int(j)][1]
        eqn = jaxpr.eqns[int(i)]
    return eqn


@pytest.mark.parametrize("case_id, build, expected", POSITIVES, ids=[p[0] for p in POSITIVES])
def test_true_positives(case_id, build, expected):
    report = _inspect(build)
    found = report.pitfalls  # identical mapped keys: from the run's report.same_in_lanes
    got = [(p.name, p.source, p.label, p.outputs, p.states) for p in found]
    assert got == [e[1:] for e in expected]
    for p, e in zip(found, expected):
        if ON_PIN:  # the jaxpr's layout is JAX's: exact paths on the pinned release
            assert p.path == e[0]
        eqn = _eqn_at(report.elementwise_jaxpr, p.path)  # the path names the draw itself
        assert eqn.primitive.name == p.primitive
        shown = random_call_name(eqn)
        assert (f"{shown}(key)" if shown else eqn.primitive.name) == p.name
        if p.index is not None:
            assert report.io_labels["elementwise"][0][p.index] == p.label


@pytest.mark.parametrize("case_id, build", NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_true_negatives(case_id, build):
    report = _inspect(build)
    assert report.pitfalls == ()
    # the same call with nothing marked identical across lanes, asked explicitly
    assert find_pitfalls(report, same_in_lanes=frozenset()) == ()


def test_identical_keys_need_the_run_time_record():
    """Mapped identical keys are batched by the data flow alone: only the record of what
    each lane got (``same_in_lanes``) turns them into a pitfall."""
    report = _inspect(_repeated_keys)
    assert find_pitfalls(report, same_in_lanes=frozenset()) == ()
    [p] = find_pitfalls(report, same_in_lanes=frozenset({0}))
    assert (p.source, p.label, p.index) == (KeySource.SAME_IN_LANES, "argument k", 0)
    distinct = _inspect(_distinct_keys)
    assert not getattr(distinct, "same_in_lanes", frozenset())
    assert find_pitfalls(distinct) == ()


def test_report_pitfalls_property_matches():
    report = _inspect(_captured)
    assert report.pitfalls == find_pitfalls(report)
    assert report.pitfalls is report.pitfalls  # computed once
    assert isinstance(report.pitfalls[0], Pitfall)


def test_pitfalls_are_deterministic():
    first = _inspect(_dropout_mask)
    second = _inspect(_dropout_mask)
    assert first.pitfalls == second.pitfalls
    assert render.to_dot(first) == render.to_dot(second)
    assert render.axis_svg(first) == render.axis_svg(second)


# ------------------------------------------------------------------ words


CAPTURED_LINE = (
    "! normal(key) draws from a key captured from outside the function: every lane draws "
    "the same numbers, and they reach output 0, which varies by lane. Pass one key per lane "
    "(split it and map it), use a RandomState, or fold in jax.lax.axis_index.")

STATE_LINE = (
    "! uniform(key) draws from the key in State rng, which no state_in_axes filter batches "
    "(every lane reads the same key): every lane draws the same numbers, and they reach "
    "output 0, which varies by lane. Keep the key in a RandomState (split into one key per "
    "lane for you), or fold in jax.lax.axis_index.")


@pytest.mark.parametrize("build, line", [(_captured, CAPTURED_LINE),
                                         (_plain_state, STATE_LINE)],
                         ids=["captured", "plain_state"])
def test_explain_names_the_pitfall(build, line):
    lines = _inspect(build).explain().splitlines()
    assert "Watch out:" in lines
    assert lines[lines.index("Watch out:") + 1:] == [line]


def test_explain_words_each_source():
    words = vmapviz.inspection.words
    texts = {p[0]: words.pitfall_text(find_pitfalls(
        _inspect(p[1]))[0]) for p in POSITIVES}
    assert "which is broadcast (in_axes None)" in texts["broadcast_argument"]
    assert "argument k, which is mapped, but every lane got the same key" in texts[
        "repeated_keys"]
    assert "Split the key (jax.random.split(key, n))" in texts["repeated_keys"]
    assert "made inside the function from a fixed seed" in texts["fixed_seed_inside"]
    assert "they reach State acc, which varies by lane" in texts["into_a_written_state"]
    assert texts["dropout_mask"].startswith("bernoulli(key) draws from argument key")
    heads = {texts[k].split(":")[0] for k in ("captured", "plain_state", "repeated_keys",
                                              "broadcast_argument", "fixed_seed_inside")}
    assert len(heads) == 5  # each source worded its own way


def test_fold_in_axis_index_is_not_a_warning():
    text = _inspect(_fold_in_axis_index).explain()
    assert "Watch out" not in text
    assert "key" not in "".join(line for line in text.splitlines() if line.startswith("!"))


def test_broadcast_key_type_alone_no_longer_warns():
    """The old type-only warning is gone: a broadcast key whose draw reaches nothing
    per lane says nothing."""
    text = _inspect(_broadcast_unused_per_lane).explain()
    assert "Watch out" not in text
    assert "looks like a PRNG key" not in text


# ------------------------------------------------------------------ pictures


def test_svg_badge_on_the_state_row_escaped():
    rng = vmapviz.ShortTermState(jax.random.key(2), name="r<b>&")
    report = vmap2(lambda x: x + jax.random.normal(rng.value, ())).inspect(jnp.ones(N))
    [p] = report.pitfalls
    assert (p.source, p.label) == (KeySource.STATE, "r<b>&")
    svg = render.axis_svg(report)
    assert svg.count('<g class="warn">') == 1
    assert "\u26a0 same key in every lane</text>" in svg
    assert ("<title>normal(key) draws from the key in State r&lt;b&gt;&amp;, which no "
            "state_in_axes filter batches") in svg
    assert "r<b>&" not in svg
    # the badge sits on the State's row: right after its label, before the next row
    assert svg.index("state r&lt;b&gt;&amp;</text>") < svg.index('<g class="warn">') < svg.index(
        "output 0</text>")


def test_svg_badge_on_a_broadcast_argument():
    svg = render.axis_svg(_inspect(_broadcast_argument))
    row = svg.index("argument key</text>")
    assert row < svg.index('<g class="warn">') < svg.index("output 0</text>")


@pytest.mark.parametrize("build", [_captured, _fold_in_axis_index, _random_state],
                         ids=["captured", "fold_in", "random_state"])
def test_no_svg_badge_without_a_source_row(build):
    """No badge for a captured key (no row holds it) nor when nothing is wrong."""
    svg = render.axis_svg(_inspect(build))
    assert 'class="warn"' not in svg and "\u26a0" not in svg


def _marked(graph):
    return [n for n in graph.nodes if n.warning is not None]


def test_graph_marks_the_draw_node():
    report = _inspect(_broadcast_argument)
    [node] = _marked(report_graph(report, "elementwise"))
    assert node.label == "\u26a0 normal(key)"
    assert node.toggle == ("expand", report.pitfalls[0].path)
    assert node.warning == vmapviz.inspection.words.pitfall_text(report.pitfalls[0])
    dot = render.to_dot(report)
    line = next(x for x in dot.splitlines() if "\u26a0 normal(key)" in x)
    assert 'color="#cb181d", penwidth=3, tooltip="normal(key) draws from argument key' in line
    assert "red, marked \u26a0" in dot
    assert not _marked(report_graph(report, "batched"))  # paths name per-element equations


def test_graph_marks_random_bits_when_the_call_is_drawn_open():
    report = _inspect(_captured)
    marked = _marked(report_graph(report, "elementwise",
                                  fold_library=False))
    assert [n.label.splitlines()[0] for n in marked] == ["\u26a0 random_bits"]


def test_graph_marks_a_collapsed_node_hiding_the_draw():
    report = _inspect(_inside_scan)
    dot = render.to_dot(report, which="elementwise", collapse=["scan"])
    [line] = [x for x in dot.splitlines() if "hidden" in x and "\u26a0" in x]
    assert "tooltip=" in line and line.split('label="')[1].startswith("\u26a0 scan")


@pytest.mark.parametrize("build", [_fold_in_axis_index, _random_state, _distinct_keys],
                         ids=["fold_in", "random_state", "distinct_keys"])
def test_no_graph_mark_without_a_pitfall(build):
    report = _inspect(build)
    assert not _marked(report_graph(report))
    dot = render.to_dot(report)
    assert "\u26a0" not in dot and "#cb181d" not in dot and "tooltip" not in dot


def test_badge_title_does_not_change_a_diagram_without_pitfalls():
    """The badge fields stay out of ``repr``: diagrams without pitfalls keep their ids."""
    from vmapviz.render._ir import axis_diagram

    report = _inspect(_broadcast_argument)
    diagram = axis_diagram(report)
    [row] = [r for r in diagram.rows if r.badge]
    plain = dataclasses.replace(row, badge=None, badge_title=None)
    assert repr(plain) == repr(row)
