"""What ``jax.vmap`` did to each equation of the per-element jaxpr, computed, not guessed.

For every top-level equation of the per-element jaxpr that reads a value carrying the
batch axis, the equation is batched on its own: a function that binds just that
equation is ``jax.vmap``-ed with the batch axes ``jax.vmap`` gives its inputs and
outputs in the whole program (``report.value_axes``) and traced on shapes (nothing
runs). The result is compared with the equation: primitives inserted, parameters
rewritten, loop carries that now hold the batch axis.

Equations alike (same primitive, parameters, input types and batch axes) are batched
once: a 300-layer MLP costs a handful of traces. At most :data:`MAX_ANALYSED` traces
are made; equations past that are recorded as ``NOT_ANALYSED``.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> bias = vmapviz.ParamState(jnp.ones(3), name='bias')
>>> f = vmapviz.transform.vmap2(lambda x: x + bias.value)
>>> [(c.primitive, str(c.kind), c.operands) for c in f.inspect(jnp.ones((4, 3))).batching]
[('add', 'broadcast_inserted', ('bias',))]
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import jax.extend as jex
import numpy as np

from .._jax_private import (
    batch_equation,
    call_name,
    collective_axes,
    dot_batch_dims,
    plain_params,
    primitive_name,
    random_call_name,
    scan_layout,
    sub_jaxprs,
    while_layout,
)
from ..records import BatchingChange, BatchingKind

__all__ = ["MAX_ANALYSED", "batching_changes"]

#: At most this many equations are batched alone per report (alike equations count once).
MAX_ANALYSED = 400

_RANDOM = frozenset({"random_bits", "random_split", "random_fold_in", "random_seed",
                     "threefry2x32"})
_COLLECTIVES = frozenset({"psum", "pmax", "pmin", "pmean", "all_gather", "all_to_all",
                          "ppermute", "psum_scatter", "reduce_scatter", "pbroadcast"})
_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]+")
_NUMPY_SCALAR = re.compile(r"np\.\w+\(([^()]*)\)")
_TEXT_CHARS = 80


class _Found(NamedTuple):
    """One equation's batching, by operand position (labels are added per equation)."""

    kind: BatchingKind
    positions: tuple[int, ...]
    inserted: tuple[str, ...] = ()
    rewritten: tuple[tuple[str, str, str], ...] = ()
    error: str | None = None


class _Memo:
    """Batchings found so far, by equation signature, and how many more traces may run."""

    def __init__(self, budget: int):
        self.found: dict = {}
        self.left = budget


def batching_changes(report: Any, max_analysed: int = MAX_ANALYSED
                     ) -> tuple[BatchingChange, ...]:
    """One :class:`~vmapviz.records.BatchingChange` per top-level equation of the
    per-element jaxpr that ``jax.vmap`` gives a batched input, in equation order
    (``()`` for ``pmap2`` / ``shard_map``, which run the per-element program per device).

    At most ``max_analysed`` equations are batched alone (alike ones count once); later
    ones are ``NOT_ANALYSED``."""
    rows = report.value_axes
    if not rows or report.transform != "vmap2":  # a failed call has no rows, no axes
        return ()
    jaxpr = report.elementwise_jaxpr.jaxpr
    axes = dict(zip(jaxpr.invars, rows[0]["axes"]))
    labels = dict(zip(jaxpr.invars, report.io_labels["elementwise"][0]))
    labels.update((v, f"const {k}") for k, v in enumerate(jaxpr.constvars))
    size, name = report.axes.axis_size, report.axis_name
    memo = _Memo(max_analysed)
    out = []
    for i, eqn in enumerate(jaxpr.eqns):
        in_axes = [None if _literal(v) else axes.get(v) for v in eqn.invars]
        out_axes = list(rows[i + 1]["axes"])
        if any(a is not None for a in in_axes):
            found = _analysed(eqn, in_axes, out_axes, size, name, memo)
            out.append(BatchingChange(
                str(i), primitive_name(eqn), found.kind,
                tuple(_label(eqn.invars[k], labels) for k in found.positions),
                found.inserted, found.rewritten, tuple(out_axes),
                call_name(eqn), found.error))
        axes.update(zip(eqn.outvars, out_axes))
        made_by = " ".join(filter(None, (primitive_name(eqn), call_name(eqn))))
        labels.update((v, made_by) for v in eqn.outvars)
    return tuple(out)


def _literal(v: Any) -> bool:
    return isinstance(v, jex.core.Literal)


def _label(v: Any, labels: dict) -> str:
    """A jaxpr input's label, the producing primitive of another value, a literal's value."""
    if not _literal(v):
        return labels.get(v, "?")
    return str(np.asarray(v.val).item()) if np.ndim(v.val) == 0 else "a constant"


def _analysed(eqn, in_axes, out_axes, size, name, memo: _Memo) -> _Found:
    """The batching of ``eqn``, from ``memo`` when an alike equation was batched."""
    key = _signature(eqn, in_axes, out_axes)
    if key is not None and key in memo.found:
        return memo.found[key]
    batched_pos = tuple(k for k, a in enumerate(in_axes) if a is not None)
    if memo.left <= 0:
        return _Found(BatchingKind.NOT_ANALYSED, batched_pos)
    memo.left -= 1
    try:
        batched = batch_equation(eqn, in_axes, out_axes, size, name).jaxpr
    except Exception as exc:  # noqa: BLE001 - a view of the program must not stop it
        found = _Found(BatchingKind.FAILED, batched_pos, error=type(exc).__name__)
    else:
        found = _compare(eqn, in_axes, batched, name, size)
    if key is not None:
        memo.found[key] = found
    return found


