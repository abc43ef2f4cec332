"""vmap2 / StatefulMapping: parity with jax.vmap, State batching, policies, random keys,
caching, the cached jaxprs and the stage records seen by observers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _jax_pin import ON_PIN, strip_params
from hypothesis import given, settings
from hypothesis import strategies as st

import vmapviz
from vmapviz import BatchAxisError, LongTermState, ParamState, ShortTermState, State
from vmapviz.inspection import words
from vmapviz.records import Change, Difference
from vmapviz.transform import StatefulMapping, jit, observe, vmap2
from vmapviz.util.filter import OfType, WithTag


def _is_tracer(x) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(x))


def assert_tree_equal(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        assert np.shape(a) == np.shape(e)
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-6, atol=1e-6)


# ====================================================================== stateless parity

def _add(a, b):
    return a + b


def _matvec(m, v):
    return m @ v


def _dict_fn(d):
    return d["a"] * 2.0 + d["b"]


def _tuple_fn(t):
    a, b = t
    return a - b


def _two_outputs(x):
    return x * 2.0, {"s": jnp.sum(x), "v": x + 1.0}


def _vector(x):
    return jnp.stack([x, 2.0 * x, 3.0 * x])


X3 = jnp.arange(3.0)
M432 = jnp.arange(24.0).reshape(4, 3, 2)
V42 = jnp.arange(8.0).reshape(4, 2)
A23 = jnp.arange(6.0).reshape(2, 3)
B32 = jnp.arange(6.0).reshape(3, 2) * 10.0

PARITY_CASES = [
    # id, function, args, vmap kwargs
    ("int0", _add, (X3, X3 * 10.0), {"in_axes": 0}),
    ("tuple_0_none", _add, (X3, 5.0), {"in_axes": (0, None)}),
    ("list_in_axes", _add, (X3, jnp.ones(3)), {"in_axes": [0, 0]}),
    ("axis1_and_0", _add, (A23, B32[:, 0]), {"in_axes": (1, 0)}),
    ("negative_axis", _add, (A23, jnp.ones(3)), {"in_axes": (-1, 0)}),
    ("matvec", _matvec, (M432, V42), {"in_axes": (0, 0)}),
    ("matvec_broadcast_matrix", _matvec, (M432[0], V42), {"in_axes": (None, 0)}),
    ("dict_prefix", _dict_fn, ({"a": A23, "b": jnp.ones(3)},), {"in_axes": ({"a": 1, "b": 0},)}),
    ("dict_prefix_none", _dict_fn, ({"a": X3, "b": 7.0},), {"in_axes": ({"a": 0, "b": None},)}),
    ("dict_whole_arg", _dict_fn, ({"a": X3, "b": X3},), {"in_axes": (0,)}),
    ("tuple_prefix", _tuple_fn, ((A23, X3),), {"in_axes": ((1, 0),)}),
    ("out_axes_1", _vector, (jnp.array([1.0, 2.0]),), {"out_axes": 1}),
    ("out_axes_minus_1", _vector, (jnp.array([1.0, 2.0]),), {"out_axes": -1}),
    ("out_axes_0", _vector, (jnp.array([1.0, 2.0]),), {"out_axes": 0}),
    ("out_axes_pytree", _two_outputs, (A23,), {"out_axes": (1, {"s": 0, "v": -1})}),
    ("out_axes_pytree_prefix", _two_outputs, (A23,), {"out_axes": (1, -1)}),
]


@pytest.mark.parametrize(
    "fn, args, kwargs", [c[1:] for c in PARITY_CASES], ids=[c[0] for c in PARITY_CASES]
)
def test_stateless_parity_with_jax_vmap(fn, args, kwargs):
    expected = jax.vmap(fn, **kwargs)(*args)
    actual = vmap2(fn, **kwargs)(*args)
    assert_tree_equal(actual, expected)


FIXED_CASES = [
    # id, function, args, kwargs of call, vmap kwargs, expected
    ("square", lambda x: x ** 2, (jnp.array([1.0, 2.0, 3.0, 4.0]),), {}, {},
     [1.0, 4.0, 9.0, 16.0]),
    ("weighted_sum", lambda x, w: x * w, (jnp.array([1.0, 2.0, 3.0]), 2.0), {},
     {"in_axes": (0, None)}, [2.0, 4.0, 6.0]),
    ("keyword_arg_axis0", lambda x, y: x * y, (jnp.array([1.0, 2.0, 3.0]),),
     {"y": jnp.array([10.0, 20.0, 30.0])}, {"in_axes": (0,)}, [10.0, 40.0, 90.0]),
    ("keyword_only_mapped", lambda x, y: x + y, (5.0,), {"y": jnp.array([1.0, 2.0])},
     {"in_axes": (None,)}, [6.0, 7.0]),
    ("psum", lambda x: jax.lax.psum(x, "i"), (jnp.arange(4.0),), {}, {"axis_name": "i"},
     [6.0, 6.0, 6.0, 6.0]),
    ("pmean", lambda x: x - jax.lax.pmean(x, "batch"), (jnp.array([1.0, 2.0, 3.0, 4.0]),),
     {}, {"axis_name": "batch"}, [-1.5, -0.5, 0.5, 1.5]),
    ("axis_index", lambda x: x * jax.lax.axis_index("i"), (jnp.full(4, 2.0),), {},
     {"axis_name": "i"}, [0.0, 2.0, 4.0, 6.0]),
    ("axis_size_all_none", lambda: jnp.arange(3), (), {}, {"in_axes": None, "axis_size": 2},
     [[0, 1, 2], [0, 1, 2]]),
    ("axis_size_none_arg", lambda c: c * 2.0, (jnp.array(1.5),), {},
     {"in_axes": None, "axis_size": 3}, [3.0, 3.0, 3.0]),
    ("axis_size_matching", lambda x: x + 1.0, (jnp.zeros(2),), {}, {"axis_size": 2}, [1.0, 1.0]),
]


@pytest.mark.parametrize(
    "fn, args, call_kwargs, vkw, expected",
    [c[1:] for c in FIXED_CASES], ids=[c[0] for c in FIXED_CASES],
)
def test_stateless_fixed_values(fn, args, call_kwargs, vkw, expected):
    out = vmap2(fn, **vkw)(*args, **call_kwargs)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
    assert out.shape == np.shape(expected)


def test_axis_name_psum_matches_jax_vmap():
    def f(x):
        return x / jax.lax.psum(x, "b") + jax.lax.axis_index("b")

    x = jnp.arange(1.0, 5.0)
    assert_tree_equal(vmap2(f, axis_name="b")(x), jax.vmap(f, axis_name="b")(x))


STATIC_CASES = [
    # id, vmap kwargs, calls [(args, kwargs)], expected outputs, expected trace counts
    ("argnums", {"static_argnums": 1},
     [((X3, 2), {}), ((X3, 2), {}), ((X3, 3), {})],
     [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0], [0.0, 3.0, 6.0]], [1, 1, 2]),
    ("argnums_negative", {"static_argnums": -1},
     [((X3, 2), {}), ((X3, 5), {})],
     [[0.0, 2.0, 4.0], [0.0, 5.0, 10.0]], [1, 2]),
    ("argnames", {"static_argnames": "n"},
     [((X3,), {"n": 2}), ((X3,), {"n": 2}), ((X3,), {"n": 4})],
     [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0], [0.0, 4.0, 8.0]], [1, 1, 2]),
]


@pytest.mark.parametrize(
    "vkw, calls, expected, traces", [c[1:] for c in STATIC_CASES],
    ids=[c[0] for c in STATIC_CASES],
)
def test_static_arguments(vkw, calls, expected, traces):
    count = [0]

    def scale(x, n):
        count[0] += 1
        assert isinstance(n, int)  # a static value reaches the function as is
        return x * n

    f = vmap2(scale, **vkw)
    for (args, kwargs), want, n_traces in zip(calls, expected, traces):
        np.testing.assert_array_equal(f(*args, **kwargs), want)
        assert count[0] == n_traces


# ---------------------------------------------------------------------- hypothesis

@st.composite
def _vmap_problem(draw):
    rank_x = draw(st.integers(1, 3))
    shape_x = draw(st.lists(st.integers(1, 4), min_size=rank_x, max_size=rank_x))
    ax_x = draw(st.integers(-rank_x, rank_x - 1))
    n = shape_x[ax_x]
    y_mapped = draw(st.booleans())
    rank_y = draw(st.integers(1 if y_mapped else 0, 2))
    shape_y = draw(st.lists(st.integers(1, 4), min_size=rank_y, max_size=rank_y))
    ax_y = None
    if y_mapped:
        ax_y = draw(st.integers(-rank_y, rank_y - 1))
        shape_y[ax_y] = n
    out_rank = rank_x  # lane output has rank_x - 1 dims, plus the batch axis
    out_ax = draw(st.integers(-out_rank, out_rank - 1))
    return tuple(shape_x), ax_x, tuple(shape_y), ax_y, out_ax


@settings(max_examples=30, deadline=None)
@given(_vmap_problem())
def test_property_parity_with_jax_vmap(problem):
    shape_x, ax_x, shape_y, ax_y, out_ax = problem
    x = jnp.arange(float(np.prod(shape_x))).reshape(shape_x) / 7.0
    y = jnp.arange(float(np.prod(shape_y))).reshape(shape_y) + 1.0

    def f(x, y):
        return x * 2.0 + jnp.sum(y), jnp.max(x)

    spec = {"in_axes": (ax_x, ax_y), "out_axes": (out_ax, 0)}
    expected = jax.jit(jax.vmap(f, **spec))(x, y)
    actual = vmap2(f, **spec)(x, y)
    assert actual[0].shape == expected[0].shape
    assert_tree_equal(actual, expected)


# ====================================================================== attributes

def test_attributes_as_printed_by_tutorial_3_1():
    acc = ShortTermState(jnp.zeros(4))

    def accumulate(x):
        acc.value = acc.value + x
        return acc.value

    m = vmap2(accumulate, in_axes=0, out_axes=0, axis_size=4,
              state_in_axes={0: OfType(ShortTermState)})
    assert type(m) is StatefulMapping
    assert repr(type(m)) == "<class 'vmapviz.transform.StatefulMapping'>"
    assert m.origin_fun is accumulate
    assert (m.in_axes, m.out_axes, m.axis_name, m.axis_size) == (0, 0, None, 4)
    assert repr(m.state_in_axes) == "{0: OfType(<class 'vmapviz.ShortTermState'>)}"
    assert repr(m.state_out_axes) == "{}"


STATE_AXES_SPECS = [
    # id, given spec, repr of the normalized dict
    ("none", None, "{}"),
    ("bare_type", ShortTermState, "{0: OfType(<class 'vmapviz.ShortTermState'>)}"),
    ("bare_tag", "hid", "{0: WithTag('hid')}"),
    ("dict_axis1", {1: OfType(ParamState)}, "{1: OfType(<class 'vmapviz.ParamState'>)}"),
]


@pytest.mark.parametrize(
    "spec, text", [c[1:] for c in STATE_AXES_SPECS], ids=[c[0] for c in STATE_AXES_SPECS]
)
def test_state_axes_normalized(spec, text):
    m = vmap2(lambda x: x, state_in_axes=spec, state_out_axes=spec)
    assert repr(m.state_in_axes) == text
    assert repr(m.state_out_axes) == text


def test_usable_as_decorator():
    @vmap2(in_axes=0)
    def square(x):
        return x ** 2

    assert isinstance(square, StatefulMapping)
    np.testing.assert_array_equal(square(jnp.array([1.0, 2.0, 3.0])), [1.0, 4.0, 9.0])


def test_decorator_with_state_in_axes():
    s = ShortTermState(jnp.zeros(2))

    @vmap2(state_in_axes=ShortTermState)
    def step(x):
        s.value = s.value + x
        return s.value

    np.testing.assert_array_equal(step(jnp.array([3.0, 4.0])), [3.0, 4.0])
    np.testing.assert_array_equal(s.value, [3.0, 4.0])


# ====================================================================== State batching

def _make_states():
    a = ShortTermState(jnp.zeros(3), name="a", tag="per_lane")
    b = LongTermState(jnp.array([5.0, 6.0, 7.0]), name="b")

    def f(x):
        a.value = a.value + x
        return a.value * 2.0 + b.value[0]

    return a, b, f


STATE_IN_SPECS = [
    ("OfType_dict", lambda a: {0: OfType(ShortTermState)}),
    ("bare_type", lambda a: ShortTermState),
    ("WithTag", lambda a: {0: WithTag("per_lane")}),
    ("tag_string", lambda a: "per_lane"),
    ("state_instance", lambda a: a),
    ("instance_in_dict", lambda a: {0: a}),
    ("instance_list", lambda a: [a]),
]


@pytest.mark.parametrize(
    "make_spec", [c[1] for c in STATE_IN_SPECS], ids=[c[0] for c in STATE_IN_SPECS]
)
def test_state_in_axes_forms(make_spec):
    a, b, f = _make_states()
    x = jnp.array([1.0, 2.0, 3.0])
    out = vmap2(f, state_in_axes=make_spec(a))(x)
    # lane i: (a[i] + x[i]) * 2 + b[0]; b is not selected, so every lane sees all of it
    np.testing.assert_array_equal(out, [7.0, 9.0, 11.0])
    np.testing.assert_array_equal(a.value, [1.0, 2.0, 3.0])  # written back on axis 0
    np.testing.assert_array_equal(b.value, [5.0, 6.0, 7.0])  # read only: untouched
    assert not _is_tracer(a.value) and not _is_tracer(b.value)


def test_state_batched_on_axis_1_written_back_on_axis_1():
    m = ShortTermState(jnp.zeros((2, 3)))

    def f(x):
        m.value = m.value + x
        return m.value

    out = vmap2(f, state_in_axes={1: ShortTermState})(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(m.value, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_counter_tutorial_1_5_and_repeat_calls():
    count = ShortTermState(jnp.zeros(4))

    def step(delta):
        count.value = count.value + delta
        return count.value

    f = vmap2(step, state_in_axes={0: OfType(ShortTermState)},
              state_out_axes={0: OfType(ShortTermState)})
    deltas = jnp.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(f(deltas), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(count.value, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(f(deltas), [2.0, 4.0, 6.0, 8.0])
    np.testing.assert_array_equal(count.value, [2.0, 4.0, 6.0, 8.0])
    assert f.trace_count == 1


def test_broadcast_params_tutorial_1_6():
    w = ParamState(jnp.ones((3, 2)))
    bias = ParamState(jnp.array([0.5, -0.5]))

    def layer(x):
        return x @ w.value + bias.value

    out = vmap2(layer)(jnp.ones((4, 3)))
    np.testing.assert_array_equal(out, [[3.5, 2.5]] * 4)
    np.testing.assert_array_equal(w.value, np.ones((3, 2)))


def test_state_out_axes_only_tutorial_3_5():
    s = State(jnp.array(1.0))

    def simple_op(x):
        result = x + s.value
        s.value = result
        return result * 2

    f = vmap2(simple_op, in_axes=0, state_out_axes={0: OfType(State)})
    np.testing.assert_array_equal(f(jnp.array([1.0, 2.0])), [4.0, 6.0])
    np.testing.assert_array_equal(s.value, [2.0, 3.0])  # broadcast in, batched out


def test_unbatched_write_is_written_back_as_is():
    u = LongTermState(jnp.array(5.0))

    def f(x):
        u.value = u.value * 2.0
        return x

    # 'raise' proves that an unbatched write does not go through the policy
    out = vmap2(f, unexpected_out_state_mapping="raise")(jnp.ones(3))
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])
    assert u.value.shape == ()
    assert float(u.value) == 10.0


def test_read_only_state_not_written():
    p = ParamState(jnp.array(2.0))
    before = p.value
    out = vmap2(lambda x: x * p.value)(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, [2.0, 4.0])
    assert p.value is before


# ---------------------------------------------------------------------- policies

def _scalar_writer():
    ws = LongTermState(jnp.asarray(0.0), name="ws")

    def f(x):
        ws.value = ws.value + x
        return x

    return ws, f


def test_policy_raise_names_the_state_and_both_fixes():
    ws, f = _scalar_writer()
    before = ws.value
    with pytest.raises(BatchAxisError, match=r"State ws \(LongTermState f32\[\]\) is written "
                       r"with a value that varies across the 3 lanes") as info:
        vmap2(f, unexpected_out_state_mapping="raise")(jnp.array([1.0, 2.0, 3.0]))
    assert "state_out_axes" in str(info.value)
    assert "unexpected_out_state_mapping='ignore', 'warn' or 'auto'" in str(info.value)
    assert ws.value is before


def test_policy_warn_warns_then_scatters():
    ws, f = _scalar_writer()
    with pytest.warns(UserWarning, match=r"State ws \(LongTermState f32\[\]\) .*policy 'warn'"):
        out = vmap2(f, unexpected_out_state_mapping="warn")(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ws.value, [1.0, 2.0, 3.0])


def test_policy_ignore_tutorial_1_7():
    temp = ShortTermState(jnp.array(0.0))
    write = LongTermState(jnp.asarray(0.0))

    def update(x):
        temp.value = temp.value + x
        write.value = temp.value
        return temp.value

    out = vmap2(update, in_axes=0, unexpected_out_state_mapping="ignore")(
        jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(write.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(temp.value, [1.0, 2.0, 3.0])


def test_tutorial_1_7_example_1_declared_and_undeclared():
    temp = ShortTermState(jnp.zeros(3))
    write = LongTermState(jnp.asarray(0.0))

    def update(x):
        temp.value = temp.value + x
        write.value = temp.value
        return temp.value

    vmap2(update, state_in_axes={0: OfType(ShortTermState)},
          state_out_axes={0: OfType(ShortTermState)},
          unexpected_out_state_mapping="ignore")(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(temp.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(write.value, [1.0, 2.0, 3.0])


def test_policy_auto_promotes_read_modify_write_state():
    ws, f = _scalar_writer()
    m = vmap2(f)  # 'auto' is the default
    assert m.unexpected_out_state_mapping == "auto"
    with pytest.warns(UserWarning, match=r"read and written, so it gains a batch axis of size 3"):
        m(jnp.array([1.0, 2.0, 3.0]))  # a read-modify-write scalar gains the batch axis
    np.testing.assert_array_equal(ws.value, [1.0, 2.0, 3.0])
    m(jnp.array([1.0, 2.0, 3.0]))  # leading size 3 = batch: fed per lane, no new axis
    np.testing.assert_array_equal(ws.value, [2.0, 4.0, 6.0])
    m(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(ws.value, [3.0, 6.0, 9.0])
    assert ws.value.shape == (3,)


def test_policy_ignore_grows_on_a_second_mapping():
    # contrast with 'auto': without promotion the scattered state is broadcast next time
    ws, f = _scalar_writer()
    m = vmap2(f, unexpected_out_state_mapping="ignore")
    m(jnp.array([1.0, 2.0, 3.0]))
    m(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(ws.value, [[2.0, 3.0, 4.0], [3.0, 4.0, 5.0], [4.0, 5.0, 6.0]])


def test_policy_auto_warns_when_a_written_only_state_changes_shape():
    out_state = LongTermState(jnp.asarray(0.0), name="last")

    def f(x):
        out_state.value = x * 2.0
        return x

    m = vmap2(f)
    with pytest.warns(UserWarning, match=r"State last .*new axis 0 of size 3 .*'auto'") as got:
        m(jnp.array([1.0, 2.0, 3.0]))  # f32[] -> f32[3]: the shape changes, so it says so
    assert got[0].filename == __file__  # pointing at the user's line
    np.testing.assert_array_equal(out_state.value, [2.0, 4.0, 6.0])
    m(jnp.array([1.0, 2.0, 3.0]))  # leading size = batch size: same shape, silent
    np.testing.assert_array_equal(out_state.value, [2.0, 4.0, 6.0])
    with pytest.warns(UserWarning, match=r"State last .*size 4"):
        m(jnp.array([1.0, 2.0, 3.0, 4.0]))  # a new batch size: f32[3] -> f32[4], said again
    np.testing.assert_array_equal(out_state.value, [2.0, 4.0, 6.0, 8.0])


def test_policy_auto_warns_for_a_read_and_written_state_inside_jit_and_inspect():
    acc = LongTermState(jnp.asarray(0.0), name="acc")

    def f(x):
        acc.value = acc.value + x
        return x

    with pytest.warns(UserWarning, match=r"State acc .*read and written") as got:
        vmapviz.transform.jit(vmap2(f))(jnp.arange(3.0))
    assert got[0].filename == __file__
    assert acc.value.shape == (3,)
    acc.value = jnp.asarray(0.0)
    with pytest.warns(UserWarning, match=r"State acc .*read and written"):
        report = vmap2(f).inspect(jnp.arange(3.0))
    assert report.axes.entries[1].rule_out == "policy"


def test_invalid_policy_text():
    with pytest.raises(ValueError) as info:
        vmap2(lambda x: x, unexpected_out_state_mapping="bogus")
    assert str(info.value) == (
        "Invalid value for unexpected_out_state_mapping: 'bogus'. "
        "Must be 'auto', 'raise', 'warn', or 'ignore'."
    )


def test_conflicting_in_and_out_axes():
    c = ShortTermState(jnp.zeros((3, 3)), name="c")

    def f(x):
        c.value = c.value + x
        return x

    before = c.value
    with pytest.raises(BatchAxisError, match=r"State c \(ShortTermState f32\[3,3\]\) is batched "
                       r"on input axis 0 but state_out_axes maps it to axis 1\."):
        vmap2(f, state_in_axes={0: ShortTermState}, state_out_axes={1: ShortTermState})(
            jnp.ones(3))
    assert c.value is before


def test_same_in_and_out_axis_is_fine():
    c = ShortTermState(jnp.zeros((2, 3)))

    def f(x):
        c.value = c.value + x
        return x

    vmap2(f, state_in_axes={1: ShortTermState}, state_out_axes={1: ShortTermState})(
        jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(c.value, [[1.0, 2.0, 3.0]] * 2)


# ====================================================================== random keys

def test_random_normal_tutorial_2_1_bit_exact():
    vmapviz.random.seed(42)
    scales = jnp.array([1.0, 2.0, 3.0, 4.0])
    out = vmap2(lambda scale: vmapviz.random.normal(0.0, scale))(scales)
    np.testing.assert_allclose(out, [-1.0413289, -1.4796011, 2.222502, 6.412178], rtol=1e-6)
    keys = jax.random.split(jax.random.key(42), 5)
    expected = np.array([
        jax.random.normal(jax.random.split(keys[i + 1])[1], ()) * scale
        for i, scale in enumerate([1.0, 2.0, 3.0, 4.0])
    ], dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(out), expected)
    # the default key advanced to keys[0]; the lane keys were discarded
    np.testing.assert_array_equal(jax.random.key_data(vmapviz.random.DEFAULT.value),
                                  jax.random.key_data(keys[0]))
    assert vmapviz.random.DEFAULT.value.shape == ()


def test_random_uniform_plus_normal_tutorial_2_1():
    vmapviz.random.seed(123)

    def sample(mean):
        return vmapviz.random.uniform(0.0, 1.0) + vmapviz.random.normal(mean, 1.0)

    out = vmap2(sample)(jnp.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(out, [1.063001, 2.0858884, 3.2780576], rtol=1e-6)
    keys = jax.random.split(jax.random.key(123), 4)
    expected = []
    for i, mean in enumerate([0.0, 1.0, 2.0]):
        lane, k1 = jax.random.split(keys[i + 1])
        _, k2 = jax.random.split(lane)
        expected.append(jax.random.uniform(k1, ()) + (jax.random.normal(k2, ()) * 1.0 + mean))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected, dtype=np.float32))


def test_random_warm_call_draws_new_numbers():
    vmapviz.random.seed(7)
    f = vmap2(lambda x: vmapviz.random.normal() + x)
    first = f(jnp.zeros(3))
    second = f(jnp.zeros(3))
    assert f.trace_count == 1
    assert len(set(np.asarray(first).tolist()) | set(np.asarray(second).tolist())) == 6


def test_random_state_instance():
    rng = vmapviz.random.RandomState(5)
    out = vmap2(lambda x: rng.uniform() + x)(jnp.zeros(2))
    keys = jax.random.split(jax.random.key(5), 3)
    expected = [jax.random.uniform(jax.random.split(keys[i + 1])[1], ()) for i in range(2)]
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected, dtype=np.float32))
    np.testing.assert_array_equal(jax.random.key_data(rng.value), jax.random.key_data(keys[0]))


# ====================================================================== caching

def test_traced_once_per_signature_tutorial_3_2():
    count = [0]

    def counting(x):
        count[0] += 1
        return x * 2

    f = vmap2(counting)
    np.testing.assert_array_equal(f(jnp.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])
    assert count[0] == 1
    np.testing.assert_array_equal(f(jnp.array([4.0, 5.0, 6.0])), [8.0, 10.0, 12.0])
    assert count[0] == 1


RETRACE_CASES = [
    # id, first arg, second arg, traces after second call
    ("same_shape", jnp.ones(4), jnp.zeros(4), 1),
    ("new_shape", jnp.ones(4), jnp.ones(5), 2),
    ("new_dtype", jnp.ones(4), jnp.ones(4, dtype=jnp.int32), 2),
    ("new_rank", jnp.ones(4), jnp.ones((4, 1)), 2),
    ("new_structure", jnp.ones(4), (jnp.ones(4),), 2),
]


@pytest.mark.parametrize(
    "first, second, traces", [c[1:] for c in RETRACE_CASES], ids=[c[0] for c in RETRACE_CASES]
)
def test_retrace_on_new_signature(first, second, traces):
    count = [0]

    def f(x):
        count[0] += 1
        return jax.tree.map(lambda v: v + 1, x)

    m = vmap2(f)
    m(first)
    m(second)
    assert count[0] == traces
    assert m.trace_count == traces
    m(first)
    m(second)
    assert count[0] == traces  # both signatures cached now


def test_arg_cache_key():
    m = vmap2(lambda x, n: x * n, static_argnums=1)
    k1 = m.get_arg_cache_key(jnp.ones(3), 2)
    assert k1 == m.get_arg_cache_key(jnp.zeros(3), 2)
    assert k1 != m.get_arg_cache_key(jnp.ones(4), 2)
    assert k1 != m.get_arg_cache_key(jnp.ones(3), 3)
    assert k1 != m.get_arg_cache_key(jnp.ones(3, dtype=jnp.int32), 2)
    hash(k1)


def _same_jaxpr_text(text: str, expected: str) -> None:
    """Byte for byte on the pinned JAX; elsewhere without equation parameters."""
    assert text == expected if ON_PIN else strip_params(text) == strip_params(expected)


def test_jaxpr_by_cache_tutorial_3_5():
    s = State(jnp.array(1.0))

    def simple_op(x):
        result = x + s.value
        s.value = result
        return result * 2

    f = vmap2(simple_op, in_axes=0, state_out_axes={0: OfType(State)})
    test_input = jnp.array([1.0, 2.0])
    f(test_input)
    key = f.get_arg_cache_key(test_input)
    jaxpr = f.get_jaxpr_by_cache(key)
    _same_jaxpr_text(str(jaxpr), (
        "{ lambda ; a:f32[2] b:f32[]. let\n"
        "    c:f32[] = convert_element_type[new_dtype=float32 weak_type=False] b\n"
        "    d:f32[2] = add a c\n"
        "    e:f32[2] = mul d 2.0:f32[]\n"
        "  in (e, d) }"
    ))
    elementwise = f.get_elementwise_jaxpr_by_cache(key)
    _same_jaxpr_text(str(elementwise), (
        "{ lambda ; a:f32[] b:f32[]. let\n"
        "    c:f32[] = convert_element_type[new_dtype=float32 weak_type=False] b\n"
        "    d:f32[] = add a c\n"
        "    e:f32[] = mul d 2.0:f32[]\n"
        "  in (e, d) }"
    ))
    assert f.get_states_by_cache(key) == (s,)
    assert f.get_read_states_by_cache(key) == (s,)
    assert f.get_write_states_by_cache(key) == (s,)


def test_states_by_cache_read_and_written():
    r = ParamState(jnp.array(2.0), name="r")
    w = LongTermState(jnp.array(0.0), name="w")

    def f(x):
        w.value = x.sum() * r.value
        return x

    m = vmap2(f, in_axes=None, axis_size=2)
    m(jnp.ones(3))
    key = m.get_arg_cache_key(jnp.ones(3))
    assert m.get_read_states_by_cache(key) == (r,)
    assert m.get_write_states_by_cache(key) == (w,)
    assert m.get_states_by_cache(key) == (r, w)
    assert float(w.value) == 6.0  # same in every lane: written back unbatched


def test_jaxpr_by_cache_unknown_key():
    m = vmap2(lambda x: x)
    m(jnp.ones(2))
    with pytest.raises(KeyError, match="no cached trace"):
        m.get_jaxpr_by_cache(m.get_arg_cache_key(jnp.ones(7)))


def test_cache_is_bounded():
    count = [0]

    def f(x):
        count[0] += 1
        return x + 1

    m = StatefulMapping(f, cache_size=2)
    keys = [m.get_arg_cache_key(jnp.ones(n)) for n in (1, 2, 3)]
    for n in (1, 2, 3):
        m(jnp.ones(n))
    assert count[0] == 3
    with pytest.raises(KeyError):
        m.get_jaxpr_by_cache(keys[0])  # evicted: the oldest
    m.get_jaxpr_by_cache(keys[1])
    m.get_jaxpr_by_cache(keys[2])
    m(jnp.ones(3))
    assert count[0] == 3
    m(jnp.ones(1))
    assert count[0] == 4


def test_stateful_mapping_direct_tutorial_3_4():
    import functools

    counter = ShortTermState(jnp.zeros(3))

    def increment(delta):
        counter.value = counter.value + delta
        return counter.value

    m = StatefulMapping(
        increment, in_axes=0, out_axes=0,
        state_in_axes={0: OfType(ShortTermState)}, state_out_axes={0: OfType(ShortTermState)},
        name="custom_increment", mapping_fn=functools.partial(jax.vmap, spmd_axis_name=None),
    )
    np.testing.assert_array_equal(m(jnp.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(counter.value, [1.0, 2.0, 3.0])
    assert m.name == "custom_increment"


# ====================================================================== observers

def _stages(log):
    return [r.stage for r in log]


def test_observer_stages_cold_then_warm():
    m = vmap2(lambda x: x * 2, name="double")
    with observe() as log:
        m(jnp.ones(4))
    assert _stages(log) == ["cache", "discovery", "axes", "execution", "write_back"]
    cache = log[0]
    assert (cache.mapping, cache.key, cache.hit, words.miss_reason(cache)) == (
        "double", "(f32[4])", False, "first call")
    assert cache.changes == (Difference(Change.FIRST_CALL),)
    assert log[3].outputs == ("f32[4]",)
    assert log[3].compiled is True
    assert log[4].entries == ()
    with observe() as log:
        m(jnp.zeros(4))
    assert _stages(log) == ["cache", "discovery", "axes", "execution", "write_back"]
    assert (log[0].hit, log[0].changes, words.miss_reason(log[0])) == (True, (), None)


MISS_REASONS = [
    ("new_shape", jnp.ones(5), "argument x: now f32[5], before f32[4]"),
    ("new_dtype", jnp.ones(4, dtype=jnp.int32), "argument x: now i32[4], before f32[4]"),
]


@pytest.mark.parametrize(
    "second, reason", [c[1:] for c in MISS_REASONS], ids=[c[0] for c in MISS_REASONS]
)
def test_observer_cache_miss_reason(second, reason):
    def f(x):
        return x + 1

    m = vmap2(f)
    m(jnp.ones(4))
    with observe() as log:
        m(second)
    cache = [r for r in log if r.stage == "cache"]
    assert len(cache) == 1
    assert cache[0].hit is False
    assert words.miss_reason(cache[0]) == reason
    (change,) = cache[0].changes
    assert (change.change, change.name) == (Change.ARGUMENT, "argument x")


def test_observer_axes_record_for_arguments_and_outputs():
    m = vmap2(lambda x, w: x * w, in_axes=(1, None), name="scale")
    with observe() as log:
        m(jnp.ones((2, 3)), jnp.array(2.0))
    axes = next(r for r in log if r.stage == "axes")
    assert axes.axis_size == 3
    rows = [(e.kind, e.label, e.type, e.lane_type, e.axis_in, e.axis_out) for e in axes.entries]
    assert rows == [
        ("argument", "argument x", "f32[2,3]", "f32[2]", 1, None),
        ("argument", "argument w", "f32[]", "f32[]", None, None),
        ("output", "output 0", "f32[3,2]", "f32[2]", None, 0),
    ]


def test_observer_written_only_state():
    s = LongTermState(jnp.asarray(0.0), name="out")

    def f(x):
        s.value = x
        return x

    with observe() as log:
        vmap2(f, unexpected_out_state_mapping="ignore")(jnp.ones(3))
    assert _stages(log) == ["cache", "discovery", "axes", "execution", "write_back"]
    disc = log[1]
    assert [(r.label, r.read, r.written) for r in disc.states] == [("out", False, True)]
    wb = log[4]
    assert [(e.label, e.before, e.after, e.axis) for e in wb.entries] == [
        ("out", "f32[]", "f32[3]", 0)]


def test_observer_is_removed_after_block():
    m = vmap2(lambda x: x)
    with observe() as log:
        m(jnp.ones(2))
    n = len(log)
    m(jnp.ones(2))
    assert len(log) == n


def test_observer_with_read_state():
    s = ShortTermState(jnp.zeros(3), name="acc")

    def f(x):
        s.value = s.value + x
        return s.value

    with observe() as log:
        vmap2(f, state_in_axes=ShortTermState)(jnp.ones(3))
    assert _stages(log) == ["cache", "discovery", "axes", "execution", "write_back"]
    state_rows = [e for e in log[2].entries if e.kind == "state"]
    assert [(e.label, e.type, e.lane_type, e.axis_in, e.axis_out) for e in state_rows] == [
        ("acc", "f32[3]", "f32[]", 0, 0)]


def test_observer_keys_stage_order():
    vmapviz.random.seed(0)
    with observe() as log:
        vmap2(lambda x: vmapviz.random.normal() + x)(jnp.zeros(2))
    assert _stages(log) == ["cache", "discovery", "axes", "keys", "execution", "write_back"]
    keys = jax.random.split(jax.random.key(0), 3)
    data = jax.random.key_data(keys).tolist()
    rec = log[3].entries[0]
    assert rec.lane_keys == (tuple(data[1]), tuple(data[2]))
    assert rec.key_after == tuple(data[0])


@pytest.mark.parametrize(
    ("make", "call"),
    [
        (lambda f: vmap2(f, static_argnames="n"), lambda g: g(jnp.ones(3), 2)),
        (lambda f: vmap2(f, static_argnums=1), lambda g: g(jnp.ones(3), n=2)),
        (lambda f: jit(f, static_argnums=1), lambda g: g(jnp.ones(3), n=2)),
        (lambda f: jit(f, static_argnames="n"), lambda g: g(jnp.ones(3), 2)),
    ],
    ids=["vmap2_name_given_by_position", "vmap2_position_given_by_name",
         "jit_position_given_by_name", "jit_name_given_by_position"],
)
def test_static_arguments_by_position_or_name(make, call):
    def f(x, n):
        assert isinstance(n, int)  # static: a Python value, never a tracer
        return x * n

    np.testing.assert_array_equal(call(make(f)), [2.0, 2.0, 2.0])


def test_policy_warning_points_at_the_callers_line():
    s = State(jnp.zeros(()), name="w")

    def f(x):
        s.value = x
        return x

    with pytest.warns(UserWarning, match="State w") as record:
        vmap2(f, unexpected_out_state_mapping="warn")(jnp.ones(3))
    assert record[0].filename == __file__
