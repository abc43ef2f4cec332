"""The Inspector's stage stepper: each stage's caption and what it points at, from the records."""

from __future__ import annotations

import json

import jax.numpy as jnp
import pytest
import traitlets

import vmapviz
from vmapviz import examples
from vmapviz.inspection import words
from vmapviz.records import Kind
from vmapviz.transform import vmap2
from vmapviz.widgets import Inspector, _payload
from vmapviz.widgets._stages import STAGE_TABS, STAGES, stage_payload

NAMES = ["cache", "discovery", "axes", "keys", "execution", "write_back"]
# Catalogue examples that run on one device.
ONE_DEVICE = ["1.2_out_axes", "1.5_counter", "1.6_linear", "1.7_ignore", "2.1_sample_normal",
              "2.3_dropout", "3.3_stateful_computation", "3.5_simple_jaxpr"]


@pytest.fixture(scope="module")
def entries():
    """The Inspector entry (JSON, with its stages) of each one-device catalogue example."""
    return {name: (report, _payload.entry_payload(report))
            for name in ONE_DEVICE for report in [examples.inspect(name)]}


def _stages(entry) -> dict:
    return {s["name"]: s for s in entry["stages"]}


def _nodes_named(entry, view, label, kind):
    """Ids of the ``kind`` nodes of a graph view whose label starts with ``label``."""
    return [nid for nid, n in entry["graphs"][view]["nodes"].items()
            if n["kind"] == kind and n["label"].split("\n")[0] == label]


def _table_labels(entry) -> set:
    return {row[0] for t in entry["tables"] for row in t["rows"]}


def _lane_labels(entry) -> set:
    return {row[1] for row in entry["lanes"][0]["rows"]}


# ------------------------------------------------------------------ captions


def test_counter_captions_say_what_each_stage_decided(entries):
    _, entry = entries["1.5_counter"]
    assert [(s["name"], s["title"]) for s in entry["stages"]] == [
        ("cache", "cache"), ("discovery", "discovery"), ("axes", "axes"), ("keys", "keys"),
        ("execution", "execution"), ("write_back", "write-back")]
    assert [s["caption"] for s in entry["stages"]] == [
        "cache: miss, first call; traced once (signature (f32[4]))",
        "discovery: 1 State read, 1 written: count",
        ("axes: argument delta batched on axis 0 by in_axes; count batched on axis 0 by "
         "state_in_axes"),
        "keys: no RandomState used, no key split",
        ("execution: compiled jax.vmap over 4 lanes; 1 of 1 equation varies by lane; "
         "returned f32[4]"),
        "write-back: count written back on axis 0, f32[4] -> f32[4]",
    ]


def test_linear_captions_name_shared_states_and_no_write_back(entries):
    report, entry = entries["1.6_linear"]
    stages = _stages(entry)
    assert stages["discovery"]["caption"] == "discovery: 2 States read, 0 written: weight, bias"
    assert stages["axes"]["caption"] == ("axes: argument x batched on axis 0 by in_axes; "
                                         "weight, bias shared")
    assert stages["write_back"]["caption"] == "write-back: no State written"
    assert report.write_back.entries == ()


def test_keys_caption_of_a_random_call(entries):
    report, entry = entries["2.1_sample_normal"]
    stages = _stages(entry)
    assert stages["keys"]["available"] is True
    assert stages["keys"]["caption"] == ("keys: random.DEFAULT split into 5: lane i draws from "
                                         "key i+1, the State keeps key 0")
    assert report.keys.axis_size + 1 == 5
    assert stages["write_back"]["caption"] == (
        "write-back: random.DEFAULT keeps key 0, key<fry>[] -> key<fry>[]")


def test_execution_counts_the_equations_that_vary_by_lane(entries):
    for name, (report, entry) in entries.items():
        flags = report.flags["elementwise"].eqns
        total = len(report.elementwise_jaxpr.jaxpr.eqns)
        varying = sum(any(f.outs) for f in flags)
        caption = _stages(entry)["execution"]["caption"]
        assert f"; {varying} of {total} equation" in caption, (name, caption)
    _, ignore = entries["1.7_ignore"]
    assert "1 of 2 equations varies by lane" in _stages(ignore)["execution"]["caption"]


def test_cache_captions_of_a_hit_and_of_a_miss():
    count = vmapviz.ShortTermState(jnp.zeros(4), name="count")

    def step(d):
        count.value = count.value + d
        return count.value

    m = vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
    m(jnp.ones(4))
    hit = m.inspect(jnp.ones(4))
    assert words.stage_caption(hit, "cache") == (
        "cache: hit, signature (f32[4]) seen before; no retrace (1 trace so far)")
    count.value = jnp.zeros(3)
    miss = m.inspect(jnp.ones(3))
    caption = words.stage_caption(miss, "cache")
    assert caption.startswith("cache: miss, ") and "first call" not in caption
    assert caption.endswith("traced again (signature (f32[3]); 2 traces so far)")
    assert words.miss_reason(miss.cache) in caption


