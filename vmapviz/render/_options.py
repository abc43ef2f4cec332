"""What a jaxpr graph folds and what it draws open: :class:`GraphOptions`.

By default a graph collapses sub-jaxprs of more than ``max_cluster_eqns`` equations
into one node, folds ``jax.random`` plumbing into nodes named for what they do and
draws a block repeated back to back once (``x300``). ``expand`` and ``collapse``
override this place by place. Each names an equation by its *path*: its index in its
jaxpr, then for a nested jaxpr the sub-jaxpr's index and the index inside it (``'3'``,
``'3/0/5'``; node details show it), or by its primitive (``'scan'``) or shown name
(``'normal(key)'``). ``expand=True`` draws everything open.

>>> opts = GraphOptions.of(expand=['scan', '3/0/1'])
>>> opts.opens('7', ('scan',)), opts.opens('3/0/1', ('add',)), opts.opens('2', ('add',))
(True, True, False)
>>> GraphOptions.of(expand=True).fold_library
False
>>> GraphOptions.from_json({'expand': ['4'], 'group_states': True}).to_json()['expand']
['4']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

__all__ = ["GraphOptions"]

_EVERYTHING = 1 << 62


def _names(value: Any, what: str) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{what}: expected True, a path or name, or a list of them; got "
                        f"{type(value).__name__}.") from None
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise TypeError(f"{what}: paths and names are strings ('3/0/1', 'scan'); got {bad[0]!r}.")
    return frozenset(items)


@dataclasses.dataclass(frozen=True)
class GraphOptions:
    """How a jaxpr graph is folded (see the module docstring)."""

    max_cluster_eqns: int = 50
    fold_library: bool = True
    fold_repeats: bool = True
    expand: frozenset[str] = frozenset()
    collapse: frozenset[str] = frozenset()
    group_states: bool = False

    @classmethod
    def of(cls, *, max_cluster_eqns: int = 50, fold_library: bool = True,
           fold_repeats: bool = True, expand: bool | Iterable[str] = (),
           collapse: Iterable[str] = (), group_states: bool = False) -> GraphOptions:
        """Checked options; ``expand=True`` opens every sub-jaxpr, plumbing and repeat."""
        if isinstance(max_cluster_eqns, bool) or not isinstance(max_cluster_eqns, int) \
                or max_cluster_eqns < 0:
            raise ValueError(f"max_cluster_eqns must be an int >= 0, got {max_cluster_eqns!r}.")
        if expand is True:
            max_cluster_eqns, fold_library, fold_repeats, expand = _EVERYTHING, False, False, ()
        elif expand is False:
            expand = ()
        return cls(max_cluster_eqns, bool(fold_library), bool(fold_repeats),
                   _names(expand, "expand"), _names(collapse, "collapse"), bool(group_states))

    def opens(self, path: str, names: Iterable[str]) -> bool:
        """Whether the equation at ``path`` (also known by ``names``) is asked open."""
        return not self.closes(path, names) and (
            path in self.expand or any(n in self.expand for n in names))

    def closes(self, path: str, names: Iterable[str]) -> bool:
        """Whether the equation at ``path`` is asked to be drawn as one node."""
        return path in self.collapse or any(n in self.collapse for n in names)

    # ------------------------------------------------------------ widget JSON

    def to_json(self) -> dict:
        """Plain JSON (sorted lists), as the widgets carry it."""
        return {"expand": sorted(self.expand), "collapse": sorted(self.collapse),
                "fold_library": self.fold_library, "fold_repeats": self.fold_repeats,
                "group_states": self.group_states}

    @classmethod
    def from_json(cls, data: dict) -> GraphOptions:
        """Options from a widget's ``graph_options`` trait (missing keys: defaults)."""
        unknown = set(data) - {"expand", "collapse", "fold_library", "fold_repeats",
                               "group_states"}
        if unknown:
            raise ValueError(f"graph options: unknown keys {sorted(unknown)}; expected "
                             "expand, collapse, fold_library, fold_repeats, group_states.")
        return cls.of(expand=data.get("expand", ()), collapse=data.get("collapse", ()),
                      fold_library=data.get("fold_library", True),
                      fold_repeats=data.get("fold_repeats", True),
                      group_states=data.get("group_states", False))

    @property
    def is_default(self) -> bool:
        return self == GraphOptions()
