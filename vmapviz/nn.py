"""``Module``: a plain Python class whose attributes hold States.

A Module finds its States by walking its attributes, lists, tuples, dicts and nested
Modules, and names each by the path it was found at.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> class Counter(vmapviz.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.count = vmapviz.ShortTermState(jnp.zeros(4))
...     def __call__(self, x):
...         self.count.value = self.count.value + x
...         return self.count.value
>>> counter = Counter()
>>> counter
Counter(count=ShortTermState(f32[4]))
>>> counter.named_states()
{('count',): ShortTermState(f32[4])}
>>> counter.count.label()
'count'
"""

from __future__ import annotations

from collections.abc import Iterator

from ._state import State, short_type
from .util.filter import to_predicate

__all__ = ["Module"]

Path = tuple[str, ...]


class Module:
    """Base class of stateful models: assign States (or Modules) to attributes.

    Calling ``super().__init__()`` is good style but not required. Subclasses
    define ``__call__``.

    >>> import jax.numpy as jnp
    >>> from vmapviz._state import ParamState
    >>> class Linear(Module):
    ...     def __init__(self, n):
    ...         self.w = ParamState(jnp.ones((n, n)))
    >>> class MLP(Module):
    ...     def __init__(self):
    ...         self.layers = [Linear(2), Linear(3)]
    >>> list(MLP().named_states())
    [('layers', '0', 'w'), ('layers', '1', 'w')]
    """

    def __init__(self) -> None:
        pass

    def named_states(self, filter: object = None) -> dict[Path, State]:
        """All States reachable from this Module, keyed by path, in attribute order.

        A State reached twice is listed once, at its first path; cycles are cut.
        A State without a ``path`` is given the one it is found at.

        Args:
          filter: keep only States it selects (shorthand accepted, see
            :func:`vmapviz.util.filter.to_predicate`); ``None`` keeps all.

        Returns:
          ``{path: state}``, path a tuple of str.
        """
        found: dict[Path, State] = {}
        for path, state in _walk(self):
            if state.path is None:
                state.path = path
            found[path] = state
        if filter is None:
            return found
        keep = to_predicate(filter)
        return {p: s for p, s in found.items() if keep(p, s)}

    def states(self, *filters: object) -> dict[Path, State] | tuple[dict[Path, State], ...]:
        """The States, all or split by filters.

        Args:
          *filters: none gives one dict of every State; one filter gives the dict of
            the States it selects; several give a tuple of dicts, each State going
            to the first filter that selects it (States no filter selects are left
            out).

        Returns:
          ``{path: state}``, or a tuple of them, one per filter.

        >>> import jax.numpy as jnp
        >>> from vmapviz._state import ParamState, ShortTermState
        >>> class Net(Module):
        ...     def __init__(self):
        ...         self.w = ParamState(jnp.ones(2))
        ...         self.h = ShortTermState(jnp.zeros(2))
        >>> params, rest = Net().states(ParamState, ...)
        >>> list(params), list(rest)
        ([('w',)], [('h',)])
        """
        found = self.named_states()
        if not filters:
            return found
        predicates = [to_predicate(f) for f in filters]
        groups: list[dict[Path, State]] = [{} for _ in predicates]
        for path, state in found.items():
            for group, predicate in zip(groups, predicates):
                if predicate(path, state):
                    group[path] = state
                    break
        return groups[0] if len(groups) == 1 else tuple(groups)

    def __repr__(self) -> str:
        return _repr(self, set())


def _children(node: object) -> Iterator[tuple[str, object]]:
    """``(key, child)`` pairs of a Module, list, tuple or dict; nothing for others."""
    if isinstance(node, Module):
        yield from getattr(node, "__dict__", {}).items()
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield str(i), item
    elif isinstance(node, dict):
        for key, item in node.items():
            yield str(key), item


def _walk(root: Module) -> Iterator[tuple[Path, State]]:
    """Depth-first ``(path, state)``, each State and each container visited once."""
    seen: set[int] = {id(root)}
    stack: list[tuple[Path, Iterator[tuple[str, object]]]] = [((), _children(root))]
    while stack:
        prefix, children = stack[-1]
        for key, child in children:
            if id(child) in seen:
                continue
            if isinstance(child, State):
                seen.add(id(child))
                yield (*prefix, key), child
            elif isinstance(child, (Module, list, tuple, dict)):
                seen.add(id(child))
                stack.append(((*prefix, key), _children(child)))
                break
        else:
            stack.pop()


def _repr(node: object, active: set[int]) -> str:
    """Deterministic repr: States and arrays by type, no memory addresses."""
    if isinstance(node, State):
        return repr(node)
    if isinstance(node, (Module, list, tuple, dict)):
        if id(node) in active:
            return "..."
        active.add(id(node))
        try:
            return _container_repr(node, active)
        finally:
            active.discard(id(node))
    if node is None or isinstance(node, (bool, int, float, complex, str)):
        return repr(node)
    if hasattr(node, "shape") and hasattr(node, "dtype"):
        return short_type(node)
    if isinstance(node, type) or callable(node):
        return getattr(node, "__qualname__", type(node).__name__)
    text = repr(node)
    return f"<{type(node).__name__}>" if " at 0x" in text else text


def _container_repr(node: object, active: set[int]) -> str:
    if isinstance(node, Module):
        attrs = getattr(node, "__dict__", {})
        fields = ", ".join(f"{k}={_repr(v, active)}" for k, v in attrs.items() if k[:1] != "_")
        return f"{type(node).__name__}({fields})"
    if isinstance(node, dict):
        return "{" + ", ".join(f"{k!r}: {_repr(v, active)}" for k, v in node.items()) + "}"
    items = ", ".join(_repr(v, active) for v in node)
    if isinstance(node, list):
        return f"[{items}]"
    return f"({items},)" if len(node) == 1 else f"({items})"
