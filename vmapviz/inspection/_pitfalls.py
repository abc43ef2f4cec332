"""Random draws that are the same in every lane but end up in per-lane data.

Read from the data flow of the per-element jaxpr (``report.elementwise_jaxpr``) and
its batched flags (``report.flags['elementwise']``). A *draw* is a ``jax.random`` call
(``normal``, ``uniform``, ``bernoulli``, ...: one node in graphs), or a bare
``random_bits`` / ``threefry2x32`` equation. A draw whose key does not vary by lane
gives every lane the same numbers; when those numbers reach an output (or a written
State) that does vary by lane, each lane's data carries the same "random" part, and
nothing complains. Keys that vary by lane (a RandomState's split keys, mapped distinct
keys, ``fold_in(key, axis_index(...))``, ``split(key, n)[i]`` with a mapped ``i``) are
not flagged; nested jaxprs (``jit``, custom derivatives, ``scan``, ``cond``,
``while``) are followed, loop carries to a fixed point.

Inputs in ``same_in_lanes`` (mapped, but every lane got the same key at run time)
count as not varying for the key test.

>>> import jax, jax.numpy as jnp
>>> from vmapviz.transform import vmap2
>>> key = jax.random.key(0)
>>> report = vmap2(lambda x: x + jax.random.normal(key, ())).inspect(jnp.ones(3))
>>> [(p.path, p.name, str(p.source), p.outputs) for p in find_pitfalls(report)]
[('0', 'normal(key)', 'captured', ('output 0',))]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax.extend as jex
import numpy as np

from .._jax_private import (
    cond_branches,
    is_key,
    random_call_name,
    scan_layout,
    sub_jaxprs,
    while_layout,
)
from ..records import EqnFlags, JaxprFlags, KeySource, Kind, Pitfall
from ..transform._propagate import jaxpr_flags

__all__ = ["find_pitfalls"]

_EMPTY: frozenset = frozenset()
_NO_FLAGS = JaxprFlags((), (), ())
#: Primitives that draw bits themselves, and how many leading operands are the key.
_BITS = {"random_bits": 1, "threefry2x32": 2}


def find_pitfalls(report: Any, *, same_in_lanes: Iterable[int] | None = None
                  ) -> tuple[Pitfall, ...]:
    """The random draws of a report that are the same in every lane and reach per-lane
    outputs, in the order the per-element jaxpr holds them.

    ``same_in_lanes``: indices of per-element jaxpr inputs that are mapped but hold the
    same key in every lane; None takes the report's (``report.same_in_lanes``).
    """
    if same_in_lanes is None:
        same_in_lanes = getattr(report, "same_in_lanes", None) or ()
    same = frozenset(same_in_lanes)
    closed = report.elementwise_jaxpr
    flags = (report.flags or {}).get("elementwise")
    if closed is None or flags is None or report.axes is None:  # the call failed early
        return ()
    varies = flags
    if same:  # the same data flow, with those inputs taken as the same in every lane
        ins = [b and i not in same for i, b in enumerate(flags.invars)]
        varies = jaxpr_flags(closed.jaxpr, ins, report.axis_name)
    finder = _Finder(report, same)
    reached = finder.walk(closed.jaxpr, varies, [_EMPTY] * len(closed.jaxpr.invars), "",
                          None, None)
    out_labels = list((report.io_labels or {}).get("elementwise", ((), ()))[1])
    returned = {e.label for e in report.axes.of(Kind.OUTPUT)}
    found = []
    for path, (name, primitive, (source, label, index)) in finder.draws.items():
        hit = [out_labels[j] for j, (t, b) in enumerate(zip(reached, flags.outvars))
               if b and path in t and j < len(out_labels)]
        if hit:
            outs = tuple(x for x in hit if x in returned)
            states = tuple(x for x in hit if x not in returned)
            found.append(Pitfall(path, name, primitive, source, label, index, outs, states))
    return tuple(found)


def _draw(eqn: Any) -> tuple[str, int] | None:
    """``(shown name, key operands)`` of a random draw, else None."""
    name = random_call_name(eqn)
    if name is not None:
        return f"{name}(key)", 1
    n = _BITS.get(eqn.primitive.name)
    return (eqn.primitive.name, n) if n else None


def _is_lit(v: Any) -> bool:
    return isinstance(v, jex.core.Literal)


class _Frame:
    """One jaxpr being walked: which of its values vary by lane, which equation made
    each, and the equation (in the enclosing frame) that holds it."""

    __slots__ = ("eqn", "jaxpr", "parent", "producer", "varies")

    def __init__(self, jaxpr: Any, parent: _Frame | None, eqn: Any):
        self.jaxpr, self.parent, self.eqn = jaxpr, parent, eqn
        self.varies: dict = {}
        self.producer: dict = {}

    def vary(self, v: Any) -> bool:
        return False if _is_lit(v) else self.varies.get(v, False)


class _Finder:
    """Walks the per-element jaxpr once (loop bodies until their carries settle): finds
    the draws whose key is the same in every lane, and follows each one's numbers
    forward (``walk`` returns, per output, the paths of the draws it holds)."""

    def __init__(self, report: Any, same: frozenset):
        self.same = same
        self.in_labels = list((report.io_labels or {}).get("elementwise", ((), ()))[0])
        self.kinds = {e.label: e.kind for e in report.axes.entries
                      if e.kind in (Kind.ARGUMENT, Kind.STATE)}
        self.draws: dict[str, tuple] = {}  # path -> (name, primitive, source)
        self._has: dict[int, bool] = {}

    def walk(self, jaxpr: Any, flags: JaxprFlags, taint: list, where: str,
             parent: _Frame | None, holder: Any) -> list[frozenset]:
        frame = _Frame(jaxpr, parent, holder)
        frame.varies.update(zip(jaxpr.invars, flags.invars))
        env = dict(zip(jaxpr.invars, taint))
        for i, eqn in enumerate(jaxpr.eqns):
            eflags = flags.eqns[i] if i < len(flags.eqns) else EqnFlags(
                (False,) * len(eqn.outvars))
            ins = [_EMPTY if _is_lit(v) else env.get(v, _EMPTY) for v in eqn.invars]
            outs = self._eqn(eqn, eflags, ins, f"{where}{i}", frame)
            env.update(zip(eqn.outvars, outs))
            frame.varies.update(zip(eqn.outvars, eflags.outs))
            frame.producer.update((v, eqn) for v in eqn.outvars)
        return [_EMPTY if _is_lit(v) else env.get(v, _EMPTY) for v in jaxpr.outvars]

    def _eqn(self, eqn: Any, eflags: EqnFlags, ins: list, path: str,
             frame: _Frame) -> list[frozenset]:
        n = len(eqn.outvars)
        everything = _EMPTY.union(*ins)
        draw = _draw(eqn)
        if draw is not None:  # a draw is one unit: its insides are not walked
            name, n_keys = draw
            keys = eqn.invars[:n_keys]
            if keys and not any(frame.vary(v) for v in keys):
                if path not in self.draws:
                    self.draws[path] = (name, eqn.primitive.name, self._source(frame, keys[0]))
                everything = everything | {path}
            return [everything] * n
        subs = sub_jaxprs(eqn.params)
        if not subs:
            return [everything] * n
        return self._nested(eqn, eflags, ins, subs, path, frame)

    def _nested(self, eqn: Any, eflags: EqnFlags, ins: list, subs: list, path: str,
                frame: _Frame) -> list[frozenset]:
        """Follow an equation's sub-jaxprs; inputs that reach none of them (a cond's
        index) decide every output."""
        n = len(eqn.outvars)
        ins = list(ins)
        outs: list[frozenset] = [_EMPTY] * n
        used: set[int] = set()
        for j, (_, sub) in enumerate(subs):
            flags = eflags.subs[j] if j < len(eflags.subs) else _NO_FLAGS
            where = [_outer_index(eqn, sub, m) for m in range(len(sub.invars))]
            used.update(k for k in where if k is not None)
            sub_in = [ins[k] if k is not None and k < len(ins) else _EMPTY.union(*ins)
                      for k in where]
            if not any(sub_in) and not self._has_draw(sub):
                continue
            sub_out = self._loop(eqn, sub, flags, sub_in, f"{path}/{j}/", frame)
            for m, k in enumerate(where):  # carries grown by the loop (a while's cond reads them)
                if k is not None and k < len(ins):
                    ins[k] = ins[k] | sub_in[m]
            for o, t in enumerate(sub_out):
                for k in _outer_outs(eqn, sub, o, n):
                    outs[k] = outs[k] | t
        rest = _EMPTY.union(*(t for k, t in enumerate(ins) if k not in used))
        return [t | rest for t in outs]

    def _loop(self, eqn: Any, sub: Any, flags: JaxprFlags, sub_in: list, where: str,
              frame: _Frame) -> list[frozenset]:
        """Walk ``sub``; for a loop body, again while its carries grow (``sub_in`` is
        updated in place)."""
        back = _feedback(eqn, sub)
        while True:
            sub_out = self.walk(sub, flags, sub_in, where, frame, eqn)
            grown = False
            for o, m in back.items():
                if o < len(sub_out) and not sub_out[o] <= sub_in[m]:
                    sub_in[m] = sub_in[m] | sub_out[o]
                    grown = True
            if not grown:
                return sub_out

    def _has_draw(self, jaxpr: Any) -> bool:
        key = id(jaxpr)
        if key not in self._has:
            self._has[key] = any(
                _draw(e) is not None or any(self._has_draw(s) for _, s in sub_jaxprs(e.params))
                for e in jaxpr.eqns)
        return self._has[key]

    def _source(self, frame: _Frame, var: Any) -> tuple[KeySource, str | None, int | None]:
        """Where the key ``var`` comes from, traced back through the equations that made
        it and out of nested jaxprs: ``(source, label, input index)``."""
        while True:
            if _is_lit(var):
                return KeySource.FIXED_SEED, None, None
            if var in frame.producer:
                var = _key_operand(frame.producer[var], frame)
                if var is None:
                    return KeySource.FIXED_SEED, None, None
                continue
            if var in frame.jaxpr.invars and frame.parent is not None:
                k = _outer_index(frame.eqn, frame.jaxpr, frame.jaxpr.invars.index(var))
                if k is None or k >= len(frame.eqn.invars):
                    return KeySource.OTHER, None, None
                var, frame = frame.eqn.invars[k], frame.parent
                continue
            if var in frame.jaxpr.invars:
                return self._input(frame.jaxpr.invars.index(var), frame.vary(var))
            return KeySource.CAPTURED, None, None

    def _input(self, i: int, varies: bool) -> tuple[KeySource, str | None, int | None]:
        label = self.in_labels[i] if i < len(self.in_labels) else None
        if i in self.same:
            return KeySource.SAME_IN_LANES, label, i
        kind = self.kinds.get(label)
        if varies or kind is None:
            return KeySource.OTHER, label, i
        return (KeySource.ARGUMENT if kind is Kind.ARGUMENT else KeySource.STATE), label, i


def _key_operand(eqn: Any, frame: _Frame) -> Any:
    """The operand a key was made from (None: made from literals alone, a fixed seed):
    the first key that is the same in every lane, else raw key data (``uint32``), else
    any operand that is the same in every lane, else the first operand."""
    ins = [v for v in eqn.invars if not _is_lit(v)]
    if not ins:
        return None
    steady = [v for v in ins if not frame.vary(v)]
    for pick in (lambda v: is_key(v.aval), lambda v: _raw_key(v.aval), lambda v: True):
        found = [v for v in steady if pick(v)]
        if found:
            return found[0]
    return ins[0]


def _raw_key(aval: Any) -> bool:
    return getattr(aval, "dtype", None) == np.dtype("uint32")


def _outer_index(eqn: Any, sub: Any, m: int) -> int | None:
    """The input of ``eqn`` that feeds input ``m`` of its sub-jaxpr ``sub`` (None: none
    lines up)."""
    if cond_branches(eqn) is not None:
        return m + 1  # the first input picks the branch
    layout = while_layout(eqn)
    if layout is not None:  # inputs: cond consts, body consts, carry
        _, cn, body, bn = layout
        return cn + m if sub is body else (m if m < cn else bn + m)
    return m if len(sub.invars) == len(eqn.invars) else None


def _outer_outs(eqn: Any, sub: Any, o: int, n: int) -> range | tuple[int, ...]:
    """The outputs of ``eqn`` that output ``o`` of ``sub`` feeds (a while's condition
    decides all of them)."""
    layout = while_layout(eqn)
    if layout is not None and sub is layout[0]:
        return range(n)
    return (o,) if len(sub.outvars) == n else range(n)


def _feedback(eqn: Any, sub: Any) -> dict[int, int]:
    """A loop body's carried outputs -> the inputs they come back in as."""
    layout = scan_layout(eqn)
    if layout is not None:
        consts, carry = layout
        return {o: consts + o for o in range(carry)}
    loop = while_layout(eqn)
    if loop is not None and sub is loop[2]:
        return {o: loop[3] + o for o in range(len(sub.outvars))}
    return {}
