"""Arguments of a traced call: static split, flattening, names and signature.

>>> import jax.numpy as jnp
>>> call = split_call(lambda x, n: x * n, (jnp.ones(3), 2), {}, static_argnums=(1,))
>>> call.leaf_names()
['argument x']
>>> call.static
((1, 2),)
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from .._jax_private import abstract

__all__ = ["Call", "complete_static", "normalize_argnums", "parameter_names", "reinsert_static", "split_call"]


@dataclasses.dataclass(frozen=True, slots=True)
class Call:
    """One call's arguments, split into dynamic leaves and static values."""

    dyn_args: tuple
    dyn_kwargs: dict
    static: tuple  # ((index or name, value), ...)
    leaves: list
    treedef: Any
    positions: tuple  # where each dynamic positional argument sat in the call
    names: list | None  # the function's positional parameter names, if known

    @property
    def arg_names(self) -> list[str]:
        """Names of the dynamic positional arguments (``x``, or ``args[2]``)."""
        return [_arg_name(i, self.names) for i in self.positions]

    def leaf_names(self) -> list[str]:
        """``argument x``, ``argument d['a']``, ``kwargs['y']``: one name per leaf."""
        names = []
        for name, arg in zip(self.arg_names, self.dyn_args):
            names.extend(_leaf_names(f"argument {name}", arg))
        for k in sorted(self.dyn_kwargs):  # the order jax.tree.flatten gives dict leaves
            names.extend(_leaf_names(f"kwargs[{k!r}]", self.dyn_kwargs[k]))
        return names

    def check(self) -> None:
        """Raise a clear TypeError for a leaf JAX cannot trace."""
        _check_leaves(self.leaves, self.leaf_names())

    def signature(self) -> tuple:
        """Hashable cache key: structure, abstract value of each leaf, static values with
        their types (``1`` and ``True`` are different keys, as in ``jax.jit``)."""
        try:
            static = tuple((where, type(v), v) for where, v in self.static)
            return (self.treedef, tuple(abstract(x) for x in self.leaves), static)
        except TypeError:
            self.check()  # names the offending argument
            raise


def reinsert_static(static: tuple, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Put static values back at their positions / names."""
    args = list(args)
    kwargs = dict(kwargs)
    for where, value in static:
        if isinstance(where, int):
            args.insert(where, value)
        else:
            kwargs[where] = value
    return tuple(args), kwargs


def normalize_argnums(argnums: int | Sequence[int] | None, what: str) -> tuple[int, ...]:
    if argnums is None:
        return ()
    if isinstance(argnums, int):
        argnums = (argnums,)
    out = []
    for i in argnums:
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"{what} must be ints, got {i!r}")
        out.append(i)
    return tuple(sorted(set(out)))


def complete_static(
    names: list[str] | None, argnums: tuple[int, ...], argnames: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Static positions and names, each completed from the other, as ``jax.jit`` does.

    >>> complete_static(['x', 'n'], (1,), ())
    ((1,), ('n',))
    """
    if names is None:
        return argnums, argnames
    nums = set(argnums)
    named = list(argnames)
    for i in argnums:
        if 0 <= i < len(names) and names[i] not in named:
            named.append(names[i])
    for name in argnames:
        if name in names:
            nums.add(names.index(name))
    return tuple(sorted(nums)), tuple(named)


def parameter_names(fun: Callable) -> list[str] | None:
    """Names of ``fun``'s positional parameters, or None when they cannot be read."""
    target = getattr(fun, "origin_fun", fun)
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            break
    return names


def _arg_name(i: int, names: list[str] | None) -> str:
    if names is not None and i < len(names):
        return names[i]
    return f"args[{i}]"


def split_call(
    fun: Callable,
    args: tuple,
    kwargs: dict,
    static_argnums: tuple[int, ...] = (),
    static_argnames: tuple[str, ...] = (),
    names: list[str] | None = None,
) -> Call:
    """Split a call into static values and dynamic pytree leaves, naming each leaf.

    ``names`` are ``fun``'s positional parameter names (read from ``fun`` when None).
    """
    if names is None:
        names = parameter_names(fun)
    n = len(args)
    if not static_argnums and not static_argnames:  # the common case, kept cheap
        leaves, treedef = jax.tree.flatten((args, kwargs))
        return Call(args, kwargs, (), leaves, treedef, range(n), names)
    static = []
    dyn_args = []
    wanted = {i + n if i < 0 else i for i in static_argnums}
    for i, a in enumerate(args):
        if i in wanted:
            _check_hashable(a, f"static argument {i}")
            static.append((i, a))
        else:
            dyn_args.append(a)
    dyn_kwargs = {}
    for k, v in kwargs.items():
        if k in static_argnames:
            _check_hashable(v, f"static argument {k!r}")
            static.append((k, v))
        else:
            dyn_kwargs[k] = v
    positions = tuple(i for i in range(n) if i not in wanted)
    leaves, treedef = jax.tree.flatten((tuple(dyn_args), dyn_kwargs))
    return Call(tuple(dyn_args), dyn_kwargs, tuple(static), leaves, treedef, positions, names)


def _leaf_names(prefix: str, tree: Any) -> list[str]:
    with_path, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [prefix + jax.tree_util.keystr(path) for path, _ in with_path]


def _check_hashable(value: Any, what: str) -> None:
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"{what} must be hashable to be static, but got a value of type "
            f"{type(value).__name__}. Pass it as a dynamic (array) argument instead."
        ) from None


_SCALARS = (bool, int, float, complex, np.generic, np.ndarray)


def _check_leaves(leaves: list, names: list[str]) -> None:
    for leaf, name in zip(leaves, names):
        if isinstance(leaf, _SCALARS) or hasattr(leaf, "aval") or isinstance(leaf, jax.Array):
            continue
        try:
            abstract(leaf)
        except TypeError:
            raise TypeError(
                f"{name} is a {type(leaf).__name__}, which is not a valid JAX type. "
                "Pass it through static_argnums / static_argnames, or as an array."
            ) from None
