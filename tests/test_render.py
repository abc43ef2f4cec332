"""Renderers: tables, axis diagrams, jaxpr graphs, escaping, and the missing-`dot` error."""

import re
import shutil
import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import pytest
from _jax_pin import jit_primitive

import vmapviz
from vmapviz import render
from vmapviz.render import _ir
from vmapviz.render._graph import graph_of_jaxpr, io_labels
from vmapviz.render.dot import DotNotFoundError, dot_escape
from vmapviz.transform import vmap2

EVIL = '<script>alert("1")</script>\\'


def counter_report(name="count"):
    count = vmapviz.ShortTermState(jnp.zeros(4), name=name)

    def step(d):
        count.value = count.value + d
        return count.value * 2

    return vmap2(step, state_in_axes={0: vmapviz.ShortTermState}).inspect(jnp.arange(4.0))


def test_state_table_rows():
    t = _ir.state_table(counter_report())
    assert t.columns == ("State", "Type", "Shape", "Shape after", "Access", "Batch axis in -> out",
                         "Reason")
    assert t.rows[0][:6] == ("count", "ShortTermState", "f32[4]", "f32[4]", "read, written", "0 -> 0")


def test_text_has_aligned_columns():
    text = render.to_text(counter_report())
    lines = text.splitlines()
    header = lines.index("States") + 1
    assert lines[header].index("Type") == lines[header + 2].index("ShortTermState")
    assert "argument d  f32[4]  f32[]" in text


def test_html_is_static():
    page = render.to_html(counter_report())
    assert "<table" in page and "<style>" in page
    assert "<script" not in page.lower()


def test_escaping_html_svg_dot():
    report = counter_report(EVIL)
    page = render.to_html(report)
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;1&quot;)" in page
    svg = render.axis_svg(report)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)  # well-formed XML
    dot = render.to_dot(report)
    assert 'label="<script>alert(\\"1\\")</script>\\\\\\nf32[]"' in dot
    if shutil.which("dot"):
        out = render.to_svg(dot)
        assert "<script>" not in out and "&lt;script&gt;alert(&quot;1&quot;)" in out


def test_dot_escape():
    assert dot_escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_missing_dot_raises_with_source(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    source = "digraph { a -> b }"
    with pytest.raises(DotNotFoundError, match=r"apt-get install graphviz.*conda install") as e:
        render.to_svg(source)
    assert isinstance(e.value, RuntimeError)
    assert e.value.dot_source == source


def test_dot_names_inputs_and_outputs_after_arguments_and_states():
    report = counter_report()
    ins, outs = io_labels(report, "elementwise")
    assert (ins, outs) == (["argument d", "count"], ["output 0", "count"])
    dot = render.to_dot(report, which="elementwise")
    assert 'label="count\\nf32[]"' in dot and 'label="mul\\n(_, 2.0)"' in dot
    assert "cluster_btop" not in dot


def test_batched_values_are_highlighted():
    w = vmapviz.ParamState(jnp.ones(3), name="w")

    def f(x):
        return x * 2.0, w.value + 1.0

    report = vmap2(f, out_axes=(0, None)).inspect(jnp.ones(4))
    g = graph_of_jaxpr(report.elementwise_jaxpr, ["x", "w"], ["y", "z"],
                       report.flags["elementwise"])
    flags = {n.label.splitlines()[0]: n.batched for n in g.nodes}
    assert flags == {"x": True, "w": False, "mul": True, "add": False, "y": True, "z": False}


def test_multi_leaf_state_labels():
    s = vmapviz.ShortTermState({"a": jnp.zeros(3), "b": jnp.ones(3)}, name="pair")

    def f(x):
        s.value = {"a": s.value["a"] + x, "b": s.value["b"] * x}
        return x

    report = vmap2(f, state_in_axes={0: vmapviz.ShortTermState}).inspect(jnp.ones(3))
    assert io_labels(report, "elementwise") == (
        ["argument x", "pair[0]", "pair[1]"], ["output 0", "pair[0]", "pair[1]"])


def control_flow(x):
    y = jax.lax.fori_loop(0, 3, lambda i, c: c + i, x)
    z = jax.lax.cond(y > 0, lambda a: a + 1.0, lambda a: a - 1.0, y)
    w = jax.lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, z)
    return jax.jit(lambda t: t * 3.0)(w)


