"""Engine truth: what a State holds, which writes are refused, and what calls are told.

Pins the contract of the "engine truth" commit (b9e4ec9); every test here fails on the
commit before it (ab58617):

1. static arguments are keyed by value and type, as in ``jax.jit``;
2. a State write under a plain JAX transform raises ``vmapviz.OuterTransformError`` and
   leaves every State as it was (reads keep working);
3. States and random keys are safe to use from several threads;
4. a write inside a transform never changes a State's type (only the documented
   write-back policies add a batch axis, and they say so);
5. out-of-range out axes are reported by what they apply to;
6. cache records tell the truth about weak types and filter answers;
7. an observer that raises becomes a ``RuntimeWarning``;
8. ``None`` keys in ``state_in_axes`` / ``state_out_axes``;
9. a property: nested plain JAX transforms around stateful calls either compute the
   pure result (reads) or refuse by name, never leaving a tracer in a State.

New names (``vmapviz.OuterTransformError``, ``vmapviz.StateValueError``) are looked up
inside the tests, so the file imports on the old code too.
"""

from __future__ import annotations

import contextlib
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import vmapviz
from vmapviz import LongTermState, ParamState, ShortTermState, State
from vmapviz import random as vrandom
from vmapviz.inspection import words
from vmapviz.records import Change
from vmapviz.transform import StatefulMapping, add_observer, observe, remove_observer, vmap2
from vmapviz.util.filter import OfType, WithTag

# ------------------------------------------------------------------------ helpers


def _is_key(x) -> bool:
    return jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _stored(state: State) -> list[np.ndarray]:
    """What ``state`` holds now, as NumPy leaves (key data for keys); never a tracer."""
    leaves = jax.tree.leaves(state.value)
    tracers = [x for x in leaves if isinstance(x, jax.core.Tracer)]
    assert not tracers, f"State {state.label()} holds a tracer: {tracers}"
    return [np.asarray(jax.random.key_data(x)) if _is_key(x) else np.asarray(x) for x in leaves]


def _assert_unchanged(states: list[State], before: list[list[np.ndarray]]) -> None:
    """Every State holds exactly (value and dtype) what it held before, and no tracer."""
    for state, old in zip(states, before, strict=True):
        now = _stored(state)
        assert len(now) == len(old), state.label()
        for a, b in zip(now, old):
            assert a.dtype == b.dtype, f"{state.label()}: dtype {b.dtype} became {a.dtype}"
            np.testing.assert_array_equal(a, b, err_msg=state.label())


@contextlib.contextmanager
def _default_key_restored():
    """Put ``random.DEFAULT``'s key back afterwards (the old code leaves tracers in it)."""
    saved = vrandom.DEFAULT.value
    try:
        yield
    finally:
        vrandom.DEFAULT.restore_value(saved)


