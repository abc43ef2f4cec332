"""Filters: predicates ``f(path, state) -> bool`` that select States.

``path`` is the tuple of str naming where a State lives (``('layers', '0', 'w')``,
possibly empty) and ``state`` the State itself. Filters are frozen, hashable
dataclasses with a readable repr; combine them with ``|``, ``&`` and ``~``. Wherever
a filter is expected, shorthand is accepted too and converted by :func:`to_predicate`.

>>> import jax.numpy as jnp
>>> from vmapviz._state import ParamState, ShortTermState
>>> w = ParamState(jnp.ones(2))
>>> v = ShortTermState(jnp.ones(2), tag='fast')
>>> f = Any(ParamState, 'fast')
>>> f(('w',), w), f(('v',), v), (~f)(('v',), v)
(True, True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .._state import State

__all__ = [
    "All",
    "Any",
    "Everything",
    "Filter",
    "IsState",
    "Not",
    "Nothing",
    "OfType",
    "PathContains",
    "WithTag",
    "to_predicate",
]

Path = tuple[str, ...]
Predicate = Callable[[Path, State], bool]


class Filter:
    """Base class of the filters: ``filter(path, state) -> bool``.

    ``a | b`` is ``Any(a, b)``, ``a & b`` is ``All(a, b)`` and ``~a`` is ``Not(a)``.

    >>> (WithTag('a') | WithTag('b')) & ~PathContains('skip')
    All(Any(WithTag('a'), WithTag('b')), Not(PathContains('skip')))
    """

    __slots__ = ()

    def __call__(self, path: Path, state: State) -> bool:
        raise NotImplementedError

    def __or__(self, other: object) -> Any:
        return Any(self, other)

    def __ror__(self, other: object) -> Any:
        return Any(other, self)

    def __and__(self, other: object) -> All:
        return All(self, other)

    def __rand__(self, other: object) -> All:
        return All(other, self)

    def __invert__(self) -> Not:
        return Not(self)


def _frozen(cls: type) -> type:
    return dataclasses.dataclass(frozen=True, slots=True)(cls)


def _hash_item(item: object) -> int:
    """Hash of a filter's item; an unhashable callable hashes as its type."""
    try:
        return hash(item)
    except TypeError:
        return hash(type(item))


def _item_repr(item: object) -> str:
    """A filter's repr, or a plain function's qualified name (no memory address)."""
    if not isinstance(item, (Filter, type)) and hasattr(item, "__qualname__"):
        return item.__qualname__
    return repr(item)


@_frozen
class OfType(Filter):
    """Selects States that are instances of ``type`` (subclasses included).

    >>> import jax.numpy as jnp
    >>> from vmapviz._state import HiddenState, ShortTermState
    >>> OfType(ShortTermState)((), HiddenState(jnp.zeros(1)))
    True
    >>> OfType(int)
    OfType(<class 'int'>)
    """

    type: type

    def __post_init__(self) -> None:
        if not isinstance(self.type, type):
            raise TypeError(f"OfType expects a class, got {self.type!r}")

    def __call__(self, path: Path, state: State) -> bool:
        return isinstance(state, self.type)

    def __repr__(self) -> str:
        return f"OfType({self.type!r})"


@_frozen
class WithTag(Filter):
    """Selects States whose ``tag`` equals ``tag``, or contains it (tuple/set of tags).

    >>> import jax.numpy as jnp
    >>> from vmapviz._state import State
    >>> WithTag('fast')((), State(jnp.zeros(1), tag=('fast', 'slow')))
    True
    """

    tag: object

    def __post_init__(self) -> None:
        try:
            hash(self.tag)
        except TypeError:
            raise TypeError(f"WithTag expects a hashable tag (a str), got {self.tag!r}") from None

    def __call__(self, path: Path, state: State) -> bool:
        tag = getattr(state, "tag", None)
        if isinstance(tag, (tuple, list, set, frozenset)):
            return self.tag in tag
        return tag is not None and tag == self.tag

    def __repr__(self) -> str:
        return f"WithTag({self.tag!r})"


@_frozen
class PathContains(Filter):
    """Selects States whose path has ``key`` as one element (an int key becomes str).

    >>> PathContains('layers')(('layers', '0', 'w'), None)
    True
    >>> PathContains(0)
    PathContains('0')
    """

    key: str

    def __post_init__(self) -> None:
        if isinstance(self.key, int) and not isinstance(self.key, bool):
            object.__setattr__(self, "key", str(self.key))
        if not isinstance(self.key, str):
            raise TypeError(f"PathContains expects a str key, got {self.key!r}")

    def __call__(self, path: Path, state: State) -> bool:
        return self.key in path

    def __repr__(self) -> str:
        return f"PathContains({self.key!r})"


