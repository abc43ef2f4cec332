"""Values per lane, dry runs and the report a failed call leaves (issue 15, parts 1, 2, 6)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapviz
from vmapviz import examples
from vmapviz.inspection.words import sample_text
from vmapviz.render import axis_svg
from vmapviz.transform import vmap2
from vmapviz.widgets._payload import lane_rows


def _counter(n=4, width=3):
    count = vmapviz.ShortTermState(jnp.zeros((n, width)), name="count")
    rng = vmapviz.random.RandomState(7)

    def step(d):
        count.value = count.value + d + rng.uniform()
        return count.value.sum() * 2

    return vmap2(step, state_in_axes={0: vmapviz.ShortTermState}), count, rng


def _entry(report, label):
    return next(v for v in report.values.entries if v.label == label)


# ------------------------------------------------------------------ values per lane


def test_values_record_each_lane_from_argument_to_state_to_output():
    mapped, count, rng = _counter()
    key_before = jax.random.key_data(rng.value)
    d = jnp.arange(4.0)
    report = mapped.inspect(d, values=True)
    assert report.values.lanes == 4 and report.values.cap == 64
    arg, state, out = (_entry(report, x) for x in ("argument d", "count", "output 0"))
    for lane in range(4):
        assert arg.read(lane)[0].values == (float(lane),)
        assert state.read(lane)[0].values == (0.0, 0.0, 0.0)  # the lane's row, before
        np.testing.assert_allclose(state.wrote(lane)[0].values, count.value[lane])
        np.testing.assert_allclose(out.wrote(lane)[0].values, [report.result[lane]])
    # the RandomState: the key each lane drew from, and the key the State keeps
    keys = jax.random.key_data(jax.random.split(jax.random.wrap_key_data(key_before), 5))
    rs = _entry(report, report.keys.entries[0].label)
    assert [rs.read(i)[0].values for i in range(4)] == [tuple(k.tolist()) for k in keys[1:]]
    assert rs.wrote(0)[0].values == tuple(keys[0].tolist())
    assert rs.wrote(0)[0].values == tuple(jax.random.key_data(rng.value).tolist())


def test_values_are_capped_per_array_and_optional():
    x = jnp.arange(2 * 100.0).reshape(2, 100)
    report = vmap2(lambda v: v * 2).inspect(x, values=5)
    [sample] = _entry(report, "argument v").read(1)
    assert sample.values == (100.0, 101.0, 102.0, 103.0, 104.0) and sample.total == 100
    assert sample.truncated and sample_text((sample,)).endswith("(5 of 100)]")
    assert vmap2(lambda v: v * 2).inspect(x).values is None  # opt-in
    with pytest.raises(ValueError, match="positive int"):
        vmap2(lambda v: v).inspect(x, values=0)


def test_values_show_in_lane_table_and_axis_diagram():
    mapped, _, _ = _counter()
    report = mapped.inspect(jnp.arange(4.0), values=True)
    rows = {r[1]: r for r in lane_rows(report, 2)}
    assert rows["argument d"][2].endswith("= 2.")
    assert rows["count"][2].endswith("= [0. 0. 0.]")
    assert rows["output 0"][3].endswith(f"= {sample_text(_entry(report, 'output 0').wrote(2))}")
    svg = axis_svg(report, lane=2)
    assert "lane 2 reads 2." in svg and "lane 2 draws from key [" in svg
    assert axis_svg(report, lane=2) == svg  # deterministic
    plain = vmap2(lambda v: v * 2).inspect(jnp.arange(3.0))
    assert "lane 0 reads" not in axis_svg(plain)  # nothing recorded, nothing drawn


def test_values_of_a_written_only_state_and_a_broadcast_argument():
    last = vmapviz.ShortTermState(jnp.zeros(3), name="last")

    def f(x, scale):
        last.value = x * scale
        return x

    report = vmap2(f, in_axes=(0, None), state_out_axes={0: vmapviz.ShortTermState}).inspect(
        jnp.arange(3.0), jnp.asarray(10.0), values=True)
    scale = _entry(report, "argument scale")
    assert [scale.read(i)[0].values for i in range(3)] == [(10.0,)] * 3  # all of it
    assert len(scale.before) == 1  # held once, not once per lane
    written = _entry(report, "last")
    assert written.before == ((),) and not written.read(2)  # not read
    assert [written.wrote(i)[0].values for i in range(3)] == [(0.0,), (10.0,), (20.0,)]


# ------------------------------------------------------------------ dry run


def test_dry_run_changes_nothing_and_predicts_the_shape_after():
    acc = vmapviz.ShortTermState(jnp.zeros(()), name="acc")
    rng = vmapviz.random.RandomState(3)
    key = jax.random.key_data(rng.value)

    def f(x):
        acc.value = acc.value + x + rng.normal()
        return x * 2

    mapped = vmap2(f)
    with pytest.warns(UserWarning, match="acc"):  # the policy is applied, and says so
        report = mapped.inspect(jax.ShapeDtypeStruct((5,), jnp.float32), dry_run=True)
    assert report.dry_run and report.result is None
    assert acc.value.shape == () and np.array_equal(jax.random.key_data(rng.value), key)
    assert (mapped.trace_count, mapped.call_count, len(mapped._cache)) == (0, 0, 0)
    [w] = [w for w in report.write_back.entries if w.label == "acc"]
    assert (w.before, w.after, w.axis) == ("f32[]", "f32[5]", 0)
    assert "It would become f32[5]." in report.explain()
    assert "dry run: nothing ran and no State changed" in report.explain()
    row = next(r for r in vmapviz.render._ir.state_table(report).rows if r[0] == "acc")
    assert row[2:4] == ("f32[]", "f32[5]")
    # the real call then does what the dry run said
    with pytest.warns(UserWarning, match="acc"):
        real = mapped.inspect(jnp.arange(5.0))
    assert acc.value.shape == (5,) and not real.dry_run
    assert [w.after for w in real.write_back.entries if w.label == "acc"] == ["f32[5]"]


@pytest.mark.parametrize("name", examples.names())
def test_dry_run_agrees_with_the_real_call_on_every_example(name):
    mapping, args, kwargs = examples.get(name).build()
    structs = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype)
                           if hasattr(x, "shape") else x, args)
    with np.errstate(all="ignore"):
        dry = mapping.inspect(*structs, dry_run=True, **kwargs)
        real = mapping.inspect(*args, **kwargs)
    assert [(w.label, w.after) for w in dry.write_back.entries] == [
        (w.label, w.after) for w in real.write_back.entries]
    assert dry.axes == real.axes


def test_dry_run_after_a_real_call_is_a_hit_and_values_are_refused():
    mapped = vmap2(lambda v: v + 1)
    mapped(jnp.ones(3))
    report = mapped.inspect(jnp.ones(3), dry_run=True)
    assert report.cache.hit and "a real call would hit the cache" in report.explain()
    assert mapped.call_count == 1
    with pytest.raises(ValueError, match="dry_run=True runs nothing"):
        mapped.inspect(jnp.ones(3), dry_run=True, values=True)


# ------------------------------------------------------------------ errors leave a report


def test_a_raise_policy_error_carries_a_report_with_the_states_found():
    acc = vmapviz.ShortTermState(jnp.zeros(()), name="acc")

    def f(x):
        acc.value = acc.value + x
        return x

    with pytest.raises(vmapviz.BatchAxisError) as info:
        vmap2(f, unexpected_out_state_mapping="raise").inspect(jnp.arange(3.0))
    report = info.value.report
    assert report.failed and report.error.failed_stage == "trace"
    assert report.error.error_type == "BatchAxisError"
    assert [s.label for s in report.discovery.states] == ["acc"]
    assert report.cache is not None and not report.cache.hit
    text = report.explain()
    assert "failed during tracing" in text and "acc (ShortTermState f32[], read and written)" in text
    assert "no state_out_axes filter declares it" in text
    assert acc.value.shape == ()  # nothing was written


def test_a_bad_axis_error_carries_a_report_naming_the_argument():
    with pytest.raises(vmapviz.transform.MappingError) as info:
        vmap2(lambda v: v, in_axes=1).inspect(jnp.arange(3.0))
    report = info.value.report
    assert report.error.failed_stage == "trace" and report.axes is None
    assert "argument v" in report.error.message and "argument v" in report.explain()


def test_an_error_while_running_is_reported_at_execution():
    def f(x):
        return jax.pure_callback(_boom, jax.ShapeDtypeStruct((), jnp.float32), x)

    with pytest.raises(Exception) as info:
        vmap2(f).inspect(jnp.arange(3.0))
    assert info.value.report.error.failed_stage == "execution"
    assert info.value.report.discovery is not None  # the stages before it ran


def _boom(x):
    raise RuntimeError("boom")


def test_the_inspector_shows_a_failed_call_from_its_report():
    from vmapviz.widgets import Inspector

    acc = vmapviz.ShortTermState(jnp.zeros(()), name="acc<b>")

    def f(x):
        acc.value = acc.value + x
        return x

    with pytest.raises(vmapviz.BatchAxisError) as info:
        vmap2(f, unexpected_out_state_mapping="raise").inspect(jnp.arange(3.0))
    ok = vmap2(lambda x: x + 1).inspect(jnp.ones(3))
    ins = Inspector([ok, info.value.report])
    assert [e["label"] for e in ins.entries][1] == "call 1, failed: BatchAxisError"
    ins.selected = 1
    entry = ins.entry
    assert entry["failed"] and entry["lanes"] == [] and entry["graphs"] == {}
    [table] = entry["tables"]
    assert table["rows"] == [["acc<b>", "ShortTermState", "float32[]", "read, written"]]
    assert "failed during tracing" in entry["explain"]
    for tab in ("states", "axes", "graph", "explain"):
        ins.tab = tab  # nothing to draw, nothing breaks
    ins.graph_options = {"group_states": True}
    assert ins.graph_drawn == {}
    html = ins.static_html()
    assert "acc&lt;b&gt;" in html and "acc<b>" not in html  # escaped
    assert "no state_out_axes filter declares it" in html


def test_a_dry_run_entry_is_labelled_and_values_stay_out_of_the_widget_state():
    from vmapviz.widgets import Inspector

    mapped = vmap2(lambda v: v * 2)
    dry = mapped.inspect(jax.ShapeDtypeStruct((3,), jnp.float32), dry_run=True)
    real = mapped.inspect(jnp.arange(3.0), values=True)
    ins = Inspector([dry, real])
    assert ins.entries[0]["label"].endswith("(dry run)")
    stages = [r["stage"] for r in ins.entries[1]["report"]["records"]]
    assert "values" not in stages and "values" in [r["stage"] for r in
                                                   real.to_dict()["records"]]
    assert "= 2." in " ".join(c for row in ins.entries[1]["lanes"][1]["rows"] for c in row)
