"""Observers: callables that receive every stage record as it is made.

Records are only built while someone observes, so an unobserved call pays nothing.

>>> seen = []
>>> with observe() as log:
...     emit_if_observed(lambda: 'a record')
>>> log
['a record']
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "add_observer",
    "capture_values",
    "emit_if_observed",
    "observe",
    "observing",
    "remove_observer",
    "values_cap",
]

_OBSERVERS: list[Callable[[Any], None]] = []


def add_observer(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register ``fn(record)``; returns ``fn`` so it can be used as a decorator."""
    if not callable(fn):
        raise TypeError(f"an observer must be callable, got {type(fn).__name__}")
    _OBSERVERS.append(fn)
    return fn


def remove_observer(fn: Callable[[Any], None]) -> None:
    """Unregister an observer added with :func:`add_observer`."""
    try:
        _OBSERVERS.remove(fn)
    except ValueError:
        raise ValueError("this observer is not registered") from None


def observing() -> bool:
    """True while at least one observer is registered."""
    return bool(_OBSERVERS)


def emit_if_observed(make: Callable[[], Any]) -> None:
    """Build a record with ``make()`` and hand it to every observer, if there are any.

    An observer never changes the call it watches: an exception it raises becomes a
    ``RuntimeWarning`` naming it, and the call goes on (States are written, or not,
    exactly as without observers).
    """
    if _OBSERVERS:
        record = make()
        for fn in _OBSERVERS:
            try:
                fn(record)
            except Exception as err:  # noqa: BLE001 - an observer must not break the call
                name = getattr(fn, "__qualname__", None) or repr(fn)
                warnings.warn(
                    f"observer {name} raised {type(err).__name__}: {err} (on a "
                    f"{type(record).__name__}); the call went on.",
                    RuntimeWarning, stacklevel=2)


@contextlib.contextmanager
def observe() -> Iterator[list]:
    """Collect every record made inside the ``with`` block into a list."""
    log: list = []
    add_observer(log.append)
    try:
        yield log
    finally:
        remove_observer(log.append)


_VALUES_CAP: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "vmapviz_values_cap", default=None)


@contextlib.contextmanager
def capture_values(cap: int) -> Iterator[None]:
    """Inside the block, observed calls also record each lane's values (a
    :class:`~vmapviz.records.ValuesRecord`), at most ``cap`` elements per array."""
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        raise ValueError(f"values: the cap per array must be a positive int, got {cap!r}")
    token = _VALUES_CAP.set(cap)
    try:
        yield
    finally:
        _VALUES_CAP.reset(token)


def values_cap() -> int | None:
    """The cap per array while :func:`capture_values` is active (None otherwise)."""
    return _VALUES_CAP.get()
