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

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs):
        with STATE_LOCK:
            return _grad_call(args, kwargs)

    def _grad_call(args, kwargs):
        for i in argnums_t:
            if not -len(args) <= i < len(args):
                raise ValueError(
                    f"grad argnums={argnums!r} refers to positional argument {i}, but "
                    f"{getattr(fun, '__name__', 'the function')} got {len(args)}."
                )
        outer_values = [s.value for s in states]
        holder: dict[str, Any] = {}

        def pure(state_values, *diff_args):
            call_args = list(args)
            for i, a in zip(argnums_t, diff_args):
                call_args[i] = a
            frame = StateTrace(values=dict(zip(states, state_values)))
            with frame:
                out = fun(*call_args, **kwargs)
            written = frame.written_states
            values = [frame.held(s) for s in written]
            check_writes(f"grad of {_name(fun)}", written, values,
                         lambda s: [state_avals(s)])
            holder["written"] = written
            loss, aux = out if has_aux else (out, None)
            return loss, (loss, aux, values)

        diff = (0,) + tuple(i + 1 for i in argnums_t)
        diff_args = [args[i] for i in argnums_t]
        grads, (loss, aux, written_values) = jax.grad(
            pure, argnums=diff, has_aux=True, holomorphic=holomorphic, allow_int=allow_int
        )(outer_values, *diff_args)
        written = holder["written"]
        guard_writes(written, f"grad of {_name(fun)}")
        for s, v in zip(written, written_values):
            s.value = v
        state_grads = jax.tree.unflatten(states_tree, grads[0])
        arg_grads = grads[1:]
        if single_arg:
            arg_grads = arg_grads[0]
        if grad_states is None:
            result = arg_grads
        elif not argnums_t:
            result = state_grads
        else:
            result = (state_grads, arg_grads)
        if return_value and has_aux:
            return result, loss, aux
        if return_value:
            return result, loss
        if has_aux:
            return result, aux
        return result

    return grad_fun
