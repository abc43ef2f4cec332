"""What vmap did to the program: each batched equation batched alone and compared.

``report.batching`` (``vmapviz.inspection._batching``) says, per top-level equation of
the per-element jaxpr that reads a batched value, what ``jax.vmap``'s batching rule made
of it; ``explain()`` words it in a "What vmap did:" section, and the graph's node
details carry it.
"""

import time
import types

import jax
import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import examples, records
from vmapviz._jax_private import sub_jaxprs
from vmapviz.inspection import _batching, words
from vmapviz.records import BatchingKind
from vmapviz.render._graph import report_graph
from vmapviz.transform import vmap2


def _only(report, primitive):
    [found] = [c for c in report.batching if c.primitive == primitive]
    return found


def _section(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("What vmap did:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("- "):
        end += 1
    return lines[start:end]


def _primitives(jaxpr) -> set[str]:
    """Every primitive of a jaxpr, nested ones included."""
    found = set()
    for eqn in jaxpr.eqns:
        found.add(eqn.primitive.name)
        for _, sub in sub_jaxprs(eqn.params):
            found |= _primitives(sub)
    return found


def test_shared_bias_gets_a_broadcast_named_after_its_state():
    report = examples.inspect("1.6_linear")
    add = _only(report, "add")
    assert add.kind is BatchingKind.BROADCAST_INSERTED
    assert add.operands == ("bias",)
    assert add.inserted == ("broadcast_in_dim",)
    # what the analysis says was inserted is in the program jax.vmap really made
    assert "broadcast_in_dim" in _primitives(report.batched_jaxpr.jaxpr)
    assert "broadcast_in_dim" not in _primitives(report.elementwise_jaxpr.jaxpr)
    assert words.batching_text(add) == ("add: bias (shared by every lane) got a "
                                        "broadcast_in_dim to meet the batched operand")


def test_dot_general_gains_a_batch_dimension_only_when_both_operands_vary():
    w = vmapviz.ParamState(jnp.ones((3, 2)), name="W")
    shared = vmap2(lambda x: x @ w.value).inspect(jnp.ones((4, 3)))
    both = vmap2(lambda x, y: x @ y).inspect(jnp.ones((4, 3)), jnp.ones((4, 3)))
    one = _only(shared, "dot_general")
    two = _only(both, "dot_general")
    assert one.kind is BatchingKind.PARAMS_CHANGED
    assert one.operands == ("argument x",)
    assert one.param == "dimension_numbers"
    assert one.before == "(((0,), (0,)), ((), ()))"
    assert one.after == "(((1,), (0,)), ((), ()))"  # the batch axis rides along, no batch dim
    assert two.kind is BatchingKind.BATCH_DIM_ADDED
    assert two.operands == ("argument x", "argument y")
    assert two.after.endswith("((0,), (0,)))")
    assert "gained batch dimension 0 (both operands vary by lane)" in words.batching_text(two)
    assert "gained batch dimension" not in words.batching_text(one)


def test_scan_with_a_batched_carry_carries_the_batch_axis():
    def carried(x):
        return jax.lax.scan(lambda c, t: (c * t, c), x, jnp.arange(3.0))[0]

    def not_carried(x):  # the carry never meets x: only the stacked outputs vary
        return jax.lax.scan(lambda c, t: (c, c + t), 0.0, x)[1]

    scan = _only(vmap2(carried).inspect(jnp.ones(4)), "scan")
    assert scan.kind is BatchingKind.LOOP_CARRIES_BATCH
    assert scan.operands == ("argument x",)
    assert words.batching_text(scan) == ("scan: the loop now carries the batch axis in its "
                                         "carry (argument x)")
    other = _only(vmap2(not_carried).inspect(jnp.ones((4, 3))), "scan")
    assert other.kind is BatchingKind.BODY_BATCHED


def test_an_equation_without_a_batched_input_is_absent():
    bias = vmapviz.ParamState(jnp.ones(3), name="bias")
    report = vmap2(lambda x: x + bias.value * 2.0).inspect(jnp.ones((4, 3)))
    prims = [e.primitive.name for e in report.elementwise_jaxpr.jaxpr.eqns]
    assert prims == ["mul", "add"]  # mul reads only the shared bias
    assert [(c.path, c.primitive) for c in report.batching] == [("1", "add")]
    assert report.batching[0].operands == ("mul",)  # an intermediate: its primitive


def test_random_draws_use_per_lane_keys():
    rng = vmapviz.random.RandomState(0, name="rng")
    report = vmap2(lambda x: rng.normal(size=(3,)) * x).inspect(jnp.ones(4))
    per_lane = [c for c in report.batching if c.kind is BatchingKind.PER_LANE_RANDOM]
    assert {(c.primitive, c.call) for c in per_lane} == {("random_split", None),
                                                         ("jit", "_normal")}
    split = next(c for c in per_lane if c.primitive == "random_split")
    assert split.operands == ("rng",)
    assert "every lane draws its own random numbers" in words.batching_text(split)


def test_a_cond_on_a_per_lane_predicate_runs_every_branch():
    def f(p, x):
        return jax.lax.cond(p > 0, lambda v: v + 1.0, lambda v: v * 2.0, x)

    per_lane = _only(vmap2(f).inspect(jnp.arange(4.0), jnp.ones(4)), "cond")
    shared = _only(vmap2(f, in_axes=(None, 0)).inspect(1.0, jnp.ones(4)), "cond")
    assert per_lane.kind is BatchingKind.BRANCHES_SELECTED
    assert "select_n" in per_lane.inserted
    assert shared.kind is BatchingKind.BODY_BATCHED


def test_psum_over_the_mapped_axis_is_a_collective():
    report = vmap2(lambda x: jax.lax.psum(x, "i") + x, axis_name="i").inspect(jnp.ones(4))
    psum = _only(report, "psum")
    assert psum.kind is BatchingKind.COLLECTIVE
    assert (psum.param, psum.before, psum.after) == ("axes", "('i',)", "(0,)")
    assert psum.out_axes == (None,)


def test_pmap2_runs_no_batching_rule():
    if jax.device_count() < 4:
        pytest.skip("needs 4 devices")
    report = examples.inspect("3.4_pmap2")
    assert report.batching == ()
    assert "What vmap did:" not in report.explain()


def test_the_analysis_is_deterministic_and_made_once():
    a, b = examples.inspect("2.3_dropout"), examples.inspect("2.3_dropout")
    assert a.batching == b.batching
    assert records.to_json(a.batching) == records.to_json(b.batching)
    assert a.batching is a.batching  # cached on the report
    assert _section(a.explain()) == _section(b.explain())


def test_explain_has_the_section_after_outputs_and_before_random_keys():
    lines = examples.inspect("2.1_sample_normal").explain().splitlines()
    start = lines.index("What vmap did:")
    assert lines.index("Outputs:") < start
    assert lines[start - 1].startswith("- output 0")
    assert next(i for i, line in enumerate(lines) if line.startswith("Random keys:")) > start
    section = _section("\n".join(lines))
    assert any(line.startswith("- random_split: works on per-lane keys (random.DEFAULT)")
               for line in section)
    assert section[-1] == ("- 2 other equations (mul, add) run as they are, on values with "
                           "the batch axis.")


def test_mlp_300_section_is_short_and_the_analysis_cheap():
    mapping, args, kwargs = examples.get("mlp_300").build()
    start = time.perf_counter()
    jax.block_until_ready(mapping(*args, **kwargs))  # trace and compile: the yardstick
    first_call = time.perf_counter() - start
    report = mapping.inspect(*args, **kwargs)
    start = time.perf_counter()
    changes = report.batching
    analysis = time.perf_counter() - start
    assert len(changes) == 1200
    assert analysis / first_call < 1.0, (analysis, first_call)
    section = _section(report.explain())
    assert len(section) <= 10
    assert ("- add x300: layers.*.1 (shared by every lane) got a broadcast_in_dim to meet "
            "the batched operand.") in section
    assert section[-1].startswith("- 600 other equations (tanh x300, mul x300)")


def test_past_the_budget_equations_are_counted_not_analysed():
    report = vmap2(lambda x: jnp.sin(x) * jnp.cos(x) + x.sum()).inspect(jnp.ones((4, 3)))
    full = _batching.batching_changes(report)
    cut = _batching.batching_changes(report, max_analysed=1)
    assert BatchingKind.NOT_ANALYSED not in {c.kind for c in full}
    assert cut[0] == full[0]
    assert {c.kind for c in cut[1:]} == {BatchingKind.NOT_ANALYSED}
    lines = words.batching_lines(types.SimpleNamespace(batching=cut))
    assert lines[-1].startswith(f"- {len(cut) - 1} equations (")
    assert lines[-1].endswith("not analysed (past the analysis budget).")


def test_graph_node_details_say_what_batching_did():
    report = examples.inspect("1.6_linear")
    graph = report_graph(report, details=True)
    said = {n.id[0] + ":" + n.info.primitive: n.info.batching for n in graph.nodes
            if n.info is not None}
    assert said["e:add"] == words.batching_text(_only(report, "add"))
    assert said["e:dot_general"].startswith("dot_general: the batch axis of")
    assert said["b:add"] is None  # the batched view's equations are the result
    unchanged = examples.inspect("1.5_counter")
    assert all(n.info.batching is None
               for n in report_graph(unchanged, details=True).nodes if n.info is not None)


def test_a_debug_print_runs_once_per_lane():
    def f(x):
        jax.debug.print("x={x}", x=x)
        return x + 1.0

    report = vmap2(f).inspect(jnp.ones(4))
    # the primitive is debug_callback before JAX 0.7, debug_print after
    name = next(c.primitive for c in report.batching if c.primitive.startswith("debug_"))
    found = _only(report, name)
    assert found.kind is BatchingKind.REPLACED
    assert found.inserted.count(name) == 4
    assert words.batching_text(found).startswith(f"{name}: runs 4 times, once per lane")
