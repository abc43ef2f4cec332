"""RandomState and the default generator (vmapviz/random.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapviz
from vmapviz import random as vr
from vmapviz._state import StateTrace
from vmapviz.random import RandomState


@pytest.fixture(autouse=True)
def _keep_default_key():
    """Each test may reseed DEFAULT; put its key back afterwards."""
    saved = vr.DEFAULT._value
    yield
    vr.DEFAULT.restore_value(saved)


def _same_key(a, b):
    return bool((jax.random.key_data(a) == jax.random.key_data(b)).all())


def _split42():
    return jax.random.split(jax.random.key(42))


# name, draw from the default generator, the same draw made with jax.random directly
BIT_EXACT_CASES = [
    ("normal", lambda: vr.normal(0.0, 1.0), lambda k: jax.random.normal(k, ())),
    ("normal loc scale", lambda: vr.normal(1.5, 2.0),
     lambda k: jax.random.normal(k, ()) * 2.0 + 1.5),
    ("normal defaults", lambda: vr.normal(size=3), lambda k: jax.random.normal(k, (3,))),
    ("normal broadcast", lambda: vr.normal(jnp.zeros((2, 1)), jnp.ones(3)),
     lambda k: jax.random.normal(k, (2, 3))),
    ("uniform", lambda: vr.uniform(0.0, 1.0), lambda k: jax.random.uniform(k, ())),
    ("uniform range", lambda: vr.uniform(-2.0, 3.0, size=(2, 2)),
     lambda k: jax.random.uniform(k, (2, 2), minval=-2.0, maxval=3.0)),
    ("randint", lambda: vr.randint(0, 10, size=5),
     lambda k: jax.random.randint(k, (5,), 0, 10)),
    ("randint high only", lambda: vr.randint(7, size=4),
     lambda k: jax.random.randint(k, (4,), 0, 7)),
    ("bernoulli", lambda: vr.bernoulli(0.3, size=6),
     lambda k: jax.random.bernoulli(k, 0.3, (6,))),
    ("bernoulli per-element p", lambda: vr.bernoulli([0.2, 0.9]),
     lambda k: jax.random.bernoulli(k, jnp.array([0.2, 0.9]), (2,))),
    ("randn", lambda: vr.randn(2, 3), lambda k: jax.random.normal(k, (2, 3))),
    ("rand", lambda: vr.rand(4), lambda k: jax.random.uniform(k, (4,))),
    ("exponential", lambda: vr.exponential(2.0, size=3),
     lambda k: jax.random.exponential(k, (3,)) * 2.0),
    ("gamma", lambda: vr.gamma(2.0, 3.0), lambda k: jax.random.gamma(k, 2.0, ()) * 3.0),
    ("beta", lambda: vr.beta(2.0, 3.0, size=2), lambda k: jax.random.beta(k, 2.0, 3.0, (2,))),
    ("poisson", lambda: vr.poisson(4.0, size=3),
     lambda k: jax.random.poisson(k, 4.0, (3,), jnp.int32)),
    ("choice", lambda: vr.choice(10, size=3, replace=False),
     lambda k: jax.random.choice(k, 10, (3,), False)),
    ("permutation", lambda: vr.permutation(jnp.arange(6)),
     lambda k: jax.random.permutation(k, jnp.arange(6))),
    ("categorical", lambda: vr.categorical(jnp.zeros((3, 4))),
     lambda k: jax.random.categorical(k, jnp.zeros((3, 4)), -1, (3,))),
]


@pytest.mark.parametrize("draw, reference", [c[1:] for c in BIT_EXACT_CASES],
                         ids=[c[0] for c in BIT_EXACT_CASES])
def test_draw_is_bit_exact_and_advances_the_key(draw, reference):
    vr.seed(42)
    state_key, draw_key = _split42()
    result = draw()
    expected = reference(draw_key)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)
    assert _same_key(vr.get_key(), state_key)


def test_documented_value_after_seed_42():
    vr.seed(42)
    assert vr.normal(0.0, 1.0) == np.float32(0.60576403)


def test_lanes_with_split_keys_give_the_tutorial_samples():
    # What vmap2 does to a RandomState: split(key, n + 1), lane i draws with keys[i + 1].
    keys = jax.random.split(jax.random.key(42), 5)
    out = jax.vmap(lambda k, s: RandomState(k).normal(0.0, s))(keys[1:], jnp.arange(1.0, 5.0))
    np.testing.assert_allclose(out, [-1.0413289, -1.4796011, 2.222502, 6.412178], rtol=1e-6)

    def two_draws(k, mean):
        rng = RandomState(k)
        return rng.uniform(0.0, 1.0) + rng.normal(mean, 1.0)

    keys = jax.random.split(jax.random.key(123), 4)
    out = jax.vmap(two_draws)(keys[1:], jnp.arange(3.0))
    np.testing.assert_allclose(out, [1.063001, 2.0858884, 3.2780576], rtol=1e-6)


SHAPE_CASES = [
    ("scalar params", lambda r: r.normal(0.0, 1.0), (), "float32"),
    ("size int", lambda r: r.uniform(size=4), (4,), "float32"),
    ("size tuple", lambda r: r.normal(size=(2, 3)), (2, 3), "float32"),
    ("size list", lambda r: r.normal(size=[2]), (2,), "float32"),
    ("list param", lambda r: r.normal([0.0, 1.0, 2.0]), (3,), "float32"),
    ("broadcast params", lambda r: r.uniform(jnp.zeros((2, 1)), jnp.ones(4)), (2, 4),
     "float32"),
    ("dtype", lambda r: r.normal(size=2, dtype=jnp.float16), (2,), "float16"),
    ("randint default", lambda r: r.randint(3), (), "int32"),
    ("randint dtype", lambda r: r.randint(3, size=2, dtype=jnp.int8), (2,), "int8"),
    ("bernoulli", lambda r: r.bernoulli(), (), "bool"),
    ("poisson", lambda r: r.poisson(size=(2,)), (2,), "int32"),
    ("gamma broadcast", lambda r: r.gamma(jnp.ones(3), jnp.ones((2, 1))), (2, 3), "float32"),
    ("exponential none", lambda r: r.exponential(), (), "float32"),
    ("categorical axis 0", lambda r: r.categorical(jnp.zeros((5, 2)), axis=0), (2,), "int32"),
    ("categorical size", lambda r: r.categorical(jnp.zeros(5), size=(3, 2)), (3, 2), "int32"),
    ("choice default", lambda r: r.choice(jnp.arange(4)), (), "int32"),
    ("permutation int", lambda r: r.permutation(5), (5,), "int32"),
    ("truncated normal", lambda r: r.truncated_normal(-1.0, 1.0, size=(3,)), (3,), "float32"),
    ("randn no dims", lambda r: r.randn(), (), "float32"),
]


@pytest.mark.parametrize("draw, shape, dtype", [c[1:] for c in SHAPE_CASES],
                         ids=[c[0] for c in SHAPE_CASES])
def test_shapes_and_dtypes(draw, shape, dtype):
    out = draw(RandomState(0))
    assert (out.shape, str(out.dtype)) == (shape, dtype)


def test_split_key_without_n():
    rng = RandomState(42)
    state_key, draw_key = _split42()
    assert _same_key(rng.split_key(), draw_key)
    assert _same_key(rng.value, state_key)


def test_split_key_with_n():
    rng = RandomState(42)
    keys = jax.random.split(jax.random.key(42), 4)
    out = rng.split_key(3)
    assert out.shape == (3,)
    assert _same_key(out, keys[1:])
    assert _same_key(rng.value, keys[0])


def test_explicit_key_does_not_advance_the_state():
    rng = RandomState(1)
    before = rng.value
    k = jax.random.key(9)
    np.testing.assert_array_equal(rng.normal(size=2, key=k), jax.random.normal(k, (2,)))
    np.testing.assert_array_equal(rng.normal(size=2, key=9), jax.random.normal(k, (2,)))
    assert _same_key(rng.value, before)


CONSTRUCTION_CASES = [
    ("int", 7, jax.random.key(7)),
    ("numpy int", np.int64(7), jax.random.key(7)),
    ("typed key", jax.random.key(3), jax.random.key(3)),
    ("legacy PRNGKey", jax.random.PRNGKey(5), jax.random.key(5)),
    ("legacy numpy data", np.array([0, 5], np.uint32), jax.random.key(5)),
    ("int array", jnp.int32(11), jax.random.key(11)),
]


@pytest.mark.parametrize("seed_or_key, expected", [c[1:] for c in CONSTRUCTION_CASES],
                         ids=[c[0] for c in CONSTRUCTION_CASES])
def test_construction_and_seed(seed_or_key, expected):
    assert _same_key(RandomState(seed_or_key).value, expected)
    rng = RandomState(0)
    rng.seed(seed_or_key)
    assert _same_key(rng.value, expected)


def test_none_seeds_from_numpy():
    np.random.seed(0)
    a = RandomState()
    np.random.seed(0)
    b = RandomState(None)
    assert jax.dtypes.issubdtype(a.value.dtype, jax.dtypes.prng_key)
    assert _same_key(a.value, b.value)
    a.seed()  # a fresh seed: differs from b's (numpy moved on)
    assert not _same_key(a.value, b.value)


def test_repr_and_name():
    assert repr(RandomState(0)) == "RandomState(key<fry>[])"
    assert repr(vr.DEFAULT) == "RandomState(key<fry>[], name='random.DEFAULT')"
    assert vr.DEFAULT.label() == "random.DEFAULT"
    assert isinstance(vr.DEFAULT, vmapviz.State)


def test_module_functions_use_default():
    vr.seed(3)
    a = vr.uniform(size=2)
    b = RandomState(3).uniform(size=2)
    np.testing.assert_array_equal(a, b)
    vr.set_key(jax.random.key(4))
    assert _same_key(vr.get_key(), jax.random.key(4))
    vr.set_key(4)
    assert _same_key(vr.DEFAULT.value, jax.random.key(4))
    assert _same_key(vr.split_key(2), jax.random.split(jax.random.key(4), 3)[1:])


def test_draws_go_through_value_so_traces_see_them():
    rng = RandomState(0, name="rng")
    with StateTrace() as trace:
        rng.normal()
        rng.uniform(key=jax.random.key(1))  # explicit key: no access
    assert trace.read_states == [rng]
    assert trace.written_states == [rng]


def test_staged_key_is_used():
    rng = RandomState(0)
    with StateTrace(new_arg=lambda s: jax.random.key(42)):
        x = rng.normal()
    np.testing.assert_array_equal(x, jax.random.normal(_split42()[1], ()))
    assert _same_key(rng.value, jax.random.key(0))  # the frame restored it


def test_works_under_jit_with_traced_seed():
    out = jax.jit(lambda s: RandomState(s).normal(size=2))(42)
    np.testing.assert_array_equal(out, jax.random.normal(_split42()[1], (2,)))


def test_truncated_normal_stays_in_bounds():
    x = RandomState(0).truncated_normal(0.5, 2.0, size=1000, loc=1.0, scale=3.0)
    assert float(x.min()) >= 0.5 and float(x.max()) <= 2.0
    assert 1.1 < float(x.mean()) < 1.4  # a wide normal cut to [0.5, 2]: mean near 1.25
    tail = RandomState(0).truncated_normal(5.0, jnp.inf, size=100)
    assert bool(jnp.isfinite(tail).all()) and float(tail.min()) >= 5.0


def test_choice_with_probabilities_and_permutation_keep_the_elements():
    rng = RandomState(0)
    assert set(np.asarray(rng.choice(3, size=20, p=[0.0, 1.0, 0.0])).tolist()) == {1}
    perm = rng.permutation(jnp.arange(12).reshape(3, 4), axis=1, independent=True)
    np.testing.assert_array_equal(jnp.sort(perm, axis=1), jnp.arange(12).reshape(3, 4))


ERROR_CASES = [
    ("split_key zero", lambda r: r.split_key(0), ValueError,
     "split_key: n must be a positive int, got 0"),
    ("split_key float", lambda r: r.split_key(1.5), TypeError,
     "split_key: n must be an int, got 1.5"),
    ("bernoulli str", lambda r: r.bernoulli("a"), TypeError,
     "bernoulli: p must be a number or an array, got 'a'"),
    ("bernoulli None", lambda r: r.bernoulli(None), TypeError,
     "bernoulli: p must be a number or an array, got None"),
    ("bernoulli > 1", lambda r: r.bernoulli(1.5), ValueError,
     r"bernoulli: p must be a probability in \[0, 1\], got 1.5"),
    ("size str", lambda r: r.normal(size="3"), TypeError,
     "size must be None, an int or a tuple of ints, got '3'"),
    ("size float in tuple", lambda r: r.normal(size=(2, 1.0)), TypeError,
     "size must be an int, got 1.0"),
    ("randn float", lambda r: r.randn(2.5), TypeError, "randn: dimension must be an int"),
    ("key str", lambda r: r.normal(key="k"), TypeError,
     r"key must be an int seed, a typed key \(jax.random.key\)"),
    ("truncated bounds", lambda r: r.truncated_normal(1.0, -1.0), ValueError,
     "truncated_normal: lower must be below upper"),
]


@pytest.mark.parametrize("call, error, message", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_name_the_argument_and_keep_the_key(call, error, message):
    rng = RandomState(0)
    with pytest.raises(error, match=message):
        call(rng)
    assert _same_key(rng.value, jax.random.key(0))


BAD_SEEDS = [("str", "abc"), ("bool", True), ("float", 1.5), ("float array", jnp.ones(2))]


@pytest.mark.parametrize("bad", [c[1] for c in BAD_SEEDS], ids=[c[0] for c in BAD_SEEDS])
def test_bad_seed(bad):
    with pytest.raises(TypeError, match="seed_or_key must be an int seed, a typed key"):
        RandomState(bad)
