"""Folding and unfolding jaxpr graphs: expand / collapse by path or name, unfolding
repeated blocks, grouping by State path, and the same through the widget's traits."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import pytest
import traitlets

import vmapviz
from vmapviz import render
from vmapviz.examples import real
from vmapviz.render._graph import report_graph
from vmapviz.render._options import GraphOptions
from vmapviz.transform import scan, vmap2
from vmapviz.widgets import Inspector, JaxprGraph


def _flow(x):
    def body(c, t):
        c = jax.lax.cond(c > t, lambda a: a * 2.0, lambda a: a - 1.0, c)
        return c, c

    c, ys = jax.lax.scan(body, x, jnp.arange(4.0))
    return c + ys.sum()


@pytest.fixture(scope="module")
def flow_report():
    return vmap2(_flow).inspect(jnp.ones(3))


@pytest.fixture(scope="module")
def lif_report():
    mapping, args, _ = real.lif_population(neurons=6, steps=4, trials=3)
    return mapping.inspect(*args)


@pytest.fixture(scope="module")
def mlp_report():
    mapping, args, _ = real.mlp_300(layers=20, width=4, batch=3)
    return mapping.inspect(*args)


def _scan_path(report, which="elementwise"):
    jaxpr = getattr(report, f"{which}_jaxpr").jaxpr
    return str([e.primitive.name for e in jaxpr.eqns].index("scan"))


def _folded(graph):
    return [n for n in graph.nodes if n.toggle is not None]


def _clusters(graph):
    out = []

    def walk(c):
        out.append(c)
        for s in c.clusters:
            walk(s)

    for c in graph.clusters:
        walk(c)
    return out


def _first_lines(graph):
    return [n.label.splitlines()[0] for n in graph.nodes]


def test_every_folded_node_opens_by_its_own_path(lif_report, mlp_report, flow_report):
    """Whatever was folded (sub-jaxpr, random call, key chain) opens by the path it shows."""
    for report in (lif_report, mlp_report, flow_report):
        for view in ("elementwise", "batched"):
            small = GraphOptions.of(max_cluster_eqns=2)
            graph = report_graph(report, view, options=small)
            for node in _folded(graph):
                action, path = node.toggle
                assert action == "expand" and re.fullmatch(r"\d+(/\d+/\d+)*", path)
                opened = report_graph(report, view, options=GraphOptions.of(
                    max_cluster_eqns=2, expand=[path]))
                assert (node.label, path) not in {(n.label, n.toggle[1])
                                                  for n in _folded(opened)}, (view, node.label)
                assert len(opened.nodes) > len(graph.nodes) - 1


def test_paths_name_nested_equations(flow_report):
    graph = report_graph(flow_report, "elementwise")
    toggles = {c.label.split()[0]: c.toggle for c in _clusters(graph) if c.toggle}
    path = _scan_path(flow_report)
    assert toggles["scan"] == ("collapse", path)
    scan_body = flow_report.elementwise_jaxpr.jaxpr.eqns[int(path)].params["jaxpr"].jaxpr
    inner = [e.primitive.name for e in scan_body.eqns].index("cond")
    assert toggles["cond"] == ("collapse", f"{path}/0/{inner}")


def test_collapse_by_path_or_primitive_and_reopen(flow_report):
    whole = render.to_dot(flow_report, which="elementwise")
    assert "cluster_" in whole and "hidden" not in whole
    by_name = render.to_dot(flow_report, which="elementwise", collapse=["scan"])
    by_path = render.to_dot(flow_report, which="elementwise",
                            collapse=[_scan_path(flow_report)])
    assert by_name == by_path
    assert "hidden]" in by_name and "collapsed into one node on request" in by_name
    assert 'label="cond"' not in by_name
    graph = report_graph(flow_report, "elementwise", options=GraphOptions.of(collapse=["cond"]))
    (cond,) = [n for n in graph.nodes if n.label.startswith("cond")]
    assert cond.kind == "collapsed" and cond.toggle[0] == "expand"
    # collapse wins over expand for the same place
    path = _scan_path(flow_report)
    both = GraphOptions.of(expand=[path], collapse=[path])
    assert "hidden]" in render.dot.graph_to_dot(report_graph(flow_report, "elementwise",
                                                             options=both))


def test_expand_opens_what_max_cluster_eqns_collapsed(flow_report):
    small = render.to_dot(flow_report, which="elementwise", max_cluster_eqns=1)
    assert "scan" in small and "hidden]" in small and 'label="cond"' not in small
    opened = render.to_dot(flow_report, which="elementwise", max_cluster_eqns=1,
                           expand=["scan", "cond"])
    assert "hidden]" not in opened and 'label="cond"' in opened


def test_expand_true_draws_everything(lif_report, mlp_report):
    for report in (lif_report, mlp_report):
        dot = render.to_dot(report, expand=True)
        assert "hidden]" not in dot and "(key)" not in dot and "split key" not in dot
        assert "times in a row" not in dot
    lif = report_graph(lif_report, "elementwise", options=GraphOptions.of(expand=True))
    assert "random_bits" in _first_lines(lif)


def test_a_random_call_opens_by_its_shown_name(lif_report):
    shut = report_graph(lif_report, "elementwise")
    assert "normal(key)" in _first_lines(shut)
    opened = report_graph(lif_report, "elementwise",
                          options=GraphOptions.of(expand=["normal(key)"]))
    assert "normal(key)" not in _first_lines(opened)
    assert len(opened.nodes) > len(shut.nodes)


def test_an_opened_key_chain_is_drawn_to_its_end():
    vmapviz.random.seed(0)
    report = vmap2(lambda s: vmapviz.random.normal(0.0, s)).inspect(jnp.ones(2))
    graph = report_graph(report, "elementwise")
    (chain,) = [n for n in graph.nodes if n.label == "split key"]
    opened = report_graph(report, "elementwise",
                          options=GraphOptions.of(expand=[chain.toggle[1]]))
    assert "split key" not in _first_lines(opened)
    assert "random_split" in _first_lines(opened)


def test_a_folded_block_unfolds_by_its_path(mlp_report):
    graph = report_graph(mlp_report, "elementwise")
    (fold,) = [c for c in _clusters(graph) if c.toggle and c.toggle[0] == "unfold"]
    assert fold.label.startswith("x20")
    unfolded = report_graph(mlp_report, "elementwise",
                            options=GraphOptions.of(expand=[fold.toggle[1]]))
    assert not any(c.label.startswith("x20") for c in _clusters(unfolded))
    eqns = [n for n in unfolded.nodes if n.kind == "eqn"]
    assert len(eqns) == 20 * len([n for n in graph.nodes if n.kind == "eqn"])
    assert render.to_dot(mlp_report, fold_repeats=False) == render.dot.graph_to_dot(
        report_graph(mlp_report, options=GraphOptions.of(fold_repeats=False)))


def test_group_by_state_path_keeps_every_node_and_edge(mlp_report):
    plain = report_graph(mlp_report, "elementwise", options=GraphOptions.of(fold_repeats=False))
    grouped = report_graph(mlp_report, "elementwise",
                           options=GraphOptions.of(fold_repeats=False, group_states=True))
    assert plain.nodes == grouped.nodes and plain.edges == grouped.edges
    placed = [nid for c in _clusters(grouped) for nid in c.nodes]
    assert sorted(placed) == sorted(n.id for n in grouped.nodes), "each node in one cluster"
    groups = {c.label: c for c in _clusters(grouped) if c.label.startswith("layers.")}
    assert sorted(groups, key=lambda s: int(s.split(".")[1])) == [
        f"layers.{i}.*" for i in range(20)]
    labels = {n.id: n.label.splitlines()[0] for n in grouped.nodes}
    three = [labels[nid] for nid in groups["layers.3.*"].nodes]
    assert {"layers.3.0", "layers.3.1"} <= set(three), three
    assert "dot_general" in three and "tanh" in three
    dot = render.to_dot(mlp_report, which="elementwise", fold_repeats=False, group_states=True)
    assert 'label="layers.3.*"' in dot


@pytest.mark.parametrize("bad, error", [
    ({"expand": 3}, TypeError), ({"expand": [3]}, TypeError), ({"collapse": None}, TypeError),
    ({"max_cluster_eqns": -1}, ValueError), ({"max_cluster_eqns": True}, ValueError),
])
def test_bad_options_are_refused_with_a_clear_error(flow_report, bad, error):
    with pytest.raises(error, match="expand|collapse|max_cluster_eqns"):
        render.to_dot(flow_report, **bad)


def test_options_json_round_trip():
    opts = GraphOptions.of(expand=["b", "a"], collapse=["scan"], group_states=True)
    assert GraphOptions.from_json(opts.to_json()) == opts
    assert opts.to_json()["expand"] == ["a", "b"]
    with pytest.raises(ValueError, match="unknown keys"):
        GraphOptions.from_json({"zoom": 2})
    assert GraphOptions.from_json({}).is_default


# ------------------------------------------------------------------ widgets


def test_widget_draws_the_graph_with_its_options(lif_report):
    w = JaxprGraph(lif_report)
    assert w.graph_drawn == {}
    default = w.graph
    (normal,) = [n for n in default["nodes"].values() if n["label"] == "normal(key)"]
    w.graph_options = {"expand": [normal["toggle"][1]]}
    drawn = w.graph_drawn
    assert drawn["label"] == w.entry["label"] and drawn["view"] == "elementwise"
    assert drawn["options"]["expand"] == [normal["toggle"][1]]
    assert w.graph is drawn and "normal(key)" not in [
        n["label"] for n in drawn["nodes"].values()]
    assert 'data-node="e1"' in drawn["svg"]
    html = w.static_html()
    assert drawn["svg"] in html
    w.graph_options = {}
    assert w.graph_drawn == {} and w.graph == default


def test_widget_graph_follows_the_view_and_clusters_are_tagged(flow_report):
    w = JaxprGraph(flow_report, view="elementwise")
    clusters = w.graph["clusters"]
    scan_id = next(cid for cid, c in clusters.items() if c["label"].startswith("scan"))
    path = _scan_path(flow_report)
    assert clusters[scan_id]["toggle"] == ["collapse", path]
    assert f'data-cluster="{scan_id}"' in w.graph["svg"]
    w.graph_options = {"collapse": ["scan"]}
    assert w.graph_drawn["view"] == "elementwise"
    w.view = "batched"
    assert w.graph_drawn["view"] == "batched" and w.graph["which"] == "batched"
    first = dict(w.graph_drawn)
    w.graph_options = {}
    w.graph_options = {"collapse": ["scan"]}
    assert w.graph_drawn == first, "the same options draw the same graph"


def test_widget_refuses_bad_options_and_forgets_the_node(flow_report):
    w = JaxprGraph(flow_report)
    w.node = "e3"
    w.graph_options = {"group_states": True}
    assert w.node == ""
    with pytest.raises(traitlets.TraitError, match="unknown keys"):
        w.graph_options = {"zoom": 2}
    with pytest.raises(traitlets.TraitError, match="expand"):
        w.graph_options = {"expand": 3}
    assert w.graph_options["group_states"] is True


def test_other_axis_draws_the_time_axis_on_request():
    mapping, args, _ = real.lif_population(neurons=6, steps=9, trials=3)
    ins = Inspector(mapping.inspect(*args))
    assert ins.entry["max_rank"] == 3
    assert ins.lane_view == {}
    ins.other_axis = -2
    view = ins.lane_view
    assert view["other_axis"] == -2 and view["lane"] == 0
    assert "9" in view["svg"] and view["svg"] != ins.entry["lanes"][0]["svg"]
    ins.lane = 2
    assert ins.lane_view["lane"] == 2 and ins.lane_view["other_axis"] == -2
    assert ins.lane_view["svg"] in ins.static_html()
    for bad in (0, 1):
        with pytest.raises(traitlets.TraitError, match="counts from the end"):
            ins.other_axis = bad
    ins.other_axis = None
    assert ins.entry["lanes"][2]["svg"] in ins.static_html()


def test_scan_inside_vmap2_collapses_by_name_in_the_widget():
    m, args, _ = real.lif_population(neurons=4, steps=3, trials=2)
    ins = Inspector(m.inspect(*args))
    ins.graph_options = {"collapse": ["scan"]}
    labels = [n["label"].splitlines()[0] for n in ins.graph["nodes"].values()]
    assert "scan" in labels and "normal(key)" not in labels
    assert scan is not None  # the catalogue's scan is vmapviz.transform.scan


def test_a_layout_that_takes_too_long_is_an_error_not_a_hang(monkeypatch, flow_report):
    import subprocess

    from vmapviz.render.dot import DotTimeoutError, to_svg
    from vmapviz.widgets import _payload

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    dot = render.to_dot(flow_report, which="elementwise")
    monkeypatch.setattr(subprocess, "run", slow)
    with pytest.raises(DotTimeoutError, match=r"\d+ nodes\) within 3 s"):
        to_svg(dot, timeout=3)
    g = _payload.graph_payload(flow_report, "elementwise")
    assert g["svg"] is None and "did not lay out" in g["error"]
    assert g["dot"].startswith("digraph")


def test_large_graphs_leave_newrank_out():
    from vmapviz.render.dot import NEWRANK_MAX_NODES

    mapping, args, _ = real.mlp_300(layers=80, width=2, batch=2)
    report = mapping.inspect(*args)
    small = report_graph(report, "elementwise")
    big = report_graph(report, "elementwise", options=GraphOptions.of(fold_repeats=False))
    assert len(small.nodes) <= NEWRANK_MAX_NODES < len(big.nodes)
    assert "newrank=true" in render.dot.graph_to_dot(small)
    assert "newrank" not in render.dot.graph_to_dot(big)
