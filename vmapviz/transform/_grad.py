"""State-aware gradients: differentiate with respect to States and arguments.

>>> import jax.numpy as jnp
>>> from vmapviz import ParamState
>>> w = ParamState(jnp.array(3.0))
>>> loss = lambda x: (w.value * x) ** 2
>>> grad(loss, grad_states=w)(2.0)
Array(24., dtype=float32, weak_type=True)
>>> grad(loss)(2.0)
Array(36., dtype=float32, weak_type=True)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax

from .._state import STATE_LOCK, State, StateTrace, guard_writes
from ._tracing import check_writes, state_avals

__all__ = ["grad"]


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _is_state(x: Any) -> bool:
    return isinstance(x, State)


def grad(
    fun: Callable | None = None,
    grad_states: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
):
    """Gradient of a scalar function of arguments and States.

    Args:
      fun: returns a scalar loss (or ``(loss, aux)`` with ``has_aux``).
      grad_states: a State, or a pytree (dict, list) of States, to differentiate by.
      argnums: positional arguments to differentiate by; default 0 when
        ``grad_states`` is None, none otherwise.
      has_aux: ``fun`` returns ``(loss, aux)``; aux is returned too.
      return_value: also return the loss.

    Returns:
      A function returning the gradients: of the States (shaped like
      ``grad_states``), of the arguments, or ``(state_grads, arg_grads)`` when both
      are asked for; followed by the loss and/or aux when requested. States the
      function writes are written back.
    """
    if fun is None:
        return functools.partial(
            grad, grad_states=grad_states, argnums=argnums, has_aux=has_aux,
            return_value=return_value, holomorphic=holomorphic, allow_int=allow_int,
        )
    states, states_tree = jax.tree.flatten(grad_states, is_leaf=_is_state)
    for s in states:
        if not isinstance(s, State):
            raise TypeError(
                f"grad_states must be a State or a pytree of States, but it holds a "
                f"{type(s).__name__}."
            )
    if argnums is None:
        argnums_t: tuple[int, ...] = (0,) if grad_states is None else ()
        single_arg = grad_states is None
    elif isinstance(argnums, int):
        argnums_t, single_arg = (argnums,), True
    else:
        argnums_t, single_arg = tuple(argnums), False
    spec = _GradSpec(fun, tuple(states), states_tree, grad_states is not None, argnums,
                     argnums_t, single_arg, has_aux, return_value, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs):
        with STATE_LOCK:
            return _grad_call(spec, args, kwargs)

    return grad_fun


@dataclasses.dataclass(frozen=True)
class _GradSpec:
    """What a :func:`grad` was asked for."""

    fun: Callable
    states: tuple
    states_tree: Any
    by_states: bool
    argnums: Any  # as given, for messages
    argnums_t: tuple[int, ...]
    single_arg: bool
    has_aux: bool
    return_value: bool
    holomorphic: bool
    allow_int: bool


def _grad_call(spec: _GradSpec, args: tuple, kwargs: dict):
    for i in spec.argnums_t:
        if not -len(args) <= i < len(args):
            raise ValueError(
                f"grad argnums={spec.argnums!r} refers to positional argument {i}, but "
                f"{getattr(spec.fun, '__name__', 'the function')} got {len(args)}."
            )
    holder: dict[str, Any] = {}

    def pure(state_values, *diff_args):
        call_args = list(args)
        for i, a in zip(spec.argnums_t, diff_args):
            call_args[i] = a
        frame = StateTrace(values=dict(zip(spec.states, state_values)))
        with frame:
            out = spec.fun(*call_args, **kwargs)
        written = frame.written_states
        values = [frame.held(s) for s in written]
        check_writes(f"grad of {_name(spec.fun)}", written, values,
                     lambda s: [state_avals(s)])
        holder["written"] = written
        loss, aux = out if spec.has_aux else (out, None)
        return loss, (loss, aux, values)

    diff = (0,) + tuple(i + 1 for i in spec.argnums_t)
    grads, (loss, aux, written_values) = jax.grad(
        pure, argnums=diff, has_aux=True, holomorphic=spec.holomorphic,
        allow_int=spec.allow_int,
    )([s.value for s in spec.states], *[args[i] for i in spec.argnums_t])
    written = holder["written"]
    guard_writes(written, f"grad of {_name(spec.fun)}")
    for s, v in zip(written, written_values):
        s.value = v
    return _assemble(spec, grads, loss, aux)


def _assemble(spec: _GradSpec, grads: tuple, loss: Any, aux: Any):
    """The gradients, then the loss and/or aux, as the caller asked."""
    state_grads = jax.tree.unflatten(spec.states_tree, grads[0])
    arg_grads = grads[1:]
    if spec.single_arg:
        arg_grads = arg_grads[0]
    if not spec.by_states:
        result = arg_grads
    elif not spec.argnums_t:
        result = state_grads
    else:
        result = (state_grads, arg_grads)
    if spec.return_value and spec.has_aux:
        return result, loss, aux
    if spec.return_value:
        return result, loss
    if spec.has_aux:
        return result, aux
    return result
