"""Widgets: the JSON they carry, their static MIME bundles, escaping, and their JS logic."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest
from _jax_pin import ON_PIN

import vmapviz
from vmapviz import render, widgets
from vmapviz.inspection import words
from vmapviz.render import _ir
from vmapviz.render._graph import report_graph
from vmapviz.transform import vmap2
from vmapviz.widgets import AxisDiagram, Inspector, JaxprGraph, StateTable, _payload

REPO = Path(__file__).parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EVIL = "<script>alert(1)</script>"
# Things that change between runs and must never reach text/plain or text/html.
UNSTABLE = re.compile(r"0x[0-9a-fA-F]{6,}|[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-|model_id")


def counter(name: str = "count", n: int = 4):
    """A fresh State and mapping: ``count += d; return count * 2``, over ``n`` lanes."""
    count = vmapviz.ShortTermState(jnp.zeros(n), name=name)

    def step(d):
        count.value = count.value + d
        return count.value * 2

    return count, vmap2(step, state_in_axes={0: vmapviz.ShortTermState})


def counter_report(name: str = "count", n: int = 4):
    _, m = counter(name, n)
    return m.inspect(jnp.arange(float(n)))


def random_report():
    rng = vmapviz.random.RandomState(0, name="rng")

    def noisy(x):
        return x + rng.normal()

    return vmap2(noisy).inspect(jnp.zeros(3))


# ------------------------------------------------------------------ traits


def test_entries_hold_the_records_json():
    report = counter_report()
    w = Inspector(report)
    (entry,) = w.entries
    assert entry["report"] == json.loads(report.to_json())
    assert entry["label"] == "call 1, first call: step(f32[4])"
    assert entry["mapping"] == "step"
    assert entry["title"] == "vmap2 of step over 4 lanes"
    assert entry["axis_size"] == 4
    assert entry["states"] == ["count"]
    assert entry["explain"] == report.explain()
    assert entry["tables"][0] == {
        "title": "States",
        "columns": list(_ir.state_table(report).columns),
        "rows": [list(r) for r in _ir.state_table(report).rows],
    }
    assert [t["title"] for t in entry["tables"]] == ["States", "Arguments and outputs"]
    assert (w.selected, w.lane, w.view, w.tab, w.node) == (0, 0, "elementwise", "states", "")


def test_entries_are_plain_json():
    w = Inspector(counter_report())
    assert json.loads(json.dumps(w.entries)) == w.entries


def test_one_precomputed_axis_diagram_per_lane():
    report = counter_report()
    lanes = Inspector(report).entry["lanes"]
    assert [lane["lane"] for lane in lanes] == [0, 1, 2, 3]
    assert [lane["svg"] for lane in lanes] == [render.axis_svg(report, i) for i in range(4)]
    assert lanes[3]["rows"] == [
        ["argument", "argument d", "[3] of f32[4] -> f32[]", "-"],
        ["state", "count", "[3] of f32[4] -> f32[]", "f32[] -> [3] of f32[4]"],
        ["output", "output 0", "-", "f32[] -> [3] of f32[4]"],
    ]


def test_lanes_are_capped(monkeypatch):
    monkeypatch.setattr(_payload, "MAX_LANES", 2)
    entry = Inspector(counter_report(n=5)).entry
    assert entry["axis_size"] == 5
    assert len(entry["lanes"]) == 2


def test_lane_rows_name_each_lanes_random_key():
    report = random_report()
    rows = _payload.lane_rows(report, 1)
    (key,) = report.keys.entries
    (rng,) = [r for r in rows if r[1] == "rng"]
    assert rng == ["state", "rng", f"key 2 of split(key, 4): {words.key_text(key.lane_keys[1])}",
                   f"keeps key 0: {words.key_text(key.key_after)}"]
    assert Inspector(report).entry["tables"][-1]["title"] == "Random keys: split(key, 4)"


def test_broadcast_argument_lane_row():
    report = vmap2(lambda x, y: x * y, in_axes=(0, None)).inspect(jnp.ones(3), jnp.ones(2)[:1])
    assert _payload.lane_rows(report, 0)[1][2] == "all of f32[1] (broadcast) -> f32[1]"


def test_graphs_of_both_views_with_tagged_nodes():
    report = counter_report()
    graphs = Inspector(report).entry["graphs"]
    assert sorted(graphs) == ["batched", "elementwise"]
    for view, prefix in (("elementwise", "e"), ("batched", "b")):
        g = graphs[view]
        graph = render._graph.report_graph(report, view)
        assert g["dot"] == render.dot.graph_to_dot(graph, legend=False)
        assert render.to_dot(report, which=view).startswith(g["dot"][:-2])  # + the legend
        assert g["legend"] == render.dot.legend_lines(graph)
        assert g["legend"][0].startswith("orange: carries the batch axis")
        assert "legend" not in g["svg"] and "orange: carries" not in g["svg"]
        assert g["error"] is None
        assert g["svg"].startswith("<svg")
        tagged = re.findall(r'class="node" data-node="([^"]+)"', g["svg"])
        assert sorted(tagged) == sorted(g["nodes"])
        assert all(t.startswith(prefix) for t in tagged)


def test_node_table_describes_each_equation():
    nodes = Inspector(counter_report()).entry["graphs"]["elementwise"]["nodes"]
    assert {k: v["kind"] for k, v in nodes.items()} == {
        "e1": "input", "e2": "input", "e3": "eqn", "e4": "eqn", "e5": "output", "e6": "output"}
    mul = nodes["e4"]
    # the parameters are JAX's own for ``mul`` (``out_dtype`` since JAX 0.10, none before)
    own = jax.make_jaxpr(lambda a: a * 2.0)(1.0).eqns[0].params
    params = [["out_dtype", "None"]] if ON_PIN else [[k, str(v)] for k, v in sorted(own.items())]
    assert mul == {
        "id": "e4", "kind": "eqn", "label": "mul\n(_, 2.0)", "batched": True,
        "primitive": "mul", "equation": "a:f32[] = mul b 2.0:f32[]",
        "inputs": ["f32[]", "2.0"], "outputs": ["f32[]"],
        "params": params,
        "from": [["e3", "f32[]"]], "to": [["e5", "f32[]"]],
    }
    assert nodes["e1"]["label"] == "argument d\nf32[]"
    assert "primitive" not in nodes["e1"]


def test_node_table_of_sub_jaxprs_has_no_colour_codes_or_addresses():
    def f(x):
        return jax.nn.relu(jax.lax.cond(x > 0, lambda a: a * 2, lambda a: a - 1, x))

    report = vmap2(f).inspect(jnp.arange(3.0) - 1)
    jax.config.update("jax_pprint_use_color", True)
    try:
        nodes = _payload.node_table(report_graph(report, "elementwise", details=True))
        collapsed = _payload.node_table(
            report_graph(report, "elementwise", max_cluster_eqns=0, details=True))
    finally:
        jax.config.update("jax_pprint_use_color", False)
    assert "cond" in {n.get("primitive") for n in nodes.values()}
    assert {n.get("primitive") for n in collapsed.values() if n["kind"] == "collapsed"} == {
        "cond", "custom_jvp_call"}
    (cond,) = [n for n in nodes.values() if n.get("primitive") == "cond"]
    assert dict(cond["params"])["branches"].startswith("({ lambda ; ")
    text = json.dumps([nodes, collapsed])
    assert "\\u001b" not in text
    assert not re.search(r"0x[0-9a-fA-F]{6,}", text)


def test_tag_svg_nodes_only_tags_node_groups():
    svg = ('<?xml version="1.0"?>\n<svg><g id="graph0" class="graph"><title>g</title>'
           '<g id="node12" class="node">\n<title>b7</title></g>'
           '<g id="edge1" class="edge"><title>b7&#45;&gt;b8</title></g></svg>')
    assert _payload.tag_svg_nodes(svg) == (
        '<svg><g id="graph0" class="graph"><title>g</title>'
        '<g id="node12" class="node" data-node="b7">\n<title>b7</title></g>'
        '<g id="edge1" class="edge"><title>b7&#45;&gt;b8</title></g></svg>')


def test_without_graphviz_the_graph_is_dot_text(monkeypatch):
    monkeypatch.setattr(render.dot.shutil, "which", lambda name: None)
    w = JaxprGraph(counter_report())
    g = w.entry["graphs"]["elementwise"]
    assert g["svg"] is None
    assert g["dot"].startswith("digraph vmapviz {")
    assert "apt-get install graphviz" in g["error"]
    assert g["nodes"]["e3"]["primitive"] == "add"
    html = w._repr_mimebundle_()[0]["text/html"]
    assert "<pre>digraph vmapviz {" in html
    assert "apt-get install graphviz" in html


# ------------------------------------------------------------------ selection traits


def test_selection_traits_validate_and_clamp():
    w = Inspector(counter_report())
    w.lane = 99
    assert w.lane == 3
    w.lane = -2
    assert w.lane == 0
    with pytest.raises(Exception, match=r"Inspector.view: expected one of \('elementwise', "
                                        r"'batched'\), got 'both'"):
        w.view = "both"
    with pytest.raises(Exception, match=r"Inspector.tab: expected one of .*got 'nope'"):
        w.tab = "nope"
    with pytest.raises(Exception, match=r"Inspector.selected: expected an entry index in "
                                        r"\[0, 1\), got 1"):
        w.selected = 1


def test_switching_view_or_entry_forgets_the_clicked_node():
    w = Inspector(counter_report())
    w.node = "e3"
    assert w.node_info["primitive"] == "add"
    w.view = "batched"
    assert w.node == ""
    assert w.node_info is None


def test_inspector_add_and_select_entries():
    count, m = counter()
    w = widgets.inspect(m, jnp.arange(4.0))
    w.lane = 3
    count.value = jnp.zeros(2)
    assert w.inspect(jnp.arange(2.0)) is w
    assert [e["label"] for e in w.entries] == ["call 1, first call: step(f32[4])",
                                               "call 2, miss: d f32[4] -> f32[2]"]
    assert w.selected == 1
    assert w.lane == 1  # clamped to the new entry's lanes
    assert repr(w) == "Inspector(mapping='step', entries=2, selected=1, lanes=2, states=['count'])"
    assert len(w.reports) == 2 and w.report is w.reports[1]
    assert w.add(counter_report(), label="again", select=False) == 2
    assert w.selected == 1 and w.entries[2]["label"] == "again"


def test_inspector_needs_reports_and_matching_labels():
    with pytest.raises(ValueError, match=r"Inspector needs at least one report, got none"):
        Inspector([])
    with pytest.raises(ValueError, match=r"Inspector: got 1 reports but 2 labels"):
        Inspector([counter_report()], labels=["a", "b"])
    with pytest.raises(ValueError, match=r"Inspector.inspect: this Inspector was made from "
                                         r"reports, not a mapping"):
        Inspector(counter_report()).inspect(jnp.ones(4))


# ------------------------------------------------------------------ entry points


def test_inspect_wraps_a_plain_function_with_vmap2_defaults():
    w = widgets.inspect(lambda x, y: x + y, jnp.ones(3), jnp.ones(3))
    assert isinstance(w, Inspector)
    assert repr(w) == "Inspector(mapping='<lambda>', lanes=3, states=[])"
    assert [r[3] for r in _ir.leaf_table(w.report).rows[:2]] == ["in 0", "in 0"]


def test_widget_of_a_mapping_runs_the_call():
    count, m = counter()
    w = widgets.widget(m, jnp.ones(4))
    assert repr(w) == "Inspector(mapping='step', lanes=4, states=['count'])"
    assert count.value.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_entry_points_reject_wrong_arguments():
    with pytest.raises(TypeError, match=r"vmapviz.inspect: argument f_or_mapping must be a "
                                        r"function or a StatefulMapping .*got int"):
        widgets.inspect(3, jnp.ones(2))
    with pytest.raises(TypeError, match=r"vmapviz.widgets.widget: argument mapping must be a "
                                        r"StatefulMapping .*got function"):
        widgets.widget(lambda x: x, jnp.ones(2))


# ------------------------------------------------------------------ MIME bundles

REPRS = [
    (Inspector, "Inspector(mapping='step', lanes=4, states=['count'])"),
    (StateTable, "StateTable(mapping='step', states=['count'])"),
    (AxisDiagram, "AxisDiagram(mapping='step', lanes=4, lane=0)"),
    (JaxprGraph, "JaxprGraph(mapping='step', view='elementwise', nodes=6)"),
]


@pytest.mark.parametrize(("cls", "text"), REPRS, ids=[c.__name__ for c, _ in REPRS])
def test_bundle_has_widget_view_plain_text_and_static_html(cls, text):
    w = cls(counter_report())
    data, _metadata = w._repr_mimebundle_()
    assert sorted(data) == [WIDGET_VIEW, "text/html", "text/plain"]
    assert data[WIDGET_VIEW]["model_id"] == w.model_id
    assert data["text/plain"] == repr(w) == text
    html = data["text/html"]
    assert html.startswith(f'<div class="vmapviz-static vmapviz-static-{w._kind}">')
    assert "<script" not in html.lower()
    assert not UNSTABLE.search(data["text/plain"] + html)


@pytest.mark.parametrize(("cls", "text"), REPRS, ids=[c.__name__ for c, _ in REPRS])
def test_bundle_text_is_identical_across_constructions(cls, text):
    first = cls(counter_report())._repr_mimebundle_()[0]
    second = cls(counter_report())._repr_mimebundle_()[0]
    assert first[WIDGET_VIEW]["model_id"] != second[WIDGET_VIEW]["model_id"]
    assert first["text/plain"] == second["text/plain"] == text
    assert first["text/html"] == second["text/html"]


def test_static_html_is_the_renderers_output_for_the_current_selection():
    report = counter_report()
    w = Inspector(report)
    w.lane, w.view = 2, "batched"
    html = w._repr_mimebundle_()[0]["text/html"]
    assert render.to_html(report) in html
    assert render.axis_svg(report, 2) in html
    assert "<h4>Axis diagram: lane 2 of 4</h4>" in html
    assert w.entry["graphs"]["batched"]["svg"] in html
    assert "<h4>Graph: batched jaxpr</h4>" in html


def test_static_html_of_several_entries_names_the_selected_one():
    count, m = counter()
    w = widgets.inspect(m, jnp.arange(4.0))
    count.value = jnp.zeros(2)
    w.inspect(jnp.arange(2.0))
    html = w._repr_mimebundle_()[0]["text/html"]
    assert "<p>Cache entry 2 of 2: <code>call 2, miss: d f32[4] -&gt; f32[2]</code></p>" in html
    assert "vmap2 of step over 2 lanes" in html


def test_state_named_like_a_script_is_escaped_everywhere():
    report = counter_report(name=EVIL)
    w = Inspector(report)
    data = w._repr_mimebundle_()[0]
    assert data["text/plain"] == f"Inspector(mapping='step', lanes=4, states=[{EVIL!r}])"
    html = data["text/html"]
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Markup the JS inserts as-is (the renderers' SVG) never holds the raw name; every
    # other field is text, which the JS puts in with textContent.
    entry = w.entry
    markup = [lane["svg"] for lane in entry["lanes"]]
    markup += [g["svg"] for g in entry["graphs"].values()]
    assert all(EVIL not in svg and "<script" not in svg for svg in markup)
    assert entry["states"] == [EVIL]
    assert entry["tables"][0]["rows"][0][0] == EVIL
    assert EVIL in entry["graphs"]["elementwise"]["nodes"]["e2"]["label"]


def test_js_never_puts_data_into_inner_html_except_renderer_svg():
    js = (REPO / "vmapviz" / "widgets" / "static" / "vmapviz.js").read_text()
    assert re.findall(r"\.innerHTML\s*=\s*([^;]+);", js) == ["svg"]
    assert "insertAdjacentHTML" not in js and "outerHTML" not in js
    assert "function svgBox(className, svg)" in js


# ------------------------------------------------------------------ JavaScript


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_widget_js_logic():
    """The pure functions of static/vmapviz.js, under ``node --test``."""
    test_file = REPO / "tests" / "browser" / "widget_logic.test.mjs"
    run = subprocess.run(["node", "--test", str(test_file)], capture_output=True, text=True,
                         timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^# pass [1-9]\d*$", run.stdout, re.MULTILINE), run.stdout
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), run.stdout


@pytest.mark.parametrize("name, transform", [("3.4_pmap2", "pmap2"),
                                             ("3.4_shard_map", "shard_map")])
def test_inspector_title_names_the_transform(name, transform):
    """The Inspector, the text tables and explain() share one title (from the records)."""
    from vmapviz import examples

    example = examples.get(name)
    if jax.device_count() < example.devices:
        pytest.skip(f"needs {example.devices} devices")
    report = example.inspect()
    entry = Inspector([report]).entry
    assert entry["title"].startswith(f"{transform} of ")
    assert entry["title"] == report.title == render.to_text(report).splitlines()[0]
    assert report.explain().startswith(report.title + ": ")


def test_an_inspector_entry_draws_each_graph_view_once(monkeypatch):
    """DOT, SVG and the node table of a view are lowerings of one graph, built once."""
    from vmapviz.render import _graph

    built = []
    original = _graph._Builder.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    report = counter_report()
    monkeypatch.setattr(_graph._Builder, "__init__", counting)
    Inspector([report])
    assert len(built) == len(_payload.GRAPH_VIEWS) == 2


def test_lanes_past_the_precomputed_ones_are_drawn_on_request():
    report = vmap2(lambda x: x * 2).inspect(jnp.arange(40.0))
    ins = Inspector([report])
    precomputed = len(ins.entry["lanes"])
    assert 1 <= precomputed < 40
    assert ins.lane_view == {}
    ins.lane = 37
    assert ins.lane == 37 and ins.lane_view["lane"] == 37
    assert ins.lane_view["label"] == ins.entry["label"]
    assert "dark cell: lane 37" in ins.lane_view["svg"]
    assert ins.lane_view["rows"][0][:2] == ["argument", "argument x"]
    assert ins.lane_view["svg"] == render.axis_svg(report, lane=37)
    ins.lane = 99
    assert ins.lane == 39, "clamped to the call's lanes"
    assert "lane 39 of 40" in ins.static_html()


def test_alike_states_are_one_row_and_the_payload_stays_small():
    from vmapviz.examples import real

    mapping, args, _ = real.mlp_300(layers=40, width=4, batch=64)
    report = mapping.inspect(*args)
    rows = _ir.state_table(report).rows
    assert len(rows) == 1
    assert rows[0][:3] == ("layers.*.{0,1}", "80 ParamStates", "f32[4,4] | f32[4]")
    diagram = _ir.axis_diagram(report)
    assert [r.label for r in diagram.rows if r.kind == "state"] == [
        "layers.*.{0,1} (80 ParamStates)"]
    entry = Inspector([report]).entry
    assert len(json.dumps(entry["lanes"])) < 300_000