def test_unknown_stage_names_are_refused():
    with pytest.raises(ValueError, match="no stage 'sort'"):
        words.stage_title("sort")
    assert tuple(NAMES) == STAGES == words.STAGES


# ------------------------------------------------------------------ highlights


def test_write_back_points_at_exactly_the_written_states(entries):
    for name, (report, entry) in entries.items():
        wb = _stages(entry)["write_back"]
        written = [w.label for w in report.write_back.entries]
        assert wb["labels"] == written == wb["rows"], name
        for view in ("elementwise", "batched"):
            want = sorted((nid for label in written
                           for nid in _nodes_named(entry, view, label, "output")),
                          key=lambda nid: int(nid[1:]))
            assert wb["nodes"][view] == want, (name, view)
            assert len(want) >= len(written), (name, view, "each written State has an output")


def test_counter_highlights(entries):
    _, entry = entries["1.5_counter"]
    s = _stages(entry)
    assert s["cache"]["labels"] == ["argument delta"]
    assert s["discovery"]["labels"] == ["count"]
    assert s["discovery"]["nodes"] == {"elementwise": ["e2"], "batched": ["b2"]}
    assert s["axes"]["labels"] == ["argument delta", "count"]
    assert s["axes"]["nodes"] == {"elementwise": ["e1", "e2"], "batched": ["b1", "b2"]}
    assert s["execution"]["labels"] == ["output 0"]
    nodes = entry["graphs"]["elementwise"]["nodes"]
    assert s["execution"]["nodes"]["elementwise"] == [n for n in nodes if nodes[n]["batched"]]
    assert s["write_back"]["nodes"] == {"elementwise": ["e5"], "batched": ["b5"]}


def test_no_random_state_no_keys_stage(entries):
    for name in ("1.5_counter", "1.6_linear"):
        report, entry = entries[name]
        keys = _stages(entry)["keys"]
        assert report.keys is None
        assert keys["available"] is False
        assert keys["labels"] == keys["rows"] == []
        assert keys["nodes"] == {"elementwise": [], "batched": []}


def test_keys_point_at_the_random_state_and_the_random_nodes(entries):
    report, entry = entries["2.1_sample_normal"]
    keys = _stages(entry)["keys"]
    assert keys["labels"] == keys["rows"] == [k.label for k in report.keys.entries]
    assert "random.DEFAULT" in {row[0] for row in entry["tables"][2]["rows"]}
    nodes = entry["graphs"]["elementwise"]["nodes"]
    picked = {nodes[n]["label"].split("\n")[0] for n in keys["nodes"]["elementwise"]}
    assert picked == {"random.DEFAULT", "split key", "normal(key)"}
    assert {nodes[n]["kind"] for n in keys["nodes"]["elementwise"]} == {
        "input", "collapsed", "output"}
    # the axes stage: the RandomState's key enters per lane in the per-element jaxpr, but
    # in the batched jaxpr the key enters whole (it is split inside)
    axes = _stages(entry)["axes"]
    assert axes["labels"] == ["argument scale", "random.DEFAULT"]
    assert axes["nodes"]["elementwise"] == ["e1", "e2"]
    assert axes["nodes"]["batched"] == ["b1"]


def test_linear_discovery_and_axes(entries):
    _, entry = entries["1.6_linear"]
    s = _stages(entry)
    assert s["discovery"]["labels"] == ["weight", "bias"]
    for view in ("elementwise", "batched"):
        want = [nid for label in ("weight", "bias")
                for nid in _nodes_named(entry, view, label, "input")]
        assert s["discovery"]["nodes"][view] == want
        assert s["axes"]["nodes"][view] == _nodes_named(entry, view, "argument x", "input")
    assert s["axes"]["labels"] == ["argument x"], "weight and bias are shared"


def test_written_only_state_is_found_by_its_output_node(entries):
    _, entry = entries["1.7_ignore"]
    disc = _stages(entry)["discovery"]
    assert disc["labels"] == ["temp_state2", "write_state2"]
    for view in ("elementwise", "batched"):
        assert _nodes_named(entry, view, "write_state2", "input") == []
        assert set(_nodes_named(entry, view, "write_state2", "output")) <= set(
            disc["nodes"][view])


def test_every_highlight_exists_in_the_entry(entries):
    """Labels are first-column table cells, rows are lane-table names, nodes are graph ids."""
    for name, (_, entry) in entries.items():
        for s in entry["stages"]:
            assert s["tab"] == STAGE_TABS[s["name"]] and s["caption"].startswith(s["title"] + ": ")
            assert set(s["labels"]) <= _table_labels(entry), (name, s["name"])
            assert set(s["rows"]) <= _lane_labels(entry), (name, s["name"])
            for view, ids in s["nodes"].items():
                assert set(ids) <= set(entry["graphs"][view]["nodes"]), (name, s["name"])
                assert ids == sorted(set(ids), key=lambda nid: int(nid[1:]))


