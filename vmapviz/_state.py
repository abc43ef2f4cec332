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
from collections.abc import Callable, Iterator
from typing import Any, Self

import jax

__all__ = [
    "BatchState",
    "HiddenState",
    "LongTermState",
    "ParamState",
    "ShortTermState",
    "State",
    "StateTrace",
    "StateValueError",
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

    __slots__ = ("__weakref__", "_value", "name", "path", "source", "tag")

    def __init__(self, value: Any, name: str | None = None, tag: str | None = None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"State name must be a str or None, got {type(name).__name__}")
        self._value = value
        self.name = name
        self.tag = tag
        self.source = _creation_site()
        self.path: tuple[str, ...] | None = None

    @property
    def value(self) -> Any:
        """The current value; reading it is recorded by the active traces."""
        if _STACK.frames:
            _record(self, write=False)
        return self._value

    @value.setter
    def value(self, new_value: Any) -> None:
        if isinstance(new_value, State):
            raise StateValueError(
                f"Cannot assign a State to {self.label()}.value; assign its .value instead."
            )
        self._check_structure(new_value)
        if _STACK.frames:
            _record(self, write=True)
        self._value = new_value

    def _check_structure(self, new_value: Any) -> None:
        old_tree = jax.tree.structure(self._value)
        new_tree = jax.tree.structure(new_value)
        if old_tree != new_tree:
            raise StateValueError(
                f"The value assigned to {self.label()} has pytree structure {new_tree}, "
                f"but the State holds {old_tree}. A State keeps its structure; "
                "create a new State for a different structure."
            )

    def restore_value(self, value: Any) -> None:
        """Set the value without recording a write (used by transforms)."""
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
        return f"{self.label()} ({type(self).__name__} {short_type(self._value)})"

    def __repr__(self) -> str:
        extra = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({short_type(self._value)}{extra})"


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


class StateTrace:
    """Records, in order, every State read and written while it is active.

    Frames nest. A write is recorded by the innermost frames down to and including the
    first *staging* frame (one with ``new_arg``, which turns a State's value into an
    input of the trace it stages when first read). A read is recorded from the
    innermost staging frame that already holds the State upwards, or by every frame,
    outermost first, when none does.
    Leaving the frame puts back every value it saw first, whatever happened.

    Args:
      new_arg: ``new_arg(state) -> value`` called on first read in this frame;
        the State holds the returned value until the frame exits.
      restore: put the original values back on exit (default ``True``).
    """

    def __init__(self, new_arg: Callable[[State], Any] | None = None, restore: bool = True):
        self.new_arg = new_arg
        self.restore = restore
        self.states: list[State] = []
        self._index: dict[int, int] = {}
        self.originals: list[Any] = []
        self.read_first: list[bool] = []
        self.was_read: list[bool] = []
        self.was_written: list[bool] = []

    def __enter__(self) -> Self:
        _STACK.frames.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        popped = _STACK.frames.pop()
        assert popped is self, "StateTrace frames exited out of order"
        if self.restore:
            self.restore_originals()

    def restore_originals(self) -> None:
        """Put back the value each State had when this frame first saw it."""
        for state, original in zip(self.states, self.originals):
            state._value = original

    def _touch(self, state: State, write: bool) -> None:
        i = self._index.get(id(state))
        if i is None:
            i = len(self.states)
            self._index[id(state)] = i
            self.states.append(state)
            self.originals.append(state._value)
            self.read_first.append(not write)
            self.was_read.append(False)
            self.was_written.append(False)
            if not write and self.new_arg is not None:
                state._value = self.new_arg(state)
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

    def original_value(self, state: State) -> Any:
        return self.originals[self._index[id(state)]]

    def __iter__(self) -> Iterator[State]:
        return iter(self.states)


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
    """Number of active :class:`StateTrace` frames (0 outside every transform)."""
    return len(_STACK.frames)
