"""States: mutable values that transforms trace, batch and write back.

A :class:`State` holds a pytree of arrays. Reading ``state.value`` and assigning to
it are recorded by the innermost :class:`StateTrace` frames, which is how the
transforms discover the States a function touches without being told.

>>> import jax.numpy as jnp
>>> s = ShortTermState(jnp.zeros(3), name='count')
>>> s
ShortTermState(f32[3], name='count')
>>> with StateTrace() as trace:
...     s.value = s.value + 1.0
>>> [st.name for st in trace.written_states]
['count']
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self

import jax

from ._jax_private import current_trace, enclosing_transform, is_eval_trace

__all__ = [
    "BatchState",
    "HiddenState",
    "LongTermState",
    "OuterTransformError",
    "ParamState",
    "ShortTermState",
    "State",
    "StateTrace",
    "StateValueError",
    "commit",
    "current_value",
    "guard_writes",
    "short_type",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def short_type(value: Any) -> str:
    """Short JAX type of a pytree: ``f32[3]`` for one array, ``(f32[], i32[2])`` for several.

    >>> import jax.numpy as jnp
    >>> short_type(jnp.zeros((2, 3)))
    'f32[2,3]'
    """
    leaves, treedef = jax.tree.flatten(value)
    if treedef.num_leaves == 1 and treedef.num_nodes == 1:
        return _leaf_type(leaves[0])
    return "(" + ", ".join(_leaf_type(x) for x in leaves) + ")"


def _leaf_type(x: Any) -> str:
    try:
        return jax.typeof(x).str_short(short_dtypes=True)
    except TypeError:
        return type(x).__name__


def _creation_site() -> str:
    """``file.py:line`` of the first frame outside this package (where a State was made)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<"):  # notebook cells, exec'd source
            return f"{filename}:{frame.f_lineno}"
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>:0"


class StateValueError(ValueError):
    """A value assigned to a State does not fit it (pytree structure)."""


class State:
    """A mutable, traceable value.

    Args:
      value: a pytree of arrays (or scalars).
      name: optional name, used in tables, graphs and error messages.
      tag: optional tag, selected by :class:`vmapviz.util.filter.WithTag`.

    >>> import jax.numpy as jnp
    >>> s = State(jnp.ones(2), name='w')
    >>> s.value = s.value * 2
    >>> s.value
    Array([2., 2.], dtype=float32)
    """

    __slots__ = ("__weakref__", "_local", "_value", "name", "path", "source", "tag")

    def __init__(self, value: Any, name: str | None = None, tag: str | None = None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"State name must be a str or None, got {type(name).__name__}")
        self._value = value
        self.name = name
        self.tag = tag
        self.source = _creation_site()
        self.path: tuple[str, ...] | None = None
        # Made while a JAX transform traces: a temporary of that trace, which may hold
        # its tracers (a RandomState(key) inside jax.vmap).
        self._local = not is_eval_trace(current_trace())

    @property
    def value(self) -> Any:
        """The current value; reading it is recorded by the active traces."""
        frames = _STACK.frames
        if frames:
            _record(self, write=False)
            return _held_value(self, frames)
        return self._value

    @value.setter
    def value(self, new_value: Any) -> None:
        if isinstance(new_value, State):
            raise StateValueError(
                f"Cannot assign a State to {self.label()}.value; assign its .value instead."
            )
        frames = _STACK.frames
        self._check_structure(new_value, current_value(self))
        guard_writes((self,), "An assignment")
        if frames:
            _record(self, write=True)
            frames[-1].values[id(self)] = new_value
        else:
            self._value = new_value

    def _check_structure(self, new_value: Any, old_value: Any) -> None:
        old_tree = jax.tree.structure(old_value)
        new_tree = jax.tree.structure(new_value)
        if old_tree != new_tree:
            raise StateValueError(
                f"The value assigned to {self.label()} has pytree structure {new_tree}, "
                f"but the State holds {old_tree}. A State keeps its structure; "
                "create a new State for a different structure."
            )

    def restore_value(self, value: Any) -> None:
        """Set the stored value without recording a write (outside every trace)."""
        self._value = value

    def label(self) -> str:
        """How tables and messages name this State: name, else path, else type@site."""
        if self.name:
            return self.name
        if self.path:
            return ".".join(self.path)
        return f"{type(self).__name__}@{self.source}"

    def describe(self) -> str:
        """``label (Type f32[3])``, the form errors use."""
        return f"{self.label()} ({type(self).__name__} {short_type(current_value(self))})"

    def __repr__(self) -> str:
        extra = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({short_type(current_value(self))}{extra})"