def _batched_counter(name: str = "count"):
    """A ShortTermState of shape (3,) batched in and out, and a vmap2 that adds to it."""
    count = ShortTermState(jnp.arange(3.0), name=name)

    def step(x):
        count.value = count.value + x
        return count.value * 2.0

    mapped = vmap2(step, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
    return count, mapped


def _run_threads(target, n: int) -> list[BaseException]:
    """Run ``target`` in ``n`` threads, started together; return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def guarded():
        try:
            start.wait(timeout=30)
            target()
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=guarded) for _ in range(n)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so their calls interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    return errors


# ------------------------------------------------------ 1. static args: value and type


def _triple_if_true(x, flag):
    return x * 3 if flag is True else x


def _times(x, flag):
    return x * flag


STATIC_MAKERS = {
    "vmap2 static_argnums": (lambda f: vmap2(f, static_argnums=1), False),
    "vmap2 static_argnames": (lambda f: vmap2(f, static_argnames="flag"), True),
    "jit static_argnums": (lambda f: vmapviz.transform.jit(f, static_argnums=1), False),
    "jit static_argnames": (lambda f: vmapviz.transform.jit(f, static_argnames="flag"), True),
    "StatefulMapping static_argnums": (lambda f: StatefulMapping(f, static_argnums=(1,)), False),
    "StatefulMapping static_argnames": (lambda f: StatefulMapping(f, static_argnames="flag"),
                                        True),
}


def _call_static(fn, x, flag, by_name: bool):
    return fn(x, flag=flag) if by_name else fn(x, flag)


@pytest.mark.parametrize("maker", list(STATIC_MAKERS))
def test_static_argument_1_and_true_are_different_cache_keys(maker):
    make, by_name = STATIC_MAKERS[maker]
    fn = make(_triple_if_true)
    x = jnp.arange(3.0)
    np.testing.assert_array_equal(_call_static(fn, x, 1, by_name), x)
    np.testing.assert_array_equal(_call_static(fn, x, True, by_name), 3 * x)
    assert fn.trace_count == 2


@pytest.mark.parametrize("maker", list(STATIC_MAKERS))
def test_static_argument_2_then_2_0_gives_the_dtype_jax_jit_gives(maker):
    make, by_name = STATIC_MAKERS[maker]
    fn = make(_times)
    reference = jax.jit(_times, static_argnums=1)
    x = jnp.arange(3, dtype=jnp.int32)
    for flag in (2, 2.0):
        got, want = _call_static(fn, x, flag, by_name), reference(x, flag)
        assert got.dtype == want.dtype, f"flag={flag!r}: {got.dtype}, jax.jit gives {want.dtype}"
        np.testing.assert_array_equal(got, want)
    assert fn.trace_count == 2


# ------------------------------------------- 2. State writes under plain JAX transforms


def _stack2(x):
    return jnp.stack([x, x + 1.0])


# name -> (run the mapped function under it, the vmapviz transform the message suggests)
OUTER_TRANSFORMS = {
    "jax.jit": (lambda m, x: jax.jit(m)(x), "vmapviz.transform.jit"),
    "jax.vmap": (lambda m, x: jax.vmap(m)(_stack2(x)), "vmapviz.transform.vmap2"),
    "jax.lax.scan": (lambda m, x: jax.lax.scan(lambda c, xi: (c, m(xi)), 0.0, _stack2(x)),
                     "vmapviz.transform.scan"),
    "jax.grad": (lambda m, x: jax.grad(lambda y: m(y).sum())(x), "vmapviz.transform.grad"),
    "jax.lax.cond": (lambda m, x: jax.lax.cond(True, m, lambda y: y, x),
                     "vmapviz.transform.cond"),
    "jax.lax.while_loop": (
        lambda m, x: jax.lax.while_loop(lambda c: c[0] < 2, lambda c: (c[0] + 1, m(c[1])),
                                        (0, x)),
        "vmapviz.transform.while_loop"),
    "jax.checkpoint": (lambda m, x: jax.checkpoint(m)(x), None),  # no stateful counterpart
}


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("outer", list(OUTER_TRANSFORMS))
def test_vmap2_state_write_under_plain_jax_transform_is_refused_by_name(outer, warm):
    run, instead = OUTER_TRANSFORMS[outer]
    count, mapped = _batched_counter("count")
    x = jnp.array([1.0, 2.0, 3.0])
    if warm:  # traced and cached eagerly first: the warm path must refuse too
        mapped(x)
    before = [_stored(count)]
    with pytest.raises(vmapviz.OuterTransformError) as info:
        run(mapped, x)
    message = str(info.value)
    assert "count" in message
    assert outer in message
    if instead is not None:
        assert instead in message
    _assert_unchanged([count], before)
    # the State still works eagerly afterwards
    mapped(x)
    np.testing.assert_array_equal(count.value, before[0][0] + np.asarray(x))


@pytest.mark.parametrize("which", ["random.DEFAULT", "own RandomState"])
def test_random_draw_under_jax_jit_is_refused_and_the_key_kept(which):
    with _default_key_restored():
        if which == "random.DEFAULT":
            rng, draw = vrandom.DEFAULT, vrandom.normal
        else:
            rng = vrandom.RandomState(11, name="noise")
            draw = rng.normal
        mapped = vmap2(lambda x: x + draw())
        before = [_stored(rng)]
        with pytest.raises(vmapviz.OuterTransformError) as info:
            jax.jit(mapped)(jnp.arange(3.0))
        message = str(info.value)
        assert rng.label() in message
        assert "jax.jit" in message and "vmapviz.transform.jit" in message
        assert "key=" in message
        _assert_unchanged([rng], before)


def test_jax_jit_around_vmapviz_jit_write_is_refused():
    total = State(jnp.zeros(()), name="total")

    @vmapviz.transform.jit
    def add(x):
        total.value = total.value + x.sum()
        return x * 2.0

    add(jnp.ones(3))  # cached eagerly first
    before = [_stored(total)]
    with pytest.raises(vmapviz.OuterTransformError) as info:
        jax.jit(add)(jnp.ones(3))
    message = str(info.value)
    assert "total" in message and "jax.jit" in message and "vmapviz.transform.jit" in message
    _assert_unchanged([total], before)


def test_direct_assignment_inside_jax_jit_is_refused():
    direct = State(jnp.zeros(3), name="direct")
    before = [_stored(direct)]
    with pytest.raises(vmapviz.OuterTransformError) as info:
        jax.jit(lambda x: setattr(direct, "value", x))(jnp.ones(3))
    message = str(info.value)
    assert "direct" in message and "jax.jit" in message and "vmapviz.transform.jit" in message
    _assert_unchanged([direct], before)


def test_refused_write_leaves_reads_and_trace_local_random_states_working():
    w = ParamState(jnp.array([0.5, 1.0, 2.0]), name="w")

    def read(x):
        return jnp.sin(x) * w.value + 1.0

    def bump(x):
        w.value = w.value + x
        return x

    reader = vmap2(read, state_in_axes={0: ParamState})
    writer = vmap2(bump, state_in_axes={0: ParamState}, state_out_axes={0: ParamState})
    x = jnp.array([0.1, 0.2, 0.3])
    eager = reader(x)
    np.testing.assert_allclose(jax.jit(reader)(x), eager)
    with pytest.raises(vmapviz.OuterTransformError):
        jax.jit(writer)(x)
    _assert_unchanged([w], [[np.array([0.5, 1.0, 2.0], np.float32)]])
    # reads through plain transforms still see the stored value
    np.testing.assert_allclose(jax.jit(reader)(x), eager)
    np.testing.assert_allclose(jax.vmap(reader)(jnp.stack([x, x])), jnp.stack([eager, eager]))
    np.testing.assert_allclose(reader(x), eager)

    # a RandomState made inside jax.vmap belongs to that trace: it may draw
    with _default_key_restored():
        default_before = [_stored(vrandom.DEFAULT)]
        keys = jax.random.split(jax.random.key(0), 3)
        got = jax.vmap(lambda xi, k: xi + vrandom.RandomState(k).normal())(x, keys)
        want = jax.vmap(lambda xi, k: xi + jax.random.normal(jax.random.split(k)[1]))(x, keys)
        np.testing.assert_allclose(got, want)
        _assert_unchanged([vrandom.DEFAULT], default_before)


# --------------------------------------------------------------------------- 3. threads


def test_other_thread_reads_the_stored_value_while_a_trace_runs():
    shared = State(jnp.arange(3.0), name="shared")
    inside, release = threading.Event(), threading.Event()

    def slow(x):
        value = shared.value
        inside.set()
        assert release.wait(30), "the test never released the trace"
        shared.value = value + x
        return x

    mapped = vmap2(slow, state_in_axes={0: State}, state_out_axes={0: State})
    worker_errors: list[BaseException] = []

    def work():
        try:
            mapped(jnp.ones(3))
        except BaseException as err:  # noqa: BLE001 - reported below
            worker_errors.append(err)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert inside.wait(30), "the trace never started"
        seen = shared.value  # read while the other thread is inside the trace
    finally:
        release.set()
        worker.join(timeout=60)
    assert not worker_errors, worker_errors
    assert not isinstance(seen, jax.core.Tracer), f"another thread saw {seen!r}"
    np.testing.assert_array_equal(seen, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(shared.value, [1.0, 2.0, 3.0])


def test_threads_calling_one_mapping_lose_no_increment():
    hits = ShortTermState(jnp.zeros(2), name="hits")

    def inc(x):
        hits.value = hits.value + x
        return x

    mapped = vmap2(inc, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
    mapped(jnp.zeros(2))  # traced and compiled before the threads start
    ones = jnp.ones(2)

    def forty_calls():
        for _ in range(40):
            mapped(ones)

    for done in (160.0, 320.0, 480.0):  # three rounds of 4 threads x 40 calls
        assert _run_threads(forty_calls, 4) == []
        np.testing.assert_array_equal(hits.value, [done, done])


@pytest.mark.parametrize("which", ["random.normal", "RandomState.normal"])
def test_threads_drawing_random_numbers_never_share_a_key(which):
    with _default_key_restored():
        draw = vrandom.normal if which == "random.normal" else vrandom.RandomState(3).normal
        values: list[float] = []
        lock = threading.Lock()

        def two_hundred_draws():
            mine = [float(draw()) for _ in range(200)]
            with lock:
                values.extend(mine)

        assert _run_threads(two_hundred_draws, 4) == []
        assert len(values) == 800
        assert len(set(values)) == 800, f"only {len(set(values))} distinct values of 800"


def test_clear_cache_racing_calls_never_raises_and_loses_no_write():
    hits = ShortTermState(jnp.zeros(2), name="hits")

    def inc(x):
        hits.value = hits.value + x
        return x * 2.0

    mapped = vmap2(inc, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
    stop = threading.Event()
    clear_errors: list[BaseException] = []

    def keep_clearing():
        try:
            while not stop.is_set():
                mapped.clear_cache()
        except BaseException as err:  # noqa: BLE001 - reported below
            clear_errors.append(err)

    clearer = threading.Thread(target=keep_clearing)
    clearer.start()
    try:
        call_errors = _run_threads(lambda: [mapped(jnp.ones(2)) for _ in range(20)], 3)
    finally:
        stop.set()
        clearer.join(timeout=60)
    assert call_errors == [] and clear_errors == []
    np.testing.assert_array_equal(hits.value, [60.0, 60.0])


# ------------------------------------------------------------ 4. type-changing writes


def _types_case(kind: str):
    """(state, run, old type, new type) for a write changing a State's type in ``kind``."""
    x = jnp.arange(3.0)
    if kind == "vmap2 shape":  # batched: f32[3] per lane, written f32[2]
        s = ShortTermState(jnp.zeros((3, 3)), name="lanes")

        def f(xi):
            s.value = jnp.zeros(2) + xi
            return xi

        m = vmap2(f, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
        return s, lambda: m(x), "f32[3]", "f32[2]"
    if kind == "vmap2 dtype":
        s = ShortTermState(jnp.zeros(3), name="lanes")

        def f(xi):
            s.value = s.value.astype(jnp.int32)
            return xi

        m = vmap2(f, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
        return s, lambda: m(x), "f32[]", "i32[]"
    s = ShortTermState(jnp.zeros(3), name="held")
    if kind == "jit shape":
        def f(xi):
            s.value = jnp.zeros(2)
            return xi

        return s, lambda: vmapviz.transform.jit(f)(x), "f32[3]", "f32[2]"
    if kind == "jit dtype":
        def f(xi):
            s.value = s.value.astype(jnp.int32)
            return xi

        return s, lambda: vmapviz.transform.jit(f)(x), "f32[3]", "i32[3]"
    if kind == "scan dtype":
        def body(c, xi):
            s.value = s.value.astype(jnp.int32)
            return c, xi

        return s, lambda: vmapviz.transform.scan(body, 0.0, x), "f32[3]", "i32[3]"
    if kind == "cond dtype":
        def yes(xi):
            s.value = s.value.astype(jnp.int32)
            return xi

        return s, lambda: vmapviz.transform.cond(True, yes, lambda xi: xi, x), "f32[3]", "i32[3]"
    if kind == "grad shape":
        def loss(xi):
            s.value = jnp.zeros(5) + xi.sum()
            return (xi ** 2).sum()

        return s, lambda: vmapviz.transform.grad(loss)(x), "f32[3]", "f32[5]"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["vmap2 shape", "vmap2 dtype", "jit shape", "jit dtype",
                                  "scan dtype", "cond dtype", "grad shape"])
def test_type_changing_write_inside_a_transform_is_refused_by_name(kind):
    state, run, old, new = _types_case(kind)
    before = [_stored(state)]
    error = vmapviz.StateValueError
    with pytest.raises(error) as info:
        run()
    assert issubclass(error, ValueError)
    message = str(info.value)
    assert state.label() in message
    assert old in message and new in message, message
    _assert_unchanged([state], before)


@pytest.mark.parametrize("transform", ["vmap2", "jit"])
def test_non_array_write_inside_a_transform_names_the_state_not_a_vmapviz_file(transform):
    s = ShortTermState(jnp.zeros(3), name="words")

    def f(x):
        s.value = "text"
        return x

    if transform == "vmap2":
        fn = vmap2(f, state_in_axes={0: ShortTermState}, state_out_axes={0: ShortTermState})
    else:
        fn = vmapviz.transform.jit(f)
    before = [_stored(s)]
    with pytest.raises(vmapviz.StateValueError) as info:
        fn(jnp.arange(3.0))
    message = str(info.value)
    assert "words" in message and "str" in message
    assert "vmapviz/" not in message and ".py" not in message, message
    _assert_unchanged([s], before)


def test_policy_batch_axis_is_announced_unless_declared():
    x = jnp.array([1.0, 2.0, 3.0])
    acc = State(jnp.asarray(0.0), name="acc")

    def add(xi):
        acc.value = acc.value + xi
        return xi

    with pytest.warns(UserWarning, match=r"State acc .*gains a batch axis of size 3"):
        vmap2(add)(x)  # default policy 'auto': read and written, so it grows, loudly
    assert acc.value.shape == (3,)
    np.testing.assert_array_equal(acc.value, [1.0, 2.0, 3.0])

    declared = State(jnp.asarray(0.0), name="declared")

    def add_declared(xi):
        declared.value = declared.value + xi
        return xi

    vmap2(add_declared, state_out_axes={0: State})(x)  # declared: silent (warnings fail)
    assert declared.value.shape == (3,)
    np.testing.assert_array_equal(declared.value, [1.0, 2.0, 3.0])


def test_auto_grown_state_warns_again_when_the_batch_size_changes():
    grown = State(jnp.asarray(0.0), name="grown")

    def add(xi):
        grown.value = grown.value + xi
        return xi

    mapped = vmap2(add)
    with pytest.warns(UserWarning, match="grown"):
        mapped(jnp.arange(3.0))
    assert grown.value.shape == (3,)
    mapped(jnp.arange(3.0))  # leading size 3 = batch size: fed per lane, no warning
    assert grown.value.shape == (3,)
    with pytest.warns(UserWarning, match=r"State grown .*4 lanes") as record:
        mapped(jnp.arange(4.0))
    assert len(record) == 1
    assert grown.value.shape == (4, 3)


# ----------------------------------------------------------------------- 5. messages


def test_state_out_axis_out_of_range_names_the_state_and_state_out_axes():
    lane_scalar = State(jnp.asarray(0.0), name="lane_scalar")

    def f(x):
        lane_scalar.value = x * 2.0
        return x

    mapped = vmap2(f, state_out_axes={2: OfType(State)})
    with pytest.raises(ValueError) as info:
        mapped(jnp.arange(3.0))
    message = str(info.value)
    assert "lane_scalar" in message and "state_out_axes" in message, message


def test_out_axis_out_of_range_names_the_output():
    with pytest.raises(ValueError) as info:
        vmap2(lambda x: x * 2.0, out_axes=2)(jnp.arange(3.0))
    message = str(info.value)
    assert "output 0" in message and "out_axes" in message, message


# -------------------------------------------------------------------- 6. cache truth


def test_weak_typed_argument_after_strong_one_misses_and_says_weak():
    mapped = vmap2(lambda x, y: x * y, in_axes=(0, None))
    x = jnp.arange(3.0)
    with observe() as log:
        mapped(x, jnp.float32(1.0))
        mapped(x, 1.0)
    caches = [r for r in log if r.stage == "cache"]
    assert [r.hit for r in caches] == [False, False]
    assert "weak" in words.miss_reason(caches[1]), caches[1]
    assert mapped.trace_count == 2


def test_tag_change_that_flips_a_filter_retraces_and_broadcasts_the_state():
    tagged = State(jnp.array([10.0, 20.0, 30.0]), name="tagged", tag="per_lane")

    def add(x):
        return x + tagged.value

    mapped = vmap2(add, state_in_axes={0: WithTag("per_lane")})
    x = jnp.arange(3.0)
    np.testing.assert_array_equal(mapped(x), [10.0, 21.0, 32.0])  # batched: one per lane
    assert mapped.trace_count == 1
    tagged.tag = "shared"
    with observe() as log:
        out = mapped(x)
    assert mapped.trace_count == 2
    caches = [r for r in log if r.stage == "cache"]
    assert len(caches) == 1 and not caches[0].hit
    assert "tagged" in words.miss_reason(caches[0]), caches[0]
    assert caches[0].changes[0].change is Change.STATE_FILTERS
    assert caches[0].changes[0].detail == "'shared'"
    # now broadcast: every lane adds the whole (3,) value
    np.testing.assert_array_equal(out, np.arange(3.0)[:, None] + np.array([10.0, 20.0, 30.0]))


# ----------------------------------------------------------------------- 7. observers


def _broken_on_every_record(record):
    raise RuntimeError("broken on every record")


def _broken_on_write_back(record):
    if record.stage == "write_back":
        raise RuntimeError("broken on write-back")


@pytest.mark.parametrize("observer", [_broken_on_every_record, _broken_on_write_back],
                         ids=["every record", "write_back only"])
def test_raising_observer_becomes_a_runtime_warning_and_changes_nothing(observer):
    x = jnp.array([1.0, 2.0, 3.0])
    plain_count, plain = _batched_counter("plain")
    want = plain(x)
    count, mapped = _batched_counter("watched")
    add_observer(observer)
    try:
        with pytest.warns(RuntimeWarning, match=observer.__name__):
            got = mapped(x)
    finally:
        remove_observer(observer)
    np.testing.assert_array_equal(got, want)
    _assert_unchanged([count], [_stored(plain_count)])


# ----------------------------------------------------------- 8. None keys in state axes


def test_none_keys_in_state_axes_are_accepted():
    scale = ParamState(jnp.asarray(2.0), name="scale")
    trace = ShortTermState(jnp.zeros(3), name="trace")
    total = LongTermState(jnp.asarray(1.0), name="total")

    def step(x):
        trace.value = trace.value + scale.value * x
        total.value = total.value + 5.0  # the same in every lane
        return x

    mapped = vmap2(
        step,
        state_in_axes={None: OfType(ParamState), 0: OfType(ShortTermState)},
        state_out_axes={None: OfType(LongTermState), 0: OfType(ShortTermState)},
    )
    mapped(jnp.arange(3.0))
    np.testing.assert_array_equal(trace.value, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(scale.value, 2.0)
    # declared unbatched on output, written with a lane-invariant value: written as is
    assert total.value.shape == ()
    np.testing.assert_array_equal(total.value, 6.0)


def test_none_declared_out_state_written_per_lane_raises_batch_axis_error_by_name():
    total = LongTermState(jnp.asarray(0.0), name="total")

    def step(x):
        total.value = total.value + x  # varies by lane
        return x

    mapped = vmap2(step, state_out_axes={None: OfType(LongTermState)})
    before = [_stored(total)]
    with pytest.raises(vmapviz.BatchAxisError) as info:
        mapped(jnp.arange(3.0))
    assert "total" in str(info.value)
    _assert_unchanged([total], before)


# ------------------------------------ 9. property: nested plain transforms never leak


def _kind_read_write():
    return _batched_counter("rw_count") + (None,)


def _kind_read_only():
    w = ParamState(jnp.array([0.5, 1.0, 2.0]), name="ro_w")
    w0 = np.asarray(w.value)
    mapped = vmap2(lambda x: jnp.sin(x) * w.value + 1.0, state_in_axes={0: ParamState})
    return w, mapped, lambda x: jnp.sin(x) * w0 + 1.0  # the pure reference, no States


def _kind_jit_write():
    total = State(jnp.zeros(()), name="jit_total")

    def add(x):
        total.value = total.value + x.sum()
        return x * 2.0

    return total, vmapviz.transform.jit(add), None


def _kind_random_draw():
    rng = vrandom.RandomState(7, name="prop_rng")
    return rng, vmap2(lambda x: x + rng.normal()), None


MAPPED_KINDS = {
    "vmap2 read-write": _kind_read_write,
    "vmap2 read-only": _kind_read_only,
    "jit write": _kind_jit_write,
    "vmap2 random draw": _kind_random_draw,
}

# name -> (wrap a function, adds a leading axis of size 2 to its input)
PLAIN_TRANSFORMS = {
    "jax.jit": (jax.jit, False),
    "jax.vmap": (jax.vmap, True),
    "jax.lax.scan": (lambda g: lambda xs: jax.lax.scan(lambda c, x: (c, g(x)), 0.0, xs)[1],
                     True),
    "jax.grad": (lambda g: jax.grad(lambda x: g(x).sum()), False),
    "jax.checkpoint": (jax.checkpoint, False),
}


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(
    kind=st.sampled_from(list(MAPPED_KINDS)),
    nesting=st.lists(st.sampled_from(list(PLAIN_TRANSFORMS)), min_size=1, max_size=3),
)
@example(kind="vmap2 read-write", nesting=["jax.jit"])
@example(kind="vmap2 read-only", nesting=["jax.grad", "jax.vmap", "jax.jit"])
def test_nested_plain_transforms_compute_reads_or_refuse_writes(kind, nesting):
    state, mapped, reference = MAPPED_KINDS[kind]()
    before = [_stored(state)]
    fn, ref, shape = mapped, reference, (3,)
    for name in nesting:  # innermost first
        wrap, adds_axis = PLAIN_TRANSFORMS[name]
        fn = wrap(fn)
        ref = None if ref is None else wrap(ref)
        shape = (2, *shape) if adds_axis else shape
    x = jnp.linspace(0.1, 1.0, int(np.prod(shape)), dtype=jnp.float32).reshape(shape)

    if ref is not None:  # reads only: the pure-JAX result
        np.testing.assert_allclose(fn(x), ref(x), rtol=1e-5, atol=1e-6)
        _assert_unchanged([state], before)
        return
    with pytest.raises(vmapviz.OuterTransformError) as info:
        fn(x)
    assert state.label() in str(info.value)
    _assert_unchanged([state], before)


@pytest.mark.parametrize("outer", ["jax.vmap", "jax.grad"])
def test_random_draw_under_plain_vmap_or_grad_is_refused_and_the_key_kept(outer):
    """The property above for its shortest random-draw cases, pinned."""
    rng, mapped, _ = _kind_random_draw()
    wrap, adds_axis = PLAIN_TRANSFORMS[outer]
    x = jnp.linspace(0.1, 1.0, 6).reshape(2, 3) if adds_axis else jnp.linspace(0.1, 1.0, 3)
    before = [_stored(rng)]
    with pytest.raises(vmapviz.OuterTransformError) as info:
        wrap(mapped)(x)
    assert "prop_rng" in str(info.value) and outer in str(info.value)
    _assert_unchanged([rng], before)
