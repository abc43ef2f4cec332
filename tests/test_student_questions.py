"""The questions students ask about a mapped call, each answered by one call, in data.

The eight standard questions and the two new ones (values per lane, what changed
between two calls); the README's "Questions and the call that answers them" table
names the same calls. Each test asks on an example from the catalogue.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import examples
from vmapviz.records import BatchingKind, KeySource, Kind, Rule
from vmapviz.transform import vmap2


def _build(name):
    return examples.get(name).build()


def test_q1_which_states_are_batched_and_why():
    report = examples.inspect("1.5_counter")
    [count] = report.axes.of(Kind.STATE)
    assert (count.axis_in, count.rule_in, count.axis_out) == (0, Rule.FILTER, 0)
    assert "batched on axis 0 because state_in_axes {0: OfType(ShortTermState)}" in (
        report.explain())


def test_q2_where_does_the_batch_axis_go():
    report = examples.inspect("1.2_out_axes")
    [out] = report.axes.of(Kind.OUTPUT)
    assert out.axis_out == 1 and out.rule_out is Rule.OUT_AXES
    assert out.shape[1] == report.axes.axis_size


def test_q3_which_key_does_lane_k_draw_from():
    mapping, args, kwargs = _build("2.1_sample_normal")
    report = mapping.inspect(*args, **kwargs)
    [split] = report.keys.entries
    n = report.keys.axis_size
    keys = jax.random.split(jax.random.wrap_key_data(jnp.array(split.key_before, jnp.uint32)),
                            n + 1)
    assert split.lane_keys[2] == tuple(jax.random.key_data(keys[3]).tolist())
    assert split.key_after == tuple(jax.random.key_data(keys[0]).tolist())


def test_q4_what_does_the_cached_jaxpr_look_like():
    mapping, args, kwargs = _build("3.5_simple_jaxpr")
    report = mapping.inspect(*args, **kwargs)
    cached = mapping.get_jaxpr_by_cache(mapping.get_arg_cache_key(*args, **kwargs))
    assert str(cached) == str(report.batched_jaxpr)
    assert len(report.flags["elementwise"].invars) == len(report.elementwise_jaxpr.jaxpr.invars)


def test_q5_what_did_vmap_do_to_my_program():
    report = examples.inspect("1.6_linear")
    kinds = {c.kind for c in report.batching}
    assert kinds & {BatchingKind.BROADCAST_INSERTED, BatchingKind.UNCHANGED,
                    BatchingKind.PARAMS_CHANGED, BatchingKind.BATCH_DIM_ADDED}
    assert "What vmap did:" in report.explain()
    # two batched operands of a contraction: a batch dimension is added
    both = vmap2(lambda a, b: a @ b).inspect(jnp.ones((4, 3, 2)), jnp.ones((4, 2, 5)))
    assert [c.kind for c in both.batching if c.primitive == "dot_general"] == [
        BatchingKind.BATCH_DIM_ADDED]


def test_q6_why_did_it_recompile():
    mapping, args, kwargs = _build("1.2_out_axes")
    first = mapping.inspect(*args, **kwargs)
    bigger = [jnp.concatenate([a, a]) if hasattr(a, "shape") and a.ndim else a for a in args]
    second = mapping.inspect(*bigger, **kwargs)
    assert not second.cache.hit
    [diff] = second.cache.changes
    assert diff.change == "argument" and diff.now != diff.before
    comparison = vmapviz.compare(first, second)
    assert not comparison.hit and comparison.of(Kind.ARGUMENT)
    assert "miss" in comparison.text()


@pytest.mark.parametrize("case", ["captured", "plain_state", "repeated", "fold_in"])
def test_q7_why_are_my_draws_identical_across_lanes(case):
    key = jax.random.key(0)
    holder = vmapviz.ShortTermState(key, name="key_holder")
    if case == "captured":
        report = vmap2(lambda x: x + jax.random.normal(key)).inspect(jnp.ones(3))
        expected = [KeySource.CAPTURED]
    elif case == "plain_state":
        report = vmap2(lambda x: x + jax.random.normal(holder.value)).inspect(jnp.ones(3))
        expected = [KeySource.STATE]
    elif case == "repeated":
        report = vmap2(lambda k, x: x + jax.random.normal(k)).inspect(
            jnp.repeat(key[None], 3, 0), jnp.ones(3))
        expected = [KeySource.SAME_IN_LANES]
    else:
        report = vmap2(lambda k, x: x + jax.random.normal(
            jax.random.fold_in(k, jax.lax.axis_index("i"))), in_axes=(None, 0),
            axis_name="i").inspect(key, jnp.ones(3))
        expected = []
    assert [p.source for p in report.pitfalls] == expected
    watch = report.explain().split("Watch out:")[-1] if "Watch out:" in report.explain() else ""
    assert ("same numbers" in watch) == bool(expected), watch


def test_q8_what_shape_will_my_state_have_afterwards():
    mapping, args, kwargs = _build("1.7_ignore")
    structs = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args]
    dry = mapping.inspect(*structs, dry_run=True, **kwargs)
    changed = [w for w in dry.write_back.entries if w.before != w.after]
    assert changed and all(f"would become {w.after}" in dry.explain() for w in changed)
    real = mapping.inspect(*args, **kwargs)
    assert [(w.label, w.after) for w in real.write_back.entries] == [
        (w.label, w.after) for w in dry.write_back.entries]


def test_q9_what_values_did_lane_2_see_and_produce():
    mapping, args, kwargs = _build("1.5_counter")
    report = mapping.inspect(*args, values=True, **kwargs)
    by_label = {v.label: v for v in report.values.entries}
    [arg] = [v for v in report.values.entries if v.kind is Kind.ARGUMENT]
    assert arg.read(2)[0].values == (float(args[0][2]),)
    assert by_label["output 0"].wrote(2)[0].values == (float(report.result[2]),)


def test_q10_what_changed_between_these_two_calls():
    mapping, args, kwargs = _build("1.5_counter")
    a = mapping.inspect(*args, **kwargs)
    b = mapping.inspect(*args, **kwargs)
    c = vmapviz.compare(a, b)
    assert c.hit and not c.entries
    assert (a.cache.call, b.cache.call) == (1, 2)
    assert [e["label"] for e in c.widget().entries][1].startswith("call 2, hit")
