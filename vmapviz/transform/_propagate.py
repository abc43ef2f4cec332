"""Batch-axis propagation: which values of a per-element jaxpr vary across lanes.

A value carries the batch axis when it depends on a batched input; collectives
over the mapped axis (``psum`` and friends) remove it, ``axis_index`` creates it.
Control flow is followed into its sub-jaxprs, with loop carries iterated to a
fixed point, as ``jax.vmap`` does.

>>> import jax, jax.numpy as jnp
>>> cj = jax.make_jaxpr(lambda x, w: (x * w, w + 1))(1.0, 2.0)
>>> batched_outputs(cj, [True, False])
[True, False]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax.extend as jex

__all__ = ["batched_outputs", "propagate"]

_REDUCING_COLLECTIVES = {"psum", "pmax", "pmin", "all_gather", "psum_invariant"}


def batched_outputs(closed_jaxpr: Any, in_batched: list[bool], axis_name: Any = None) -> list[bool]:
    """For each output of ``closed_jaxpr``, whether it carries the batch axis."""
    return propagate(closed_jaxpr.jaxpr, in_batched, axis_name)[1]


def propagate(jaxpr: Any, in_batched: Iterable[bool], axis_name: Any = None):
    """Return ``(env, out_batched)``: env maps every Var of ``jaxpr`` to a bool."""
    env: dict[Any, bool] = {}
    for v in jaxpr.constvars:
        env[v] = False
    for v, b in zip(jaxpr.invars, in_batched):
        env[v] = bool(b)

    def read(x: Any) -> bool:
        return False if isinstance(x, jex.core.Literal) else env.get(x, False)

    for eqn in jaxpr.eqns:
        ins = [read(x) for x in eqn.invars]
        outs = _eqn_rule(eqn, ins, axis_name)
        for v, b in zip(eqn.outvars, outs):
            env[v] = b
    return env, [read(x) for x in jaxpr.outvars]


def _names(axes: Any) -> tuple:
    return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)


def _eqn_rule(eqn: Any, ins: list[bool], axis_name: Any) -> list[bool]:
    name = eqn.primitive.name
    params = eqn.params
    n_out = len(eqn.outvars)
    if axis_name is not None:
        if name == "axis_index" and params.get("axis_name") in _names(axis_name):
            return [True]
        if name in _REDUCING_COLLECTIVES:
            axes = params.get("axes", params.get("axis_name", ()))
            if axis_name in _names(axes):
                return [False] * n_out
    if name == "scan":
        return _scan(params, ins, axis_name)
    if name == "while":
        return _while(params, ins, axis_name)
    if name == "cond":
        return _cond(params, ins, axis_name)
    subs = list(jex.core.jaxprs_in_params(params))
    if len(subs) == 1 and len(subs[0].invars) == len(ins) and len(subs[0].outvars) == n_out:
        return propagate(subs[0], ins, axis_name)[1]
    return [any(ins)] * n_out


def _scan(params: dict, ins: list[bool], axis_name: Any) -> list[bool]:
    body = params["jaxpr"].jaxpr
    n_consts, n_carry = params["num_consts"], params["num_carry"]
    consts, carry, xs = ins[:n_consts], ins[n_consts : n_consts + n_carry], ins[n_consts + n_carry :]
    while True:
        out = propagate(body, consts + carry + xs, axis_name)[1]
        new_carry = [a or b for a, b in zip(carry, out[:n_carry])]
        if new_carry == carry:
            return carry + out[n_carry:]
        carry = new_carry


def _while(params: dict, ins: list[bool], axis_name: Any) -> list[bool]:
    cond, body = params["cond_jaxpr"].jaxpr, params["body_jaxpr"].jaxpr
    nc, nb = params["cond_nconsts"], params["body_nconsts"]
    cond_consts, body_consts, carry = ins[:nc], ins[nc : nc + nb], ins[nc + nb :]
    while True:
        pred = propagate(cond, cond_consts + carry, axis_name)[1][0]
        if pred:
            # A lane-dependent stopping condition makes every carried value per-lane.
            return [True] * len(carry)
        out = propagate(body, body_consts + carry, axis_name)[1]
        new_carry = [a or b for a, b in zip(carry, out)]
        if new_carry == carry:
            return carry
        carry = new_carry


def _cond(params: dict, ins: list[bool], axis_name: Any) -> list[bool]:
    branches = params["branches"]
    n_out = len(branches[0].jaxpr.outvars)
    if ins[0]:
        return [True] * n_out
    out = [False] * n_out
    for br in branches:
        res = propagate(br.jaxpr, ins[1:], axis_name)[1]
        out = [a or b for a, b in zip(out, res)]
    return out