class ShortTermState(State):
    """A State that changes from step to step (activations, counters)."""

    __slots__ = ()


class LongTermState(State):
    """A State that persists across steps (running averages)."""

    __slots__ = ()


class ParamState(State):
    """A trainable parameter."""

    __slots__ = ()


class HiddenState(ShortTermState):
    """The hidden state of a recurrent model."""

    __slots__ = ()


class BatchState(LongTermState):
    """A State holding data that has a batch dimension."""

    __slots__ = ()


# --------------------------------------------------------------------- trace stack


class _Stack(threading.local):
    def __init__(self) -> None:
        self.frames: list[StateTrace] = []


_STACK = _Stack()

# Held by every transform call from the first State read to the last write-back, so a
# call is atomic for the States it touches when several threads call transforms.
STATE_LOCK = threading.RLock()


class StateTrace:
    """Records, in order, every State read and written while it is active.

    Frames nest, per thread. Values a frame gives its States (a traced input on first
    read, every write made inside it) are *held* by the frame: only code running in
    this thread inside the frame sees them, and they are dropped when the frame exits,
    so a traced value never reaches ``State._value`` or another thread.

    A write is recorded by the innermost frames down to and including the first
    *staging* frame (one with ``new_arg``). A read is recorded from the innermost
    staging frame that already holds the State upwards, or by every frame, outermost
    first, when none does.

    Args:
      new_arg: ``new_arg(state) -> value`` called on first read in this frame; the
        frame holds the returned value for the State until it exits.
      values: ``{state: value}`` the frame holds from the start.
    """

    def __init__(self, new_arg: Callable[[State], Any] | None = None,
                 values: dict[State, Any] | None = None):
        self.new_arg = new_arg
        self.values: dict[int, Any] = {}
        self._kept: list[State] = []  # keeps the States behind ``values`` alive
        for state, value in (values or {}).items():
            self.values[id(state)] = value
            self._kept.append(state)
        self.jax_trace: Any = None
        self.retyped: dict[int, Any] = {}  # States a nested write-back gave a batch axis
        self.states: list[State] = []
        self._index: dict[int, int] = {}
        self.read_first: list[bool] = []
        self.was_read: list[bool] = []
        self.was_written: list[bool] = []

    def __enter__(self) -> Self:
        self.jax_trace = current_trace()
        _STACK.frames.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        popped = _STACK.frames.pop()
        assert popped is self, "StateTrace frames exited out of order"

    def held(self, state: State) -> Any:
        """The value this frame holds for ``state`` (KeyError when it holds none)."""
        return self.values[id(state)]

    def _touch(self, state: State, write: bool) -> None:
        i = self._index.get(id(state))
        if i is None:
            i = len(self.states)
            self._index[id(state)] = i
            self.states.append(state)
            self.read_first.append(not write)
            self.was_read.append(False)
            self.was_written.append(False)
            if not write and self.new_arg is not None:
                self.values[id(state)] = self.new_arg(state)
        if write:
            self.was_written[i] = True
        else:
            self.was_read[i] = True

    def __contains__(self, state: State) -> bool:
        return id(state) in self._index

    @property
    def read_states(self) -> list[State]:
        """States whose value before the frame was needed (read before any write)."""
        return [s for s, r in zip(self.states, self.read_first) if r]

    @property
    def written_states(self) -> list[State]:
        return [s for s, w in zip(self.states, self.was_written) if w]

    def was_state_written(self, state: State) -> bool:
        i = self._index.get(id(state))
        return i is not None and self.was_written[i]

    def was_state_read(self, state: State) -> bool:
        i = self._index.get(id(state))
        return i is not None and self.was_read[i]

    def __iter__(self) -> Iterator[State]:
        return iter(self.states)


def _held_value(state: State, frames: list[StateTrace]) -> Any:
    key = id(state)
    for frame in reversed(frames):
        values = frame.values
        if key in values:
            return values[key]
    return state._value