def test_alike_states_are_pointed_at_as_their_group_row():
    states = [vmapviz.ParamState(jnp.ones(2), name=f"layers.{i}") for i in range(5)]

    def f(x):
        return x + sum(s.value for s in states)

    report = vmap2(f).inspect(jnp.ones((3, 2)))
    entry = _payload.entry_payload(report)
    disc = _stages(entry)["discovery"]
    assert disc["labels"] == ["layers.*"]
    assert disc["rows"] == ["layers.* (5 ParamStates)"]
    assert disc["labels"][0] in _table_labels(entry)
    assert disc["rows"][0] in _lane_labels(entry)
    assert disc["caption"] == ("discovery: 5 States read, 0 written: layers.0, layers.1, "
                               "layers.2 and 2 more")


def test_stage_payload_builds_the_graphs_itself_and_is_deterministic(entries):
    report, entry = entries["2.1_sample_normal"]
    alone = json.loads(json.dumps(stage_payload(report)))
    assert alone == entry["stages"]
    again = _payload.entry_payload(examples.inspect("2.1_sample_normal"))
    assert json.dumps(again["stages"], sort_keys=True) == json.dumps(entry["stages"],
                                                                     sort_keys=True)


def test_only_the_inspector_carries_stages(entries):
    report, _ = entries["1.5_counter"]
    assert "stages" not in _payload.entry_payload(report, ("tables",))
    assert "stages" not in _payload.entry_payload(report, ("graphs",))


# ------------------------------------------------------------------ the trait


def test_stage_trait_validates_and_opens_the_stage_tab():
    ins = Inspector(examples.inspect("1.5_counter"))
    assert ins.stage == "" and ins.stage_info is None, "off by default"
    ins.stage = "axes"
    assert ins.tab == "axes" and ins.stage_info["caption"].startswith("axes: ")
    ins.stage = "write-back"
    assert ins.stage == "write_back"
    ins.stage = "cache"
    assert ins.tab == "states"
    ins.tab = "graph"
    assert ins.stage == "cache", "a tab click keeps the stage"
    with pytest.raises(traitlets.TraitError, match=r"Inspector.stage: no stage 'sort'; "
                                                   r"expected '' \(off\) or one of cache"):
        ins.stage = "sort"
    with pytest.raises(traitlets.TraitError, match="no keys stage"):
        ins.stage = "keys"
    assert ins.stage == "cache"
    ins.stage = ""
    assert ins.stage_info is None


def test_a_call_without_keys_turns_a_keys_stage_off():
    ins = Inspector([examples.inspect("2.1_sample_normal"), examples.inspect("1.5_counter")])
    ins.stage = "keys"
    assert ins.tab == STAGE_TABS["keys"]
    assert ins.stage_info["labels"] == ["random.DEFAULT"]
    ins.selected = 1
    assert ins.stage == ""
    ins.stage = "discovery"
    ins.selected = 0
    assert ins.stage == "discovery", "a stage both calls have stays"


def test_a_graph_drawn_with_other_options_names_its_stage_nodes():
    ins = Inspector(examples.inspect("1.5_counter"))
    ins.graph_options = {**ins.graph_options, "group_states": True}
    drawn = ins.graph_drawn
    assert set(drawn["stages"]) == set(NAMES)
    outputs = [nid for nid, n in drawn["nodes"].items()
               if n["kind"] == "output" and n["label"].startswith("count\n")]
    assert drawn["stages"]["write_back"] == outputs and outputs


def test_static_fallback_is_unchanged_by_the_stepper():
    ins = Inspector(examples.inspect("1.5_counter"))
    before = ins._repr_mimebundle_()[0]["text/html"]
    ins.stage = "axes"
    after = ins._repr_mimebundle_()[0]
    assert after["text/html"] == before, "the static HTML has no stepper"
    assert "vmapviz-stages" not in before
    assert after["text/plain"] == "Inspector(mapping='Counter', lanes=4, states=['count'])"


def test_state_names_reach_the_stepper_as_the_tables_show_them():
    name = "<b>&a\x01b"
    count = vmapviz.ShortTermState(jnp.zeros(2), name=name)

    def step(d):
        count.value = count.value + d
        return d

    report = vmap2(step, state_in_axes={0: vmapviz.ShortTermState}).inspect(jnp.ones(2))
    entry = _payload.entry_payload(report)
    wb = _stages(entry)["write_back"]
    assert wb["labels"] == [entry["tables"][0]["rows"][0][0]] == ["<b>&a\\x01b"]
    assert wb["rows"][0] in _lane_labels(entry)
    assert wb["caption"].startswith("write-back: <b>&a\\x01b written back on axis 0")
    assert [e.label for e in report.axes.of(Kind.STATE)] == [name]
