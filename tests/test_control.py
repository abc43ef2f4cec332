"""Stateful control flow (scan, cond, switch, while_loop, fori_loop) and map."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vmapviz import LongTermState, ShortTermState, State
from vmapviz.transform import (
    cond,
    fori_loop,
    jit,
    map,
    scan,
    switch,
    vmap2,
    while_loop,
)


def test_scan_carries_a_written_state_and_reads_a_constant_one():
    total = State(jnp.zeros(()))
    scale = State(jnp.array(10.0))

    def body(c, x):
        total.value = total.value + x * scale.value
        return c + x, total.value

    carry, ys = scan(body, jnp.array(0.0), jnp.arange(4.0))
    assert float(carry) == 6.0
    np.testing.assert_array_equal(ys, [0.0, 10.0, 30.0, 60.0])
    assert float(total.value) == 60.0
    assert float(scale.value) == 10.0


def test_scan_reverse_and_length_without_xs():
    s = State(jnp.zeros(()))

    def body(c, _):
        s.value = s.value + 1.0
        return c * 2, s.value

    carry, ys = scan(body, jnp.array(1.0), None, length=3)
    assert float(carry) == 8.0
    np.testing.assert_array_equal(ys, [1.0, 2.0, 3.0])


def test_cond_writes_only_in_the_taken_branch():
    a = State(jnp.zeros(()), name="a")
    b = State(jnp.zeros(()), name="b")

    def yes(x):
        a.value = a.value + x
        return x * 2

    def no(x):
        b.value = b.value + x
        return x * 3

    assert float(cond(True, yes, no, jnp.array(2.0))) == 4.0
    assert (float(a.value), float(b.value)) == (2.0, 0.0)
    assert float(cond(False, yes, no, jnp.array(5.0))) == 15.0
    assert (float(a.value), float(b.value)) == (2.0, 5.0)


def test_switch_picks_a_branch_by_index():
    hits = State(jnp.zeros(3))

    def make(i):
        def branch(x):
            hits.value = hits.value.at[i].add(1.0)
            return x + i

        return branch

    outs = [float(switch(i, [make(0), make(1), make(2)], jnp.array(10.0))) for i in (2, 0, 2)]
    assert outs == [12.0, 10.0, 12.0]
    np.testing.assert_array_equal(hits.value, [1.0, 0.0, 2.0])


def test_while_loop_body_writes_and_cond_reads_states():
    steps = State(jnp.array(0))
    limit = State(jnp.array(50.0))

    def body(v):
        steps.value = steps.value + 1
        return v * 2

    out = while_loop(lambda v: v < limit.value, body, jnp.array(1.0))
    assert (float(out), int(steps.value)) == (64.0, 6)


def test_while_loop_cond_may_not_write():
    s = State(jnp.array(0.0), name="flag")

    def bad_cond(v):
        s.value = s.value + 1
        return v < 3

    with pytest.raises(ValueError, match="cond_fun writes State flag"):
        while_loop(bad_cond, lambda v: v + 1, jnp.array(0.0))
    assert float(s.value) == 0.0


def test_fori_loop_under_jit():
    acc = State(jnp.zeros(2))

    def body(i, v):
        acc.value = acc.value + i
        return v + 1.0

    out = jit(lambda: fori_loop(0, 4, body, jnp.array(0.0)))()
    assert float(out) == 4.0
    np.testing.assert_array_equal(acc.value, [6.0, 6.0])


def test_control_flow_inside_vmap2_batches_states_per_lane():
    a = ShortTermState(jnp.zeros(3), name="a")
    b = LongTermState(jnp.zeros(()), name="b")

    def f(x):
        def t(x):
            a.value = a.value + x
            return x * 2

        def g(x):
            b.value = b.value + 1.0
            return x * 3

        y = cond(x > 1.5, t, g, x)

        def body(i, v):
            a.value = a.value + 1.0
            return v + i

        return fori_loop(0, 3, body, y)

    m = vmap2(f, state_in_axes={0: ShortTermState}, unexpected_out_state_mapping="ignore")
    out = m(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [6.0, 7.0, 9.0])
    np.testing.assert_array_equal(a.value, [3.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.value, [1.0, 0.0, 0.0])


def test_a_loop_state_must_keep_its_shape():
    s = State(jnp.zeros(()), name="s")

    def body(c, x):
        s.value = jnp.stack([s.value, x])
        return c, x

    with pytest.raises(ValueError, match=r"scan writes State s \(State\) with a value of type "
                       r"f32\[2\], but it holds f32\[\] there"):
        scan(body, 0.0, jnp.arange(3.0))
    assert s.value.shape == ()


def test_error_in_body_restores_states():
    s = State(jnp.ones(()), name="s")

    def body(c, x):
        s.value = s.value + x
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        scan(body, 0.0, jnp.arange(3.0))
    assert float(s.value) == 1.0
    assert not isinstance(s.value, jax.core.Tracer)


# --------------------------------------------------------------------------- map


def test_map_is_a_sequential_loop_over_the_leading_axis():
    total = State(jnp.zeros(()))

    def add(x):
        total.value = total.value + x
        return total.value * 2

    np.testing.assert_array_equal(map(add, jnp.arange(5.0)), [0.0, 2.0, 6.0, 12.0, 20.0])
    assert float(total.value) == 10.0


def test_map_several_inputs_and_pytree_output():
    out = map(lambda x, y: {"s": x + y, "p": x * y}, jnp.arange(3.0), jnp.ones(3))
    np.testing.assert_array_equal(out["s"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out["p"], [0.0, 1.0, 2.0])


@pytest.mark.parametrize("batch_size", [1, 2, 5, 7])
def test_map_in_chunks_matches_vmap(batch_size):
    shift = State(jnp.array(10.0))
    out = map(lambda x: x**2 + shift.value, jnp.arange(5.0), batch_size=batch_size)
    np.testing.assert_array_equal(out, jnp.arange(5.0) ** 2 + 10.0)


def test_map_in_chunks_rejects_a_state_written_per_element():
    total = State(jnp.zeros(()), name="total")

    def add(x):
        total.value = total.value + x
        return x

    with pytest.raises(ValueError, match="batch_size=2 .*State total .* varies across"):
        map(add, jnp.arange(4.0), batch_size=2)
    assert total.value.shape == ()


@pytest.mark.parametrize(
    ("xs", "kwargs", "message"),
    [
        ((), {}, "map needs at least one array"),
        ((jnp.ones(3), jnp.ones(4)), {}, "same leading size"),
        ((jnp.ones(3),), {"batch_size": 0}, "batch_size must be a positive int"),
    ],
)
def test_map_bad_input(xs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        map(lambda *a: a, *xs, **kwargs)


def test_weak_initial_carries_are_promoted_like_jax_lax():
    body = lambda c, x: (c + 0.5, c)
    carry, ys = scan(body, 0, jnp.arange(3.0))
    ref_carry, ref_ys = jax.lax.scan(body, 0, jnp.arange(3.0))
    assert float(carry) == float(ref_carry) == 1.5
    np.testing.assert_array_equal(ys, ref_ys)
    assert float(fori_loop(0, 3, lambda i, v: v + 0.5, 0)) == 1.5


@pytest.mark.parametrize(("pred", "expected"), [(0.5, 1.0), (-1, 1.0), (0.0, -1.0), (True, 1.0)])
def test_cond_treats_any_nonzero_predicate_as_true(pred, expected):
    out = cond(pred, lambda x: x + 1, lambda x: x - 1, 0.0)
    assert float(out) == expected == float(jax.lax.cond(pred, lambda x: x + 1, lambda x: x - 1, 0.0))