def current_value(state: State) -> Any:
    """The value ``state`` has for code running here: held by a frame, else stored.

    Never records a read.
    """
    frames = _STACK.frames
    return _held_value(state, frames) if frames else state._value


def _record(state: State, write: bool) -> None:
    frames = _STACK.frames
    depth = len(frames) - 1
    if write:
        # A write holds a value of the innermost staged trace: only the frames down to
        # that staging frame see it; outer frames see the write-back that follows.
        while depth > 0 and frames[depth].new_arg is None:
            depth -= 1
    else:
        # A read belongs to the innermost staging frame that already holds the State
        # (its value is that trace's); a State no staging frame holds yet is read at
        # every level, outermost first, so each staging frame sees the value its
        # enclosing trace gives it.
        while depth >= 0 and not (frames[depth].new_arg is not None and state in frames[depth]):
            depth -= 1
        depth = max(depth, 0)
    for frame in frames[depth:]:
        frame._touch(state, write)


def active_traces() -> int:
    """Number of active :class:`StateTrace` frames on this thread (0 outside every transform)."""
    return len(_STACK.frames)


# --------------------------------------------------------------------- foreign traces


class OuterTransformError(RuntimeError):
    """A State write under a plain JAX transform, which would leave a tracer in the State."""


# What to use instead of a JAX transform that cannot carry State writes.
_INSTEAD = {
    "jax.jit": "vmapviz.transform.jit",
    "jax.vmap": "vmapviz.transform.vmap2",
    "jax.pmap": "vmapviz.transform.pmap2",
    "jax.grad": "vmapviz.transform.grad",
    "jax.value_and_grad": "vmapviz.transform.grad (return_value=True)",
    "jax.lax.scan": "vmapviz.transform.scan",
    "jax.lax.map": "vmapviz.transform.map",
    "jax.lax.fori_loop": "vmapviz.transform.fori_loop",
    "jax.lax.while_loop": "vmapviz.transform.while_loop",
    "jax.lax.cond": "vmapviz.transform.cond",
    "jax.lax.switch": "vmapviz.transform.switch",
    "jax.checkpoint": "vmapviz.transform.remat",
}


def outer_transform_error(states: list[State], what: str) -> OuterTransformError:
    """The error for State writes that an enclosing plain JAX transform cannot carry out."""
    outer = enclosing_transform()
    names = ", ".join(s.describe() for s in states)
    plural = "States" if len(states) > 1 else "State"
    instead = _INSTEAD.get(outer)
    fix = (f"Use {instead} instead of {outer}: it carries State writes out of its trace."
           if instead else
           f"Move the State write outside {outer}, or pass the value in and out explicitly.")
    if any(s.__class__.__name__ == "RandomState" for s in states):
        fix += " A random draw writes its RandomState; pass key= to draw without writing."
    return OuterTransformError(
        f"{what} writes {plural} {names} inside {outer}, whose traced values cannot be "
        f"stored in a State (they would outlive the trace). Nothing was written. {fix}"
    )


def guard_writes(states: Sequence[State], what: str) -> None:
    """Raise :class:`OuterTransformError` before anything is stored in ``states`` when an
    enclosing plain JAX transform, one no active frame owns, is tracing right now.

    A traced value would outlive its trace; a concrete one would be wrong too (under
    ``jax.vmap`` every outer lane would share one draw and one write). States created
    inside that trace are its own temporaries and may be written.
    """
    trace = current_trace()
    if is_eval_trace(trace):
        return
    frames = _STACK.frames
    if frames and frames[-1].jax_trace is trace:
        return
    bad = [s for s in states if not s._local]
    if bad:
        raise outer_transform_error(bad, what)


def commit(states: list[State], values: list[Any], what: str,
           retyped: frozenset[int] = frozenset()) -> None:
    """Store a transform's results in its States: all of them, or none (see
    :func:`guard_writes`). Outside every frame the values are stored directly (their
    structure was checked when the trace wrote them); inside, as recorded writes.

    ``retyped`` holds the ids of States whose type the transform's write-back changed
    on purpose (a batch axis added): an enclosing trace accepts their new type.
    """
    guard_writes(states, what)
    frames = _STACK.frames
    if frames:
        for state, value in zip(states, values):
            state.value = value
            if id(state) in retyped:
                frames[-1].retyped[id(state)] = value
    else:
        for state, value in zip(states, values):
            state._value = value