def test_sub_jaxprs_become_clusters():
    dot = render.to_dot(vmap2(control_flow).inspect(jnp.ones(3)), which="elementwise")
    for text in ("cluster_", 'label="scan', 'label="cond"', 'label="branches[1]"',
                 'label="body_jaxpr"', 'label="cond_jaxpr"',
                 f'label="{jit_primitive()} <lambda>"'):
        assert text in dot, text
    if shutil.which("dot"):
        assert "<svg" in render.to_svg(dot)


def test_large_clusters_collapse_with_a_note():
    vmapviz.random.seed(0)
    report = vmap2(lambda s: vmapviz.random.normal(0.0, s)).inspect(jnp.ones(2))
    full = render.to_dot(report, which="elementwise", fold_library=False)
    small = render.to_dot(report, which="elementwise", max_cluster_eqns=5, fold_library=False)
    assert "hidden" not in full and "random_bits" in full
    assert "random_bits" not in small
    assert "[14 equations hidden]" in small
    assert "14 equations collapsed into one node (more than max_cluster_eqns=5)" in small
    graph = render._graph.report_graph(report, "elementwise", max_cluster_eqns=5,
                                       fold_library=False)
    (collapsed,) = [n for n in graph.nodes if n.kind == "collapsed"]
    assert any(e.src == collapsed.id for e in graph.edges), "its outputs flow on from it"


def test_which_is_checked():
    with pytest.raises(ValueError, match="which must be 'both'"):
        render.to_dot(counter_report(), which="neither")


def test_axis_svg_lane_and_moved_axis():
    def vec(s):
        return jnp.array([s, s * 2, s * 3])

    report = vmap2(vec, out_axes=1).inspect(jnp.array([1.0, 2.0]))
    diagram = _ir.axis_diagram(report)
    out = diagram.rows[-1]
    assert out.arrow_out == "moved" and out.arrays[2].shape == (3, 2)
    assert out.arrays[2].batch_axis == 1
    svg0, svg1 = render.axis_svg(report, lane=0), render.axis_svg(report, lane=1)
    assert svg0 != svg1 and "dark cell: lane 1" in svg1
    assert render.axis_svg(report, lane=1) == svg1
    with pytest.raises(ValueError, match="lane must be in"):
        render.axis_svg(report, lane=2)


def test_broadcast_and_key_split_in_svg():
    vmapviz.random.seed(42)
    w = vmapviz.ParamState(jnp.ones(2), name="w")
    report = vmap2(lambda s: vmapviz.random.normal(0.0, s) * w.value).inspect(jnp.ones(4))
    rows = {r.label: r for r in _ir.axis_diagram(report).rows}
    assert rows["w"].arrow_in == "broadcast"
    assert rows["random.DEFAULT"].arrow_in == "split"
    svg = render.axis_svg(report, lane=3)
    assert "split(key, 5)" in svg and "key 4 -&gt; lane 3" in svg
    assert "None: broadcast" in svg


def test_io_labels_follow_the_trace_order_of_written_states():
    """Two f32 States, the first written without being read: labels follow the jaxpr."""
    import vmapviz as vz

    first = vz.State(jnp.zeros(()), name="written_first")
    second = vz.State(jnp.zeros(()), name="read_then_written")

    def f(x):
        first.value = x
        second.value = second.value + x
        return x

    report = vz.transform.vmap2(f, state_out_axes={0: vz.State}).inspect(jnp.ones(2))
    assert io_labels(report, "elementwise") == (
        ["argument x", "read_then_written"],
        ["output 0", "written_first", "read_then_written"],
    )
    assert 'written_first\\nf32[]' in render.to_dot(report, which="elementwise")


