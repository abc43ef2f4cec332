"""vmap2 composed with itself, jit, grad and JAX control flow."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapviz
from vmapviz import LongTermState, ParamState, ShortTermState, State
from vmapviz.transform import grad, jit, vmap2


def _no_tracer(*states):
    for s in states:
        assert not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(s.value))


# ====================================================================== nested vmap2

def test_nested_vmap2_tutorial_4_1():
    def product(x, y):
        return x * y

    rows = vmap2(product, in_axes=(0, 0))
    matrix = vmap2(rows, in_axes=(0, 0))
    out = matrix(jnp.ones((3, 4)), jnp.arange(12).reshape(3, 4))
    assert out.shape == (3, 4)
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, np.arange(12.0).reshape(3, 4))


NESTED_AXES = [
    # id, inner in_axes, outer in_axes, x shape, y shape
    ("rows_then_cols", (0, 0), (0, 0), (2, 3), (2, 3)),
    ("cols_outer", (0, 0), (1, 1), (2, 3), (2, 3)),
    ("broadcast_inner", (0, None), (0, 0), (2, 3), (2,)),
    ("broadcast_outer", (0, 0), (None, 0), (3,), (2, 3)),
]


@pytest.mark.parametrize(
    "inner_axes, outer_axes, xs, ys", [c[1:] for c in NESTED_AXES],
    ids=[c[0] for c in NESTED_AXES],
)
def test_nested_vmap2_matches_nested_jax_vmap(inner_axes, outer_axes, xs, ys):
    def f(x, y):
        return x * 10.0 + y

    x = jnp.arange(float(np.prod(xs))).reshape(xs)
    y = jnp.arange(float(np.prod(ys))).reshape(ys) / 4.0
    expected = jax.vmap(jax.vmap(f, in_axes=inner_axes), in_axes=outer_axes)(x, y)
    actual = vmap2(vmap2(f, in_axes=inner_axes), in_axes=outer_axes)(x, y)
    np.testing.assert_array_equal(actual, expected)


def test_nested_vmap2_reads_broadcast_state():
    p = ParamState(jnp.array(10.0))
    out = vmap2(vmap2(lambda x: x * p.value))(jnp.ones((2, 3)))
    np.testing.assert_array_equal(out, np.full((2, 3), 10.0))
    assert float(p.value) == 10.0


def test_nested_vmap2_state_batched_twice_when_outer_reads_it_first():
    acc = ShortTermState(jnp.zeros((2, 3)))

    def cell(x):
        acc.value = acc.value + x
        return acc.value * 2

    inner = vmap2(cell, state_in_axes={0: ShortTermState})

    def row(xrow):
        _ = acc.value  # the outer map discovers the State before the inner one
        return inner(xrow)

    outer = vmap2(row, state_in_axes={0: ShortTermState})
    x = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(outer(x), 2.0 * x)
    np.testing.assert_array_equal(acc.value, x)
    np.testing.assert_array_equal(outer(x), 4.0 * x)
    np.testing.assert_array_equal(acc.value, 2.0 * x)
    _no_tracer(acc)


def test_nested_vmap2_state_batched_twice():
    acc = ShortTermState(jnp.zeros((2, 3)))

    def cell(x):
        acc.value = acc.value + x
        return acc.value * 2

    inner = vmap2(cell, state_in_axes={0: ShortTermState})
    outer = vmap2(inner, state_in_axes={0: ShortTermState})
    x = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(outer(x), 2.0 * x)
    np.testing.assert_array_equal(acc.value, x)


def test_random_in_nested_vmap2_distinct_lanes_bit_exact():
    vmapviz.random.seed(0)
    out = vmap2(vmap2(lambda x: vmapviz.random.normal() + x))(jnp.zeros((2, 3)))
    assert len(set(np.asarray(out).ravel().tolist())) == 6
    keys = jax.random.split(jax.random.key(0), 3)
    expected = []
    for i in range(2):
        inner_keys = jax.random.split(keys[i + 1], 4)
        expected.append([jax.random.normal(jax.random.split(inner_keys[j + 1])[1], ())
                         for j in range(3)])
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected, dtype=np.float32))
    np.testing.assert_array_equal(jax.random.key_data(vmapviz.random.DEFAULT.value),
                                  jax.random.key_data(keys[0]))


# ====================================================================== jit and vmap2

def _counter():
    c = ShortTermState(jnp.zeros(3))
    count = [0]

    def step(x):
        count[0] += 1
        c.value = c.value + x
        return c.value * 10.0

    return c, count, step


def test_jit_of_vmap2_with_state():
    c, count, step = _counter()
    f = jit(vmap2(step, state_in_axes=ShortTermState))
    x = jnp.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(c.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [20.0, 40.0, 60.0])
    np.testing.assert_array_equal(c.value, [2.0, 4.0, 6.0])
    assert count[0] == 1
    _no_tracer(c)


def test_vmap2_of_jit_with_state():
    c, count, step = _counter()
    f = vmap2(jit(step), state_in_axes=ShortTermState)
    x = jnp.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(c.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [20.0, 40.0, 60.0])
    np.testing.assert_array_equal(c.value, [2.0, 4.0, 6.0])
    assert count[0] == 1
    _no_tracer(c)


def test_jit_of_vmap2_state_out_axes_only():
    s = State(jnp.array(1.0))

    def op(x):
        s.value = x + s.value
        return s.value * 2

    f = jit(vmap2(op, state_out_axes={0: State}))
    np.testing.assert_array_equal(f(jnp.array([1.0, 2.0])), [4.0, 6.0])
    np.testing.assert_array_equal(s.value, [2.0, 3.0])


def test_jit_of_vmap2_random():
    vmapviz.random.seed(42)
    f = jit(vmap2(lambda scale: vmapviz.random.normal(0.0, scale)))
    out = f(jnp.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(out, [-1.0413289, -1.4796011, 2.222502, 6.412178], rtol=1e-6)
    second = f(jnp.array([1.0, 2.0, 3.0, 4.0]))
    assert not np.any(np.asarray(second) == np.asarray(out))


# ====================================================================== grad and vmap2

def _loss_fn(x, target):
    pred = x ** 2
    return jnp.sum((pred - target) ** 2)


def test_grad_inside_vmap2_tutorial_4_2():
    f = vmap2(grad(_loss_fn, argnums=0), in_axes=(0, 0))
    out = f(jnp.array([1.0, 2.0, 3.0]), jnp.array([2.0, 4.0, 6.0]))
    np.testing.assert_array_equal(out, [-4.0, 0.0, 36.0])


def test_jit_of_vmap2_of_grad_tutorial_4_2():
    f = jit(vmap2(grad(_loss_fn, argnums=0), in_axes=(0, 0)))
    out = f(jnp.array([1.0, 2.0, 3.0]), jnp.array([2.0, 4.0, 6.0]))
    np.testing.assert_array_equal(out, [-4.0, 0.0, 36.0])
    out = f(jnp.array([0.0, 1.0, -1.0]), jnp.array([1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, -4.0])


# (w * x) ** 2 at w = 2: d/dw = 2 w x^2 = 4 x^2, d/dx = 2 w^2 x = 8 x.
GRAD_STATE_CASES = [
    ("state", {}, [4.0, 16.0, 36.0]),
    ("state_and_arg", {"argnums": 0}, ([4.0, 16.0, 36.0], [8.0, 16.0, 24.0])),
    ("state_dict", {"as_dict": True}, {"w": [4.0, 16.0, 36.0]}),
]


@pytest.mark.parametrize(
    "kwargs, expected", [c[1:] for c in GRAD_STATE_CASES], ids=[c[0] for c in GRAD_STATE_CASES]
)
def test_vmap2_of_grad_with_grad_states(kwargs, expected):
    w = ParamState(jnp.array(2.0))
    kwargs = dict(kwargs)
    states = {"w": w} if kwargs.pop("as_dict", False) else w

    def loss(x):
        return (w.value * x) ** 2

    out = vmap2(grad(loss, grad_states=states, **kwargs))(jnp.array([1.0, 2.0, 3.0]))
    assert jax.tree.structure(out) == jax.tree.structure(
        jax.tree.map(np.asarray, expected, is_leaf=lambda v: isinstance(v, list)))
    for got, want in zip(jax.tree.leaves(out),
                         jax.tree.leaves(expected, is_leaf=lambda v: isinstance(v, list))):
        np.testing.assert_array_equal(got, want)
    assert float(w.value) == 2.0


def test_vmap2_of_grad_with_batched_grad_state():
    wb = ParamState(jnp.array([1.0, 2.0, 3.0]))

    def loss(x):
        return (wb.value * x) ** 2

    out = vmap2(grad(loss, grad_states=wb), state_in_axes=ParamState)(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [2.0, 16.0, 54.0])  # 2 w x^2 per lane
    np.testing.assert_array_equal(wb.value, [1.0, 2.0, 3.0])


def test_vmap2_of_grad_writes_state_back():
    seen = ShortTermState(jnp.zeros(3))

    def loss(x):
        seen.value = seen.value + x
        return x ** 3

    out = vmap2(grad(loss), state_in_axes=ShortTermState)(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [3.0, 12.0, 27.0])
    np.testing.assert_array_equal(seen.value, [1.0, 2.0, 3.0])
    _no_tracer(seen)


def test_grad_of_vmap2():
    def loss(x):
        return jnp.sum(vmap2(lambda v: v ** 2)(x))

    np.testing.assert_array_equal(grad(loss)(jnp.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])


# ====================================================================== control flow

K = 2.0


def _scan_read(k):
    def f(x):
        def body(carry, _):
            return carry * k.value, carry

        out, _ = jax.lax.scan(body, x, None, length=3)
        return out
    return f


def _cond_read(k):
    def f(x):
        return jax.lax.cond(x > 1.5, lambda v: v * k.value, lambda v: v - k.value, x)
    return f


def _while_read(k):
    def f(x):
        return jax.lax.while_loop(lambda v: v < 10.0, lambda v: v * k.value, x)
    return f


def _fori_read(k):
    def f(x):
        return jax.lax.fori_loop(0, 3, lambda i, v: v + k.value * i, x)
    return f


CONTROL_FLOW = [
    # id, function factory, input, expected
    ("scan", _scan_read, [1.0, 2.0], [8.0, 16.0]),
    ("cond", _cond_read, [1.0, 2.0], [-1.0, 4.0]),
    ("while_loop", _while_read, [1.0, 3.0], [16.0, 12.0]),
    ("fori_loop", _fori_read, [1.0, 3.0], [7.0, 9.0]),
]


@pytest.mark.parametrize(
    "make, x, expected", [c[1:] for c in CONTROL_FLOW], ids=[c[0] for c in CONTROL_FLOW]
)
def test_control_flow_reading_a_broadcast_state(make, x, expected):
    k = ParamState(jnp.array(K))
    out = vmap2(make(k))(jnp.array(x))
    np.testing.assert_array_equal(out, expected)
    assert float(k.value) == K


def test_scan_reading_a_batched_state():
    sk = ShortTermState(jnp.array([1.0, 10.0]))

    def f(x):
        def body(carry, _):
            return carry + sk.value, carry

        out, _ = jax.lax.scan(body, x, None, length=3)
        return out

    out = vmap2(f, state_in_axes=ShortTermState)(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, [4.0, 32.0])
    np.testing.assert_array_equal(sk.value, [1.0, 10.0])


def test_state_written_after_scan():
    hs = ShortTermState(jnp.zeros(2))

    def f(x):
        def body(carry, _):
            return carry * 2, carry

        out, ys = jax.lax.scan(body, x, None, length=3)
        hs.value = hs.value + out
        return ys

    ys = vmap2(f, state_in_axes=ShortTermState)(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(ys, [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]])
    np.testing.assert_array_equal(hs.value, [8.0, 16.0])


def test_state_written_after_cond_unbatched():
    flag = LongTermState(jnp.array(0.0))

    def f(x):
        y = jax.lax.cond(flag.value > 0, lambda v: v + 1.0, lambda v: v - 1.0, x)
        flag.value = flag.value + 1.0
        return y

    m = vmap2(f, unexpected_out_state_mapping="raise")
    np.testing.assert_array_equal(m(jnp.array([1.0, 2.0])), [0.0, 1.0])
    assert float(flag.value) == 1.0
    np.testing.assert_array_equal(m(jnp.array([1.0, 2.0])), [2.0, 3.0])
    assert float(flag.value) == 2.0


def test_writing_a_state_inside_a_raw_scan_body_is_refused():
    # documented limitation: a raw lax.scan body may read States, not write them
    s = State(jnp.array(0.0))
    before = s.value

    def f(x):
        def body(carry, _):
            s.value = s.value + carry
            return carry, None

        jax.lax.scan(body, x, None, length=2)
        return x

    with pytest.raises(vmapviz.OuterTransformError,
                       match=r"inside jax.lax.scan.*Use vmapviz.transform.scan"):
        vmap2(f)(jnp.ones(2))
    assert s.value is before
    _no_tracer(s)


# ====================================================================== write, then read


def test_write_then_read_inside_nested_jit():
    s = State(jnp.zeros(()))

    @jit
    def inner(x):
        s.value = x * 2
        return s.value + 1

    assert float(jit(lambda x: inner(x))(jnp.array(3.0))) == 7.0
    assert float(s.value) == 6.0
    _no_tracer(s)


def test_write_then_read_in_a_scan_body_under_vmap2():
    from vmapviz import HiddenState
    from vmapviz.transform import scan

    h = HiddenState(jnp.zeros(2))

    def rnn(xs):
        def body(c, x):
            h.value = jnp.tanh(x + c)
            return h.value, h.value

        return scan(body, 0.0, xs)[1]

    out = vmap2(rnn, state_in_axes={0: HiddenState})(jnp.ones((2, 3)))
    lane = []
    c = 0.0
    for _ in range(3):
        c = float(jnp.tanh(1.0 + c))
        lane.append(c)
    np.testing.assert_allclose(out, [lane, lane], rtol=1e-6)
    np.testing.assert_allclose(h.value, [lane[-1], lane[-1]], rtol=1e-6)
    _no_tracer(h)