def _signature(eqn, in_axes, out_axes) -> tuple | None:
    """What batching one equation depends on; None when its parameters do not hash."""
    ins = tuple((v.aval, str(v) if _literal(v) else None) for v in eqn.invars)
    key = (eqn.primitive.name, tuple(sorted(eqn.params.items())), ins, tuple(in_axes),
           tuple(out_axes))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _compare(eqn: Any, in_axes: list, batched: Any, axis_name: Any, size: int) -> _Found:
    """Classify what batching made of ``eqn`` (``batched``: the jaxpr of it alone, over
    ``size`` lanes)."""
    prim = eqn.primitive.name
    found = [k for k, e in enumerate(batched.eqns) if e.primitive.name == prim]
    main = batched.eqns[found[-1]] if found else None
    extra = [e for k, e in enumerate(batched.eqns) if not found or k != found[-1]]
    inserted = tuple(primitive_name(e) for e in extra)
    batched_pos = tuple(k for k, a in enumerate(in_axes) if a is not None)
    if prim in _RANDOM or random_call_name(eqn) is not None:
        return _Found(BatchingKind.PER_LANE_RANDOM, batched_pos, inserted)
    params = _changed(eqn, main) if main is not None else ()
    if prim in _COLLECTIVES and axis_name is not None and axis_name in collective_axes(eqn):
        return _Found(BatchingKind.COLLECTIVE, batched_pos, inserted, params)
    if main is None:
        kind = BatchingKind.BRANCHES_SELECTED if prim == "cond" else BatchingKind.REPLACED
        return _Found(kind, batched_pos, inserted)
    if len(found) == size > 1:  # one equation per lane (a debug print) replaces it
        return _Found(BatchingKind.REPLACED, batched_pos, (*inserted, prim))
    carry = _carry(eqn)
    if carry:
        grown = tuple(k for k in carry if k < len(main.invars)
                      and _rank(main.invars[k]) > _rank(eqn.invars[k]))
        if grown:
            return _Found(BatchingKind.LOOP_CARRIES_BATCH, grown, inserted, params)
    if sub_jaxprs(eqn.params):
        return _Found(BatchingKind.BODY_BATCHED, batched_pos, inserted, params)
    if (dot_batch_dims(main) or 0) > (dot_batch_dims(eqn) or 0):
        return _Found(BatchingKind.BATCH_DIM_ADDED, batched_pos, inserted, params)
    origins = _origins(eqn, batched, extra)
    shared = tuple(k for k in origins.get("broadcast_in_dim", ()) if in_axes[k] is None)
    if shared:
        return _Found(BatchingKind.BROADCAST_INSERTED, shared, inserted, params)
    if "transpose" in origins:
        return _Found(BatchingKind.AXIS_MOVED, origins["transpose"], inserted, params)
    if params:
        return _Found(BatchingKind.PARAMS_CHANGED, batched_pos, inserted, params)
    if inserted:
        where = tuple(sorted(set().union(*map(set, origins.values())))) or batched_pos
        return _Found(BatchingKind.INSERTED, where, inserted)
    return _Found(BatchingKind.UNCHANGED, batched_pos)


def _rank(v: Any) -> int:
    return len(getattr(v.aval, "shape", ()))


def _carry(eqn: Any) -> range:
    """Input positions of a ``scan`` / ``while`` loop's carry (empty for other equations)."""
    scan = scan_layout(eqn)
    if scan is not None:
        consts, carry = scan
        return range(consts, consts + carry)
    loop = while_layout(eqn)
    if loop is not None:
        _, cond_consts, _, body_consts = loop
        return range(cond_consts + body_consts, len(eqn.invars))
    return range(0)


def _origins(eqn: Any, batched: Any, extra: list) -> dict[str, tuple[int, ...]]:
    """``inserted primitive -> operand positions`` whose values it reshaped."""
    positions = [k for k, v in enumerate(eqn.invars) if not _literal(v)]
    where: dict = {v: {k} for v, k in zip(batched.invars, positions)}
    out: dict[str, set] = {}
    for e in extra:
        came = set().union(*(where.get(v, set()) for v in e.invars if not _literal(v)))
        out.setdefault(primitive_name(e), set()).update(came)
        where.update((v, came) for v in e.outvars)
    return {name: tuple(sorted(ks)) for name, ks in out.items() if ks}


def _changed(eqn: Any, main: Any) -> tuple[tuple[str, str, str], ...]:
    """``(name, before, after)`` of every parameter batching rewrote."""
    before, after = plain_params(eqn), plain_params(main)
    return tuple((k, _text(before.get(k)), _text(after.get(k)))
                 for k in sorted(before.keys() | after.keys())
                 if not _same(before.get(k), after.get(k)))


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays: compared by identity
        return a is b


def _text(value: Any) -> str:
    text = _NUMPY_SCALAR.sub(r"\1", _ADDRESS.sub("", str(value)))
    return text if len(text) <= _TEXT_CHARS else text[: _TEXT_CHARS - 3] + "..."
