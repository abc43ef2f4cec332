"""vmap2 errors: every bad input gets a clear error (JAX's wording where JAX has one), and
no error leaves a State changed or holding a tracer."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vmapviz import BatchAxisError, LongTermState, ParamState, ShortTermState, State
from vmapviz.transform import MappingError, StatefulMapping, jit, vmap2


def _add(a, b):
    return a + b


def _dict_fn(d):
    return d["a"] + d["b"]


def _kw(x, y):
    return x + y


def _snapshot(states):
    return [s.value for s in states]


def assert_untouched(states, before):
    for s, v in zip(states, before):
        assert s.value is v, f"{s!r} changed"
        assert not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(s.value))
        assert not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(s._value))


# ====================================================================== call-time errors
# Each case builds (call, states) lazily so every run gets fresh States.


def _case_sizes_args():
    return lambda: vmap2(_add)(jnp.ones(3), jnp.ones(4)), []


def _case_sizes_pytree():
    return lambda: vmap2(_dict_fn)({"a": jnp.ones(3), "b": jnp.ones(4)}), []


def _case_sizes_kwargs():
    return lambda: vmap2(_kw)(jnp.ones(3), y=jnp.ones(5)), []


def _case_sizes_state():
    cnt = ShortTermState(jnp.zeros(5), name="cnt")

    def f(x):
        cnt.value = cnt.value + x
        return cnt.value

    return lambda: vmap2(f, state_in_axes=ShortTermState)(jnp.ones(3)), [cnt]


def _case_sizes_unnamed_state():
    p = ParamState(jnp.zeros((2, 4)))

    def f(x):
        return x + p.value[0]

    return lambda: vmap2(f, state_in_axes={1: ParamState})(jnp.ones(3)), [p]


def _case_len_in_axes():
    return lambda: vmap2(_add, in_axes=(0, 0, 0))(jnp.ones(3), jnp.ones(3)), []


def _case_rank():
    return lambda: vmap2(_add, in_axes=(0, 1))(jnp.ones(3), jnp.ones(3)), []


def _case_negative_rank():
    return lambda: vmap2(_add, in_axes=-2)(jnp.ones(3), jnp.ones(3)), []


def _case_no_mapped_axis():
    return lambda: vmap2(_add, in_axes=None)(jnp.ones(3), jnp.ones(3)), []


def _case_axis_size_conflict():
    return lambda: vmap2(_add, in_axes=(0, None), axis_size=5)(jnp.ones(3), jnp.ones(3)), []


def _case_non_array_leaf():
    return lambda: vmap2(_add)(jnp.ones(3), 1.0), []


def _case_non_array_int_leaf():
    return lambda: vmap2(lambda x, n: x * n)(jnp.ones(3), 2), []


def _case_tree_prefix():
    return lambda: vmap2(_add, in_axes=([0], 0))(jnp.ones(3), jnp.ones(3)), []


def _case_out_axes_none_for_mapped_output():
    return lambda: vmap2(lambda x: x * 2, out_axes=None)(jnp.ones(3)), []


def _case_out_axes_not_prefix():
    return lambda: vmap2(lambda x: (x, x), out_axes=(0, 0, 0))(jnp.ones(3)), []


def _case_axis_name_without_size():
    return lambda: vmap2(lambda x: jax.lax.psum(x, "i"), in_axes=None, axis_name="i")(
        jnp.ones(3)), []


def _case_state_rank0():
    s = ShortTermState(jnp.zeros(()), name="scal")

    def f(x):
        s.value = s.value + x
        return x

    return lambda: vmap2(f, state_in_axes=ShortTermState)(jnp.ones(3)), [s]


def _case_state_axis_too_big():
    s = ShortTermState(jnp.zeros(3), name="vec")

    def f(x):
        s.value = s.value + x
        return x

    return lambda: vmap2(f, state_in_axes={2: ShortTermState})(jnp.ones(3)), [s]


def _case_policy_raise():
    a = ShortTermState(jnp.zeros(3), name="a")
    w = LongTermState(jnp.asarray(0.0), name="w")

    def f(x):
        a.value = a.value + x
        w.value = a.value * 2.0
        return x

    return lambda: vmap2(f, state_in_axes={0: a}, unexpected_out_state_mapping="raise")(
        jnp.ones(3)), [a, w]


def _case_axes_conflict():
    c = ShortTermState(jnp.zeros((3, 3)), name="c")
    other = ParamState(jnp.ones(3), name="other")

    def f(x):
        c.value = c.value + x * other.value[0]
        return x

    return lambda: vmap2(f, state_in_axes={0: ShortTermState},
                         state_out_axes={1: ShortTermState})(jnp.ones(3)), [c, other]


SIZES = "vmap got inconsistent sizes for array axes to be mapped:\n"

ERROR_CASES = [
    # id, case builder, exception type, regex the message must match
    ("sizes_args", _case_sizes_args, MappingError, re.escape(
        SIZES + "  * one axis had size 3: axis 0 of argument a of type float32[3]\n"
        "  * one axis had size 4: axis 0 of argument b of type float32[4]")),
    ("sizes_pytree", _case_sizes_pytree, MappingError, re.escape(
        SIZES + "  * one axis had size 3: axis 0 of argument d['a'] of type float32[3]\n"
        "  * one axis had size 4: axis 0 of argument d['b'] of type float32[4]")),
    ("sizes_kwargs", _case_sizes_kwargs, MappingError, re.escape(
        SIZES + "  * one axis had size 3: axis 0 of argument x of type float32[3]\n"
        "  * one axis had size 5: axis 0 of kwargs['y'] of type float32[5]")),
    ("sizes_state", _case_sizes_state, MappingError, re.escape(
        SIZES + "  * one axis had size 3: axis 0 of argument x of type float32[3]\n"
        "  * one axis had size 5: axis 0 of state cnt (ShortTermState f32[5])")),
    ("sizes_unnamed_state", _case_sizes_unnamed_state, MappingError,
     re.escape("  * one axis had size 4: axis 1 of state ParamState@test_mapping_errors.py:")
     + r"\d+ \(ParamState f32\[2,4\]\)"),
    ("len_in_axes", _case_len_in_axes, ValueError, re.escape(
        "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
        "positional arguments passed to the function, but got len(in_axes)=3, len(args)=2.")),
    ("axis_out_of_rank", _case_rank, MappingError, re.escape(
        "vmap was requested to map its argument along axis 1, which implies that its rank "
        "should be at least 2, but is only 1 (its shape is (3,))")),
    ("negative_axis_out_of_rank", _case_negative_rank, MappingError, re.escape(
        "vmap was requested to map its argument along axis -2, which implies that its rank "
        "should be at least 2, but is only 1 (its shape is (3,))")),
    ("no_mapped_axis", _case_no_mapped_axis, MappingError, re.escape(
        "Unable to determine the mapped axis size: 'in_axes' has no non-None entry, no "
        "mapped keyword arguments were given, and no batched states were found. Specify "
        "'axis_size'.")),
    ("axis_size_conflict", _case_axis_size_conflict, MappingError,
     re.escape("axis_size=5 conflicts with the mapped axis size(s) [3]")),
    ("non_array_float", _case_non_array_leaf, MappingError,
     re.escape("Cannot map axis 0 over a non-array leaf of type float (argument b)")),
    ("non_array_int", _case_non_array_int_leaf, MappingError,
     re.escape("Cannot map axis 0 over a non-array leaf of type int (argument n)")),
    ("in_axes_not_a_prefix", _case_tree_prefix, ValueError, re.escape(
        "vmap in_axes specification for positional argument 0 must be a tree prefix")),
    ("out_axes_none_mapped", _case_out_axes_none_for_mapped_output, MappingError,
     re.escape("vmap has mapped output (output leaf 0) but out_axes is None for it")),
    ("out_axes_not_prefix", _case_out_axes_not_prefix, MappingError,
     re.escape("vmap out_axes specification must be a tree prefix of the corresponding value")),
    ("axis_name_without_size", _case_axis_name_without_size, MappingError,
     re.escape("names its axis 'i' but nothing it maps over is an argument")),
    ("state_rank0", _case_state_rank0, MappingError, re.escape(
        "State scal (ShortTermState f32[]) matches state_in_axes on axis 0, but its value "
        "has rank 0.")),
    ("state_axis_too_big", _case_state_axis_too_big, MappingError, re.escape(
        "State vec (ShortTermState f32[3]) matches state_in_axes on axis 2, but its value "
        "has rank 1.")),
    ("policy_raise", _case_policy_raise, BatchAxisError,
     re.escape("State w (LongTermState f32[]) is written with a value that varies across "
               "the 3 lanes, but no state_out_axes filter declares it.")),
    ("axes_conflict", _case_axes_conflict, BatchAxisError, re.escape(
        "State c (ShortTermState f32[3,3]) is batched on input axis 0 but state_out_axes "
        "maps it to axis 1.")),
]


@pytest.mark.parametrize(
    "build, exc, pattern", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_call_errors(build, exc, pattern):
    call, states = build()
    before = _snapshot(states)
    with pytest.raises(exc, match=pattern):
        call()
    assert_untouched(states, before)


def test_mapping_errors_are_value_errors():
    assert issubclass(MappingError, ValueError)
    assert issubclass(BatchAxisError, ValueError)


def test_error_does_not_poison_the_mapping():
    s = ShortTermState(jnp.zeros(3))

    def f(x):
        s.value = s.value + x
        return s.value

    m = vmap2(f, state_in_axes=ShortTermState)
    with pytest.raises(MappingError, match="inconsistent sizes"):
        m(jnp.ones(4))
    with pytest.raises(KeyError):
        m.get_jaxpr_by_cache(m.get_arg_cache_key(jnp.ones(4)))
    np.testing.assert_array_equal(m(jnp.ones(3)), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s.value, [1.0, 1.0, 1.0])


def test_state_resized_between_calls():
    s = ShortTermState(jnp.zeros(3), name="s")

    def f(x):
        s.value = s.value + x
        return x

    m = vmap2(f, state_in_axes=ShortTermState)
    m(jnp.ones(3))
    bigger = jnp.zeros(4)
    s.value = bigger
    with pytest.raises(MappingError, match=re.escape(
            "axis 0 of state s (ShortTermState f32[4])")):
        m(jnp.ones(3))
    assert s.value is bigger


# ====================================================================== bad configuration

CONFIG_ERRORS = [
    # id, vmap2 kwargs, exception, regex
    ("in_axes_str", {"in_axes": (0, "a")}, TypeError, re.escape(
        "vmap in_axes must be an int, None, or (nested) container with those types as "
        "leaves, but got (0, 'a').")),
    ("in_axes_float", {"in_axes": (0, 1.5)}, TypeError,
     re.escape("vmap in_axes must be an int, None, or (nested) container")),
    ("in_axes_bool", {"in_axes": True}, TypeError,
     re.escape("vmap in_axes must be an int, None, or (nested) container")),
    ("in_axes_nested_str", {"in_axes": ({"a": "x"},)}, TypeError,
     re.escape("vmap in_axes must be an int, None, or (nested) container")),
    ("out_axes_str", {"out_axes": "0"}, TypeError,
     re.escape("vmap out_axes must be an int, None, or (nested) container")),
    ("bad_policy", {"unexpected_out_state_mapping": "bogus"}, ValueError, re.escape(
        "Invalid value for unexpected_out_state_mapping: 'bogus'. Must be 'auto', 'raise', "
        "'warn', or 'ignore'.")),
    ("axis_size_zero", {"axis_size": 0}, ValueError,
     re.escape("axis_size must be a positive int, got 0")),
    ("axis_size_str", {"axis_size": "3"}, ValueError,
     re.escape("axis_size must be a positive int, got '3'")),
    ("state_axes_key", {"state_in_axes": {"0": ShortTermState}}, TypeError,
     re.escape("state_in_axes keys must be int axes or None, but got '0'.")),
    ("state_out_axes_key", {"state_out_axes": {1.0: ShortTermState}}, TypeError,
     re.escape("state_out_axes keys must be int axes or None, but got 1.0.")),
    ("static_argnums_str", {"static_argnums": "x"}, TypeError,
     re.escape("static_argnums must be ints, got 'x'")),
]


@pytest.mark.parametrize(
    "kwargs, exc, pattern", [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_configuration_errors(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        vmap2(_add, **kwargs)


def test_not_callable():
    with pytest.raises(TypeError, match="vmap2 expects a callable, got int"):
        vmap2(3)
    with pytest.raises(TypeError, match="vmap2 expects a callable, got str"):
        StatefulMapping("f")


def test_unhashable_static_argument():
    f = vmap2(lambda x, n: x, static_argnums=1)
    with pytest.raises(TypeError, match=re.escape(
            "static argument 1 must be hashable to be static, but got a value of type list")):
        f(jnp.ones(3), [1, 2])


# ====================================================================== invalid JAX types

def test_string_argument_suggests_static_argnums():
    f = vmap2(_add, in_axes=(0, None))
    with pytest.raises(TypeError, match=r"(?s)argument b\b.*static_argnums"):
        f(jnp.ones(3), "hello")


def test_string_argument_as_static_works():
    f = vmap2(lambda x, tag: x * len(tag), static_argnums=1)
    np.testing.assert_array_equal(f(jnp.ones(2), "abc"), [3.0, 3.0])


def test_get_arg_cache_key_then_error_leaves_no_entry():
    f = vmap2(_add)
    with pytest.raises(MappingError):
        f(jnp.ones(3), jnp.ones(4))
    with pytest.raises(KeyError):
        f.get_jaxpr_by_cache(f.get_arg_cache_key(jnp.ones(3), jnp.ones(4)))


# ====================================================================== user errors mid-trace

class Boom(RuntimeError):
    pass


def test_user_error_after_batched_write():
    s = ShortTermState(jnp.zeros(3), name="s")
    before = s.value

    def f(x):
        s.value = s.value + x
        raise Boom("after write")

    with pytest.raises(Boom, match="after write"):
        vmap2(f, state_in_axes=ShortTermState)(jnp.ones(3))
    assert_untouched([s], [before])


def test_user_error_after_broadcast_write_and_read():
    w = LongTermState(jnp.array(1.0), name="w")
    r = ParamState(jnp.array(2.0), name="r")
    before = _snapshot([w, r])

    def f(x):
        w.value = x * r.value
        w.value = w.value + 1.0
        raise Boom("twice written")

    with pytest.raises(Boom):
        vmap2(f)(jnp.ones(3))
    assert_untouched([w, r], before)


def test_user_error_in_inner_mapping():
    outer_state = LongTermState(jnp.array(0.0), name="outer")
    inner_state = ShortTermState(jnp.zeros(2), name="inner")
    before = _snapshot([outer_state, inner_state])

    def inner_fn(x):
        inner_state.value = inner_state.value + x
        raise Boom("inner")

    inner = vmap2(inner_fn)

    def outer_fn(row):
        outer_state.value = outer_state.value + row.sum()
        return inner(row)

    with pytest.raises(Boom, match="inner"):
        vmap2(outer_fn)(jnp.ones((3, 2)))
    assert_untouched([outer_state, inner_state], before)


def test_user_error_inside_jit_inside_vmap2():
    s = ShortTermState(jnp.zeros(3), name="s")
    before = s.value

    @jit
    def inner(x):
        s.value = s.value * x
        raise Boom("in jit")

    with pytest.raises(Boom):
        vmap2(inner, state_in_axes=ShortTermState)(jnp.ones(3))
    assert_untouched([s], [before])


def test_user_error_on_retrace_keeps_previous_values():
    s = ShortTermState(jnp.zeros(2), name="s")
    calls = [0]

    def f(x):
        calls[0] += 1
        s.value = s.value + x.sum()
        if x.shape[0] == 3:
            raise Boom("lanes of size 3 are refused")
        return x

    m = vmap2(f, state_in_axes={0: s})
    m(jnp.ones((2, 2)))
    after_first = s.value
    np.testing.assert_array_equal(after_first, [2.0, 2.0])
    with pytest.raises(Boom):
        m(jnp.ones((2, 3)))
    assert calls[0] == 2
    assert_untouched([s], [after_first])
    m(jnp.ones((2, 2)))  # the cached plan still works
    assert calls[0] == 2
    np.testing.assert_array_equal(s.value, [4.0, 4.0])


def test_state_assigned_a_state_is_refused():
    a = State(jnp.zeros(2))
    b = State(jnp.ones(2))
    before = a.value

    def f(x):
        a.value = b
        return x

    with pytest.raises(ValueError, match="assign its .value instead"):
        vmap2(f)(jnp.ones(2))
    assert_untouched([a, b], [before, b.value])


def test_keyword_leaves_are_named_in_flattening_order():
    f = vmap2(lambda *, b, a: a + b.sum())
    with pytest.raises(MappingError) as info:
        f(b=jnp.ones(3), a=jnp.ones(4))
    text = str(info.value)
    assert "size 3: axis 0 of kwargs['b'] of type float32[3]" in text
    assert "size 4: axis 0 of kwargs['a'] of type float32[4]" in text


def test_negative_state_axis_matches_its_positive_spelling():
    s = ShortTermState(jnp.zeros((2, 3)))

    def f(x):
        s.value = s.value + x
        return x

    m = vmap2(f, state_in_axes={-1: ShortTermState}, state_out_axes={1: ShortTermState})
    np.testing.assert_array_equal(m(jnp.arange(3.0)), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(s.value, [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
