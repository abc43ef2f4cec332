"""States and the trace stack (vmapviz/_state.py)."""

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

from vmapviz._state import (
    BatchState,
    HiddenState,
    LongTermState,
    ParamState,
    ShortTermState,
    State,
    StateTrace,
    StateValueError,
    active_traces,
    short_type,
)


def _line() -> int:
    """Line number of the caller (to pin creation sites)."""
    return inspect.currentframe().f_back.f_lineno


# ------------------------------------------------------------------ value

def test_value_get_and_set():
    s = State(jnp.zeros(3))
    s.value = s.value + 2.0
    np.testing.assert_array_equal(s.value, [2.0, 2.0, 2.0])


def test_restore_value_is_not_recorded():
    s = State(jnp.zeros(2))
    with StateTrace() as trace:
        s.restore_value(jnp.ones(2))
    assert trace.states == []
    np.testing.assert_array_equal(s.value, [1.0, 1.0])


def test_pytree_value_keeps_structure():
    s = State({"a": jnp.zeros(()), "b": jnp.ones(2)})
    s.value = {"a": jnp.ones(()), "b": jnp.zeros(2)}
    assert float(s.value["a"]) == 1.0


# ------------------------------------------------------------------ repr / names

REPR_CASES = [
    ("array", ShortTermState(jnp.zeros(3)), "ShortTermState(f32[3])"),
    ("named", ParamState(jnp.ones((2, 3)), name="w"), "ParamState(f32[2,3], name='w')"),
    ("int", LongTermState(jnp.zeros(2, jnp.int32)), "LongTermState(i32[2])"),
    ("python float", HiddenState(1.0), "HiddenState(f32[])"),
    (
        "pytree",
        BatchState({"a": jnp.zeros(()), "b": jnp.zeros(2, jnp.int32)}),
        "BatchState((f32[], i32[2]))",
    ),
]


@pytest.mark.parametrize("state, expected", [c[1:] for c in REPR_CASES],
                         ids=[c[0] for c in REPR_CASES])
def test_repr(state, expected):
    assert repr(state) == expected


SHORT_TYPE_CASES = [
    ("matrix", jnp.zeros((2, 3)), "f32[2,3]"),
    ("scalar int", jnp.int32(3), "i32[]"),
    ("bool", jnp.zeros(4, bool), "bool[4]"),
    ("tuple", (jnp.zeros(1), jnp.zeros(2)), "(f32[1], f32[2])"),
]


@pytest.mark.parametrize("value, expected", [c[1:] for c in SHORT_TYPE_CASES],
                         ids=[c[0] for c in SHORT_TYPE_CASES])
def test_short_type(value, expected):
    assert short_type(value) == expected


def test_creation_site_is_the_calling_file_and_line():
    s, line = State(jnp.zeros(1)), _line()
    assert s.source == f"test_state.py:{line}"


def test_label_prefers_name_then_path_then_type_at_site():
    s, line = ShortTermState(jnp.zeros(1)), _line()
    assert s.label() == f"ShortTermState@test_state.py:{line}"
    s.path = ("layers", "0", "h")
    assert s.label() == "layers.0.h"
    s.name = "hidden"
    assert s.label() == "hidden"


def test_describe():
    s = ParamState(jnp.zeros((2, 2)), name="w")
    assert s.describe() == "w (ParamState f32[2,2])"


def test_name_must_be_str():
    with pytest.raises(TypeError, match="State name must be a str or None, got int"):
        State(jnp.zeros(1), name=3)


def test_subclass_hierarchy():
    assert issubclass(HiddenState, ShortTermState)
    assert issubclass(BatchState, LongTermState)
    assert not issubclass(ParamState, ShortTermState)


# ------------------------------------------------------------------ errors

def test_structure_mismatch_error_names_state_and_both_structures():
    s = State(jnp.zeros(3), name="count")
    with pytest.raises(StateValueError) as info:
        s.value = (jnp.zeros(3), jnp.zeros(3))
    assert str(info.value) == (
        "The value assigned to count has pytree structure PyTreeDef((*, *)), but the State "
        "holds PyTreeDef(*). A State keeps its structure; create a new State for a "
        "different structure."
    )
    np.testing.assert_array_equal(s.value, jnp.zeros(3))