@_frozen
class IsState(Filter):
    """Selects exactly one State, by identity (what a State instance converts to).

    >>> import jax.numpy as jnp
    >>> from vmapviz._state import State
    >>> s = State(jnp.zeros(1), name='s')
    >>> f = IsState(s)
    >>> f, f((), s), f((), State(jnp.zeros(1)))
    (IsState(s), True, False)
    """

    state: State

    def __post_init__(self) -> None:
        if not isinstance(self.state, State):
            raise TypeError(f"IsState expects a State, got {self.state!r}")

    def __call__(self, path: Path, state: State) -> bool:
        return state is self.state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IsState) and other.state is self.state

    def __hash__(self) -> int:
        return id(self.state)

    def __repr__(self) -> str:
        return f"IsState({self.state.label()})"


@_frozen
class Any(Filter):
    """Selects States that match at least one of ``filters`` (shorthand accepted).

    >>> Any(int, 'fast')
    Any(OfType(<class 'int'>), WithTag('fast'))
    >>> Any()((), None)
    False
    """

    filters: tuple

    def __init__(self, *filters: object):
        object.__setattr__(self, "filters", tuple(to_predicate(f) for f in filters))

    def __call__(self, path: Path, state: State) -> bool:
        return any(f(path, state) for f in self.filters)

    def __hash__(self) -> int:
        return hash((Any, *map(_hash_item, self.filters)))

    def __repr__(self) -> str:
        return f"Any({', '.join(map(_item_repr, self.filters))})"


@_frozen
class All(Filter):
    """Selects States that match every one of ``filters`` (shorthand accepted).

    >>> All(int, PathContains('w'))
    All(OfType(<class 'int'>), PathContains('w'))
    >>> All()((), None)
    True
    """

    filters: tuple

    def __init__(self, *filters: object):
        object.__setattr__(self, "filters", tuple(to_predicate(f) for f in filters))

    def __call__(self, path: Path, state: State) -> bool:
        return all(f(path, state) for f in self.filters)

    def __hash__(self) -> int:
        return hash((All, *map(_hash_item, self.filters)))

    def __repr__(self) -> str:
        return f"All({', '.join(map(_item_repr, self.filters))})"


@_frozen
class Not(Filter):
    """Selects States that ``filter`` does not select (shorthand accepted).

    >>> Not('fast')
    Not(WithTag('fast'))
    """

    filter: Predicate

    def __init__(self, filter: object):
        object.__setattr__(self, "filter", to_predicate(filter))

    def __call__(self, path: Path, state: State) -> bool:
        return not self.filter(path, state)

    def __hash__(self) -> int:
        return hash((Not, _hash_item(self.filter)))

    def __repr__(self) -> str:
        return f"Not({_item_repr(self.filter)})"


@_frozen
class Everything(Filter):
    """Selects every State (shorthand ``True`` or ``...``).

    >>> Everything()((), None)
    True
    """

    def __call__(self, path: Path, state: State) -> bool:
        return True

    def __repr__(self) -> str:
        return "Everything()"


@_frozen
class Nothing(Filter):
    """Selects no State (shorthand ``False`` or ``None``).

    >>> Nothing()((), None)
    False
    """

    def __call__(self, path: Path, state: State) -> bool:
        return False

    def __repr__(self) -> str:
        return "Nothing()"


_ACCEPTED = (
    "a Filter, a class (OfType), a str tag (WithTag), True or ... (Everything), "
    "False or None (Nothing), a State instance (IsState), a list or tuple of these "
    "(Any), or a callable pred(path, state) -> bool"
)


def to_predicate(filter: object) -> Predicate:
    """Convert filter shorthand into a predicate ``pred(path, state) -> bool``.

    Args:
      filter: a Filter (returned as is), a class (``OfType``), a str (``WithTag``),
        ``True`` or ``...`` (``Everything``), ``False`` or ``None`` (``Nothing``), a
        State instance (``IsState``), a list or tuple (``Any`` of the converted
        items), or any other callable ``pred(path, state)`` (returned as is).

    Returns:
      The predicate.

    >>> to_predicate([int, 'fast', ...])
    Any(OfType(<class 'int'>), WithTag('fast'), Everything())
    >>> to_predicate(None)
    Nothing()
    """
    if isinstance(filter, Filter):
        return filter
    if filter is True or filter is Ellipsis:
        return Everything()
    if filter is False or filter is None:
        return Nothing()
    if isinstance(filter, type):
        return OfType(filter)
    if isinstance(filter, str):
        return WithTag(filter)
    if isinstance(filter, State):
        return IsState(filter)
    if isinstance(filter, (list, tuple)):
        return Any(*filter)
    if callable(filter):
        return filter
    raise TypeError(
        f"Cannot use {filter!r} (of type {type(filter).__name__}) as a state filter. "
        f"Expected {_ACCEPTED}."
    )
