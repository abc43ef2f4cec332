"""pmap2 and StatefulMapping(mapping_fn=jax.pmap): one lane per device.

tests/conftest.py sets XLA_FLAGS=--xla_force_host_platform_device_count=4 before JAX is
imported, so four CPU devices exist.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _jax_pin import ON_PIN

import vmapviz
from vmapviz import LongTermState, ParamState, ShortTermState
from vmapviz.transform import StatefulMapping, pmap2, vmap2

pytestmark = pytest.mark.skipif(
    jax.device_count() < 4,
    reason=f"needs 4 devices (XLA_FLAGS=--xla_force_host_platform_device_count=4 before "
    f"importing jax); found {jax.device_count()}",
)


def _no_tracer(*states):
    for s in states:
        assert not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(s.value))


def _counter():
    c = ShortTermState(jnp.zeros(4), name="c")
    count = [0]

    def step(x):
        count[0] += 1
        c.value = c.value + x
        return c.value * 2.0

    return c, count, step


MAPPERS = [
    ("pmap2", lambda f: pmap2(f, state_in_axes=ShortTermState)),
    ("pmap2_decorator", lambda f: pmap2(state_in_axes={0: ShortTermState})(f)),
    ("StatefulMapping_pmap", lambda f: StatefulMapping(
        f, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState},
        mapping_fn=jax.pmap)),
    ("StatefulMapping_partial_pmap", lambda f: StatefulMapping(
        f, state_in_axes={0: ShortTermState}, mapping_fn=functools.partial(jax.pmap))),
]


@pytest.mark.parametrize("make", [c[1] for c in MAPPERS], ids=[c[0] for c in MAPPERS])
def test_stateful_function_per_device(make):
    c, _, step = _counter()
    f = make(step)
    x = jnp.arange(4.0)
    np.testing.assert_array_equal(f(x), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(c.value, [0.0, 1.0, 2.0, 3.0])
    assert c.value.shape == (4,)
    np.testing.assert_array_equal(f(x), [0.0, 4.0, 8.0, 12.0])
    np.testing.assert_array_equal(c.value, [0.0, 2.0, 4.0, 6.0])
    _no_tracer(c)


def test_pmap2_runs_one_lane_per_device():
    out = pmap2(lambda x: x + 1.0)(jnp.arange(4.0))
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0, 4.0])
    assert len(out.sharding.device_set) == 4


def test_pmap2_broadcast_param_and_unbatched_write():
    p = ParamState(jnp.array(3.0))
    steps = LongTermState(jnp.array(0.0))

    def f(x):
        steps.value = steps.value + 1.0
        return x * p.value

    out = pmap2(f, unexpected_out_state_mapping="raise")(jnp.arange(4.0))
    np.testing.assert_array_equal(out, [0.0, 3.0, 6.0, 9.0])
    assert float(p.value) == 3.0
    assert steps.value.shape == ()
    assert float(steps.value) == 1.0


def test_pmap2_state_out_axes_only():
    s = LongTermState(jnp.array(1.0))

    def f(x):
        s.value = s.value + x
        return x

    pmap2(f, state_out_axes={0: LongTermState})(jnp.arange(4.0))
    np.testing.assert_array_equal(s.value, [1.0, 2.0, 3.0, 4.0])


PSUM_CASES = [
    # id, function of x and the axis name, input, expected
    ("psum", lambda x, n: jax.lax.psum(x, n), [0.0, 1.0, 2.0, 3.0], [6.0] * 4),
    ("normalize", lambda x, n: x / jax.lax.psum(x, n), [1.0, 2.0, 3.0, 4.0],
     [0.1, 0.2, 0.3, 0.4]),
    ("pmean", lambda x, n: x - jax.lax.pmean(x, n), [1.0, 2.0, 3.0, 6.0],
     [-2.0, -1.0, 0.0, 3.0]),
    ("axis_index", lambda x, n: x + jax.lax.axis_index(n), [0.0] * 4, [0.0, 1.0, 2.0, 3.0]),
]


@pytest.mark.parametrize(
    "fn, x, expected", [c[1:] for c in PSUM_CASES], ids=[c[0] for c in PSUM_CASES]
)
def test_collectives_across_devices(fn, x, expected):
    out = pmap2(lambda v: fn(v, "dev"), axis_name="dev")(jnp.array(x))
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_psum_of_batched_state():
    c = ShortTermState(jnp.array([1.0, 2.0, 3.0, 4.0]))

    def f(x):
        c.value = c.value * x
        return jax.lax.psum(c.value, "d")

    out = pmap2(f, "d", state_in_axes=ShortTermState)(jnp.full(4, 2.0))
    np.testing.assert_array_equal(out, [20.0] * 4)
    np.testing.assert_array_equal(c.value, [2.0, 4.0, 6.0, 8.0])


def test_random_keys_split_per_device_lane():
    vmapviz.random.seed(42)
    scales = jnp.array([1.0, 2.0, 3.0, 4.0])
    out = pmap2(lambda scale: vmapviz.random.normal(0.0, scale))(scales)
    np.testing.assert_allclose(out, [-1.0413289, -1.4796011, 2.222502, 6.412178], rtol=1e-6)
    keys = jax.random.split(jax.random.key(42), 5)
    expected = [jax.random.normal(jax.random.split(keys[i + 1])[1], ()) * s
                for i, s in enumerate([1.0, 2.0, 3.0, 4.0])]
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected, dtype=np.float32))
    np.testing.assert_array_equal(jax.random.key_data(vmapviz.random.DEFAULT.value),
                                  jax.random.key_data(keys[0]))


def test_pmap2_and_vmap2_agree_on_random_lanes():
    vmapviz.random.seed(9)
    by_device = pmap2(lambda x: vmapviz.random.uniform() + x)(jnp.zeros(4))
    vmapviz.random.seed(9)
    by_vmap = vmap2(lambda x: vmapviz.random.uniform() + x)(jnp.zeros(4))
    np.testing.assert_array_equal(np.asarray(by_device), np.asarray(by_vmap))
    assert len(set(np.asarray(by_device).tolist())) == 4


def _pmap_error_for_too_many_lanes(n: int) -> tuple[type, str | None]:
    """What plain ``jax.pmap`` raises for ``n`` lanes of an argument and a State on fewer
    devices: the type, and a pattern for the message. JAX's error differs by release
    (0.7: "requires n logical devices"; 0.8: a bare AssertionError from the message
    builder of its shard_map lowering; from 0.9 a ValueError naming the dimension size)."""
    with pytest.raises(Exception) as raw:
        jax.pmap(lambda x, s: x)(jnp.zeros(n), jnp.zeros(n))
    known = f"dimension size is {n}"
    if ON_PIN:
        assert issubclass(raw.type, ValueError) and known in str(raw.value)
    return raw.type, known if known in str(raw.value) else None


def test_pmap2_more_lanes_than_devices_leaves_states_untouched():
    n = jax.device_count() + 1
    c = ShortTermState(jnp.zeros(n))
    before = c.value

    def f(x):
        c.value = c.value + x
        return x

    error, message = _pmap_error_for_too_many_lanes(n)
    with pytest.raises(error, match=message) as raised:
        pmap2(f, state_in_axes=ShortTermState)(jnp.zeros(n))
    assert raised.type is error
    assert c.value is before
    _no_tracer(c)


def test_pmap2_traces_once_per_signature():
    _, count, step = _counter()
    f = pmap2(step, state_in_axes=ShortTermState)
    f(jnp.arange(4.0))
    f(jnp.arange(4.0))
    assert count[0] == 1


# ====================================================================== jax.shard_map


def test_shard_map_runs_one_lane_per_device_like_vmap():
    from vmapviz.transform import StatefulMapping

    def build(mapping_fn):
        count = ShortTermState(jnp.zeros((4, 2)))

        def f(x):
            count.value = count.value + x
            noise = vmapviz.random.normal(0.0, 1.0)
            return x.sum() - jax.lax.pmean(x.sum(), "i"), noise, x * 0 + 1.0

        kwargs = {} if mapping_fn is None else {"mapping_fn": mapping_fn}
        m = StatefulMapping(f, state_in_axes={0: ShortTermState}, axis_name="i",
                            out_axes=(0, 0, 1), **kwargs)
        return m, count

    sharded, sharded_count = build(jax.shard_map)
    reference, reference_count = build(None)
    xs = jnp.arange(8.0).reshape(4, 2)
    vmapviz.random.seed(7)
    got = sharded(xs)
    vmapviz.random.seed(7)
    want = reference(xs)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[2].shape == (2, 4)
    np.testing.assert_array_equal(sharded_count.value, reference_count.value)
    assert sharded.explain(xs).startswith("shard_map of f over 4 lanes")


def test_shard_map_needs_one_device_per_lane():
    from vmapviz.transform import StatefulMapping

    m = StatefulMapping(lambda x: x * 2, axis_name="i", mapping_fn=jax.shard_map)
    with pytest.raises(ValueError, match="runs one lane per device: 5 lanes need 5 devices"):
        m(jnp.arange(5.0))