def test_assigning_a_state_is_an_error():
    s = State(jnp.zeros(1), name="count")
    with pytest.raises(StateValueError, match=r"Cannot assign a State to count\.value; "
                                               r"assign its \.value instead\."):
        s.value = State(jnp.zeros(1))


# ------------------------------------------------------------------ StateTrace

def test_trace_records_reads_and_writes_in_first_touch_order():
    a = State(jnp.zeros(1), name="a")
    b = State(jnp.zeros(1), name="b")
    c = State(jnp.zeros(1), name="c")
    with StateTrace() as trace:
        b.value = jnp.ones(1)  # written first
        _ = a.value  # read only
        c.value = c.value + 1  # read, then written
        _ = b.value
    assert [s.name for s in trace] == ["b", "a", "c"]
    assert [s.name for s in trace.read_states] == ["a", "c"]
    assert [s.name for s in trace.written_states] == ["b", "c"]
    assert (trace.was_state_read(b), trace.was_state_written(a)) == (True, False)
    assert a in trace and State(1.0) not in trace


def test_trace_restores_values_on_exit_by_default():
    s = State(jnp.zeros(1))
    with StateTrace():
        s.value = jnp.ones(1)
        np.testing.assert_array_equal(s.value, [1.0])
    np.testing.assert_array_equal(s.value, [0.0])


def test_a_frame_holds_its_values_for_its_own_thread_only():
    import threading

    s = State(jnp.zeros(1))
    seen = []
    with StateTrace() as frame:
        s.value = jnp.ones(1)
        t = threading.Thread(target=lambda: seen.append(s.value))
        t.start()
        t.join()
        np.testing.assert_array_equal(s.value, [1.0])
        np.testing.assert_array_equal(frame.held(s), [1.0])
    np.testing.assert_array_equal(seen[0], [0.0])  # the other thread saw the stored value
    np.testing.assert_array_equal(s._value, [0.0])


def test_trace_restores_values_when_an_exception_escapes():
    s = State(jnp.zeros(1))
    with (
        pytest.raises(RuntimeError, match="boom"),
        StateTrace() as outer,
        StateTrace(),
    ):
        s.value = jnp.ones(1)
        raise RuntimeError("boom")
    assert active_traces() == 0
    np.testing.assert_array_equal(s.value, [0.0])
    assert outer.was_state_written(s)


def test_nested_plain_frames_all_record():
    s = State(jnp.zeros(1))
    with StateTrace() as outer:
        assert active_traces() == 1
        with StateTrace() as inner:
            assert active_traces() == 2
            _ = s.value
    assert active_traces() == 0
    assert (s in outer, s in inner) == (True, True)


def test_reads_reach_every_frame_but_staged_writes_stay_inner():
    s = State(jnp.ones(1))
    w = State(jnp.ones(1))
    with StateTrace() as outer, StateTrace(new_arg=lambda st: jnp.zeros(1)) as inner:
        _ = s.value
        w.value = jnp.full(1, 5.0)
    assert (s in outer, s in inner) == (True, True)
    assert (w in outer, w in inner) == (False, True)


def test_staging_frame_replaces_value_on_first_read_and_restores_it():
    s = State(jnp.ones(2))
    staged = []

    def new_arg(state):
        staged.append(state)
        return jnp.full(2, 7.0)

    with StateTrace(new_arg=new_arg) as stage, StateTrace():
        first = s.value
        second = s.value
    assert staged == [s]  # called once, on the first read
    np.testing.assert_array_equal(first, [7.0, 7.0])
    np.testing.assert_array_equal(second, [7.0, 7.0])
    # the staging frame holds the staged input; the stored value never changed
    np.testing.assert_array_equal(stage.held(s), [7.0, 7.0])
    np.testing.assert_array_equal(s._value, [1.0, 1.0])
    np.testing.assert_array_equal(s.value, [1.0, 1.0])


def test_staging_frame_does_not_stage_a_state_written_first():
    s = State(jnp.ones(1))
    with StateTrace(new_arg=lambda st: jnp.full(1, 7.0)) as stage:
        s.value = jnp.zeros(1)
        after_write = s.value
    np.testing.assert_array_equal(after_write, [0.0])
    assert stage.read_states == []
    assert stage.written_states == [s]