def test_a_block_repeated_back_to_back_is_drawn_once():
    from vmapviz.examples import real

    mapping, args, _ = real.mlp_300(layers=30, width=4, batch=2)
    report = mapping.inspect(*args)
    graph = render._graph.report_graph(report, "elementwise")
    (top,) = graph.clusters
    (fold,) = top.clusters
    assert fold.label == "x30: this block of 4 equations, 30 times in a row"
    drawn = [n for n in graph.nodes if n.id in fold.nodes]
    assert [n.label.splitlines()[0] for n in drawn] == ["dot_general", "add", "tanh", "mul"]
    assert "equations 1-120: one block of 4 equations repeated 30 times" in graph.notes[0]
    labels = {n.id: n.label for n in graph.nodes}
    (more,) = [n for n in graph.nodes if n.label.startswith("58 more inputs")]
    assert "layers.*.{0,1}" in more.label
    (out,) = [n for n in graph.nodes if n.label.startswith("output 0")]
    (into_out,) = [e for e in graph.edges if e.dst == out.id]
    assert labels[into_out.src].startswith("mul"), "the output comes from the drawn block"
    assert into_out.batched
    batched = render._graph.report_graph(report, "batched")
    assert "x30" in batched.clusters[0].clusters[0].label, "both views fold alike"


def test_short_jaxprs_are_never_folded():
    def f(x):
        for _ in range(5):
            x = jnp.sin(x)
        return x

    graph = render._graph.report_graph(vmap2(f).inspect(jnp.ones(3)), "elementwise")
    assert [n.label for n in graph.nodes].count("sin") == 5 and not graph.notes


@pytest.mark.parametrize("name", ["mlp_300", "lif_population", "transformer_12", "ensemble"])
def test_real_models_inspector_state_is_small(name):
    import json

    from vmapviz import examples, widgets

    report = examples.get(name).inspect()
    inspector = widgets.Inspector([report])
    size = len(json.dumps(inspector.entries))
    assert size <= 2_000_000, f"{name}: {size / 1e6:.2f} MB"


def test_random_plumbing_folds_into_nodes_named_for_what_they_do():
    vmapviz.random.seed(0)
    report = vmap2(lambda s: vmapviz.random.normal(0.0, s) * 2.0).inspect(jnp.ones(3))
    graph = render._graph.report_graph(report, "elementwise")
    labels = [n.label.splitlines()[0] for n in graph.nodes]
    assert labels.count("split key") == 1 and labels.count("normal(key)") == 1
    assert not {"random_split", "slice", "squeeze", "erf_inv", "random_bits"} & set(labels)
    ids = {n.label.splitlines()[0]: n.id for n in graph.nodes}
    assert (ids["split key"], ids["normal(key)"]) in {(e.src, e.dst) for e in graph.edges}
    kept = [n for n in graph.nodes if n.label.startswith("random.DEFAULT") and n.kind == "output"]
    assert kept and any(e.src == ids["split key"] and e.dst == kept[0].id for e in graph.edges)
    inside = render._graph.report_graph(report, "elementwise", fold_library=False)
    assert "erf_inv" in [n.label.splitlines()[0] for n in inside.nodes]


@pytest.mark.parametrize("lane", [0, 5, 6, 12, 14, 15])
def test_the_selected_lane_is_drawn_even_past_the_ellipsis(lane):
    report = vmap2(lambda x: x * 2).inspect(jnp.arange(16.0))
    svg = render.axis_svg(report, lane=lane)
    assert f"dark cell: lane {lane}" in svg
    from vmapviz.render.svg import FILL, shown_indices

    shown = shown_indices(16, lane)
    assert lane in shown and len(shown) <= 8
    # the argument's row: exactly one dark cell, at the lane's place among the cells drawn
    first_row = svg.split(">argument x</text>")[1].split("one lane")[0]
    fills = re.findall(r'<rect x="\d+" y="\d+" width="18" height="18" fill="(#[0-9a-f]+)"',
                       first_row)
    assert fills.count(FILL["lane"]) == 1
    assert fills.index(FILL["lane"]) == shown.index(lane)


def test_axis_svg_can_show_another_axis_such_as_time():
    from vmapviz.examples import real

    mapping, args, _ = real.lif_population(neurons=6, steps=10, trials=3)
    report = mapping.inspect(*args)
    default = render.axis_svg(report)
    assert "not drawn: axis 1: 10" in default  # time is hidden by default
    timed = render.axis_svg(report, other_axis=-2)
    assert "axis 1 (cols): 10" in timed and "not drawn: axis 2: 6" in timed
    lane_view = _ir.axis_diagram(report, other_axis=-2).rows[0].arrays[1]
    assert lane_view.shape == (10, 6) and lane_view.show == 0  # one lane: time is axis 0
    assert render.axis_svg(report) == default, "the default view is unchanged"
    with pytest.raises(ValueError, match="counts from the end"):
        _ir.axis_diagram(report, other_axis=1)
