"""Batch-axis propagation: which values of a per-element jaxpr vary across lanes.

A value carries the batch axis when it depends on a batched input; collectives
over the mapped axis (``psum`` and friends) remove it, ``axis_index`` creates it.
Control flow is followed into its sub-jaxprs, with loop carries iterated to a
fixed point, as ``jax.vmap`` does. The answer is a :class:`~vmapviz.records.JaxprFlags`
record: one flag per input, per equation output and per output, sub-jaxprs included.

>>> import jax, jax.numpy as jnp
>>> cj = jax.make_jaxpr(lambda x, w: (x * w, w + 1))(1.0, 2.0)
>>> batched_outputs(cj, [True, False])
[True, False]
>>> [e.outs for e in jaxpr_flags(cj.jaxpr, [True, False]).eqns]
[(True,), (False,)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax.extend as jex

from .._jax_private import (
    collective_axes,
    cond_branches,
    scan_layout,
    sub_jaxprs,
    while_layout,
)
from ..records import EqnFlags, JaxprFlags

__all__ = ["batched_outputs", "boundary_flags", "jaxpr_flags"]

_REDUCING_COLLECTIVES = {"psum", "pmax", "pmin", "all_gather", "psum_invariant"}


def batched_outputs(closed_jaxpr: Any, in_batched: list[bool], axis_name: Any = None) -> list[bool]:
    """For each output of ``closed_jaxpr``, whether it carries the batch axis."""
    return list(jaxpr_flags(closed_jaxpr.jaxpr, in_batched, axis_name).outvars)


def jaxpr_flags(jaxpr: Any, in_batched: Iterable[bool], axis_name: Any = None) -> JaxprFlags:
    """The batched flag of every value of ``jaxpr`` given its inputs' flags."""
    env: dict[Any, bool] = {v: False for v in jaxpr.constvars}
    ins = tuple(bool(b) for b in in_batched)
    env.update(zip(jaxpr.invars, ins))

    def read(x: Any) -> bool:
        return False if isinstance(x, jex.core.Literal) else env.get(x, False)

    eqns = []
    for eqn in jaxpr.eqns:
        flags = _eqn_flags(eqn, [read(x) for x in eqn.invars], axis_name)
        env.update(zip(eqn.outvars, flags.outs))
        eqns.append(flags)
    return JaxprFlags(ins, tuple(eqns), tuple(read(x) for x in jaxpr.outvars))


def boundary_flags(jaxpr: Any, in_flags: Iterable[bool], out_flags: Iterable[bool],
                   axis_name: Any = None) -> JaxprFlags:
    """Flags of a jaxpr whose own values are not analysed (the batched jaxpr of a call:
    its inputs and outputs are mapped as given, its equations marked False), with each
    sub-jaxpr analysed from the flags of its equation's inputs (the body of a pmap or
    shard_map runs per lane)."""
    env = dict(zip(jaxpr.invars, (bool(b) for b in in_flags)))
    eqns = []
    for eqn in jaxpr.eqns:
        ins = [False if isinstance(x, jex.core.Literal) else env.get(x, False)
               for x in eqn.invars]
        subs = tuple(jaxpr_flags(s, _sub_inputs(ins, s, len(eqn.outvars)), axis_name)
                     for _, s in sub_jaxprs(eqn.params))
        eqns.append(EqnFlags((False,) * len(eqn.outvars), subs))
    return JaxprFlags(tuple(env[v] for v in jaxpr.invars), tuple(eqns),
                      tuple(bool(b) for b in out_flags))


def _sub_inputs(ins: list[bool], sub: Any, n_out: int) -> list[bool]:
    """Input flags of a sub-jaxpr from its equation's: the same when they line up, the
    operands when a selector comes first (cond), else batched if any input is."""
    n = len(sub.invars)
    if n == len(ins):
        return list(ins)
    if n == len(ins) - 1:
        return list(ins[1:])
    return [any(ins)] * n


def _eqn_flags(eqn: Any, ins: list[bool], axis_name: Any) -> EqnFlags:
    n_out = len(eqn.outvars)
    if axis_name is not None:
        name = eqn.primitive.name
        if name == "axis_index" and collective_axes(eqn)[0] in _names(axis_name):
            return EqnFlags((True,))
        if name in _REDUCING_COLLECTIVES and axis_name in collective_axes(eqn):
            return EqnFlags((False,) * n_out)
    for rule in (_scan, _while, _cond):
        found = rule(eqn, ins, axis_name)
        if found is not None:
            return found
    subs = [s for _, s in sub_jaxprs(eqn.params)]
    if len(subs) == 1 and len(subs[0].invars) == len(ins) and len(subs[0].outvars) == n_out:
        inner = jaxpr_flags(subs[0], ins, axis_name)
        return EqnFlags(inner.outvars, (inner,))
    # Anything else (custom rules, several sub-programs): batched if any input is.
    guess = [jaxpr_flags(s, _fit(ins, len(s.invars)), axis_name) for s in subs]
    return EqnFlags((any(ins),) * n_out, tuple(guess))


def _names(axes: Any) -> tuple:
    return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)


def _fit(ins: list[bool], n: int) -> list[bool]:
    """Input flags for a sub-jaxpr whose inputs do not line up with its equation's."""
    return list(ins) if len(ins) == n else [any(ins)] * n


def _scan(eqn: Any, ins: list[bool], axis_name: Any) -> EqnFlags | None:
    layout = scan_layout(eqn)
    if layout is None:
        return None
    n_consts, n_carry = layout
    body = sub_jaxprs(eqn.params)[0][1]
    consts, carry, xs = ins[:n_consts], ins[n_consts : n_consts + n_carry], ins[n_consts + n_carry :]
    while True:
        inner = jaxpr_flags(body, consts + carry + xs, axis_name)
        new_carry = [a or b for a, b in zip(carry, inner.outvars[:n_carry])]
        if new_carry == carry:
            return EqnFlags(tuple(carry) + inner.outvars[n_carry:], (inner,))
        carry = new_carry


def _while(eqn: Any, ins: list[bool], axis_name: Any) -> EqnFlags | None:
    layout = while_layout(eqn)
    if layout is None:
        return None
    cond, nc, body, nb = layout
    cond_consts, body_consts, carry = ins[:nc], ins[nc : nc + nb], ins[nc + nb :]
    while True:
        cond_flags = jaxpr_flags(cond, cond_consts + carry, axis_name)
        if cond_flags.outvars[0]:
            # A lane-dependent stopping condition makes every carried value per-lane.
            carry = [True] * len(carry)
            cond_flags = jaxpr_flags(cond, cond_consts + carry, axis_name)
            body_flags = jaxpr_flags(body, body_consts + carry, axis_name)
            break
        body_flags = jaxpr_flags(body, body_consts + carry, axis_name)
        new_carry = [a or b for a, b in zip(carry, body_flags.outvars)]
        if new_carry == carry:
            break
        carry = new_carry
    subs = {"body_jaxpr": body_flags, "cond_jaxpr": cond_flags}
    return EqnFlags(tuple(carry), tuple(subs[name] for name, _ in sub_jaxprs(eqn.params)))


def _cond(eqn: Any, ins: list[bool], axis_name: Any) -> EqnFlags | None:
    branches = cond_branches(eqn)
    if branches is None:
        return None
    flags = [jaxpr_flags(br, ins[1:], axis_name) for br in branches]
    n_out = len(eqn.outvars)
    if ins[0]:  # the branch taken varies by lane
        return EqnFlags((True,) * n_out, tuple(flags))
    outs = [any(f.outvars[i] for f in flags) for i in range(n_out)]
    return EqnFlags(tuple(outs), tuple(flags))
