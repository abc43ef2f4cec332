"""compare(a, b): what changed between two inspected calls (usually of one mapping).

Students ask "why did it recompile?" and "what changed between these two calls?".
:func:`compare` answers with records: the argument leaves, States and outputs whose
type, batching or deciding filter changed (:class:`~vmapviz.records.EntryChange`),
b's cache lookup (hit, or miss and why), and the sizes and primitives of the
per-element and batched jaxprs (:class:`~vmapviz.records.JaxprChange`).

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> a = f.inspect(jnp.ones(4))
>>> count.value = jnp.zeros(3)
>>> c = compare(a, f.inspect(jnp.ones(3)))
>>> print(c.text().splitlines()[1])
Cache, b (call 2): cache miss: traced because argument d: now f32[3], before f32[4] (signature (f32[3]); 2 trace(s) so far).
>>> [(e.label, e.fields) for e in c.entries]
[('argument d', ('type',)), ('count', ('type',)), ('output 0', ('type',))]
"""

from __future__ import annotations

import collections
import dataclasses
import json
import pathlib
from typing import Any

from .. import records as rec
from .._jax_private import sub_jaxprs
from ..records import Delta, EntryChange, JaxprChange, Kind, PrimitiveCount
from . import words
from ._report import Report

__all__ = ["Comparison", "compare"]

#: The fields compared per kind of entry (``state_class`` comes from discovery).
COMPARED = {
    Kind.ARGUMENT: ("type", "weak", "axis_in", "rule_in"),
    Kind.STATE: ("type", "weak", "state_class", "axis_in", "axis_out", "rule_in", "rule_out",
                 "filter_in", "filter_out", "policy", "batched"),
    Kind.OUTPUT: ("type", "weak", "axis_out", "batched"),
}
#: What an entry found in one report only is shown with.
PRESENT = {
    Kind.ARGUMENT: ("type", "axis_in"),
    Kind.STATE: ("type", "axis_in", "axis_out"),
    Kind.OUTPUT: ("type", "axis_out"),
}
_KINDS = (Kind.ARGUMENT, Kind.STATE, Kind.OUTPUT)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What changed from report ``a`` to report ``b`` (see :func:`compare`).

    Attributes:
      mapping_a, mapping_b: the mappings' names.
      axis_size_a, axis_size_b: the lanes of each call.
      cache_a, cache_b: each call's cache record (``cache_b``: b's hit, or miss and why).
      entries: the argument leaves, States and outputs that differ, arguments first.
      jaxprs: the per-element then the batched jaxprs side by side.
      reports: ``(a, b)``.
    """

    mapping_a: str
    mapping_b: str
    axis_size_a: int
    axis_size_b: int
    cache_a: rec.CacheRecord
    cache_b: rec.CacheRecord
    entries: tuple[EntryChange, ...]
    jaxprs: tuple[JaxprChange, ...]
    reports: tuple = dataclasses.field(default=(), repr=False, compare=False)

    @property
    def same_mapping(self) -> bool:
        """Both reports are calls of one mapping (told by its name)."""
        return self.mapping_a == self.mapping_b

    @property
    def hit(self) -> bool:
        """b found its signature in the cache (no retrace)."""
        return self.cache_b.hit

    @property
    def changed(self) -> bool:
        """Anything differs: an entry, or a jaxpr's text."""
        return bool(self.entries) or not all(j.same_text for j in self.jaxprs)

    def of(self, kind: Kind) -> tuple[EntryChange, ...]:
        """The changed entries of one kind."""
        return tuple(e for e in self.entries if e.kind == kind)

    def text(self) -> str:
        """The comparison in plain lines (``words.comparison_lines``)."""
        return "\n".join(words.comparison_lines(self))

    __str__ = text

    def html(self) -> str:
        """A static HTML table of the comparison (no script)."""
        from ..render.compare_html import comparison_html

        return comparison_html(self)

    def _repr_html_(self) -> str:
        return self.html()

    def to_dict(self) -> dict:
        """The records as JSON-ready dicts (the reports themselves left out)."""
        out = {f.name: rec.to_dict(getattr(self, f.name))
               for f in dataclasses.fields(self) if f.name != "reports"}
        out["same_mapping"] = self.same_mapping
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """Deterministic JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent)

    def widget(self) -> Any:
        """An :class:`~vmapviz.widgets.Inspector` holding both reports, labelled by call."""
        from ..widgets import Inspector

        return Inspector(list(self.reports))

    def save_html(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the comparison as one self-contained HTML page and return the path: what
        changed, then each call with its words, tables, axis diagrams and jaxpr graphs
        (:func:`vmapviz.render.page.comparison_page`; no script, nothing from the network).

        Raises:
          FileNotFoundError: the folder of ``path`` does not exist (none is created).
          IsADirectoryError: ``path`` is a folder.
        """
        from ..render.page import comparison_page, save_page

        return save_page(lambda: comparison_page(self), path)


def _keyed(report: Report) -> dict[tuple, rec.AxisRecord]:
    """Axis entries by ``(kind, label, n)``: the n-th entry of that kind and label."""
    seen: collections.Counter = collections.Counter()
    out = {}
    for e in report.axes.entries:
        seen[(e.kind, e.label)] += 1
        out[(e.kind, e.label, seen[(e.kind, e.label)])] = e
    return out


def _value(e: rec.AxisRecord, field: str, classes: dict) -> Any:
    return classes.get(e.label) if field == "state_class" else getattr(e, field)


def _entry_changes(a: Report, b: Report) -> tuple[EntryChange, ...]:
    """Every argument leaf, State and output that differs, in b's order (a's only last)."""
    ka, kb = _keyed(a), _keyed(b)
    cls_a = {s.label: s.type for s in a.discovery.states}
    cls_b = {s.label: s.type for s in b.discovery.states}
    out = []
    for kind in _KINDS:
        keys = [k for k in kb if k[0] == kind] + [k for k in ka if k[0] == kind and k not in kb]
        for key in keys:
            ea, eb = ka.get(key), kb.get(key)
            state = kind is Kind.STATE
            ca = cls_a.get(key[1]) if state and ea is not None else None
            cb = cls_b.get(key[1]) if state and eb is not None else None
            if ea is None or eb is None:
                delta = Delta.ADDED if ea is None else Delta.REMOVED
                out.append(EntryChange(kind, key[1], delta, PRESENT[kind], ea, eb, ca, cb))
                continue
            fields = tuple(f for f in COMPARED[kind]
                           if _value(ea, f, cls_a) != _value(eb, f, cls_b))
            if fields:
                out.append(EntryChange(kind, key[1], Delta.CHANGED, fields, ea, eb, ca, cb))
    return tuple(out)


def _primitives(jaxpr: Any, counts: collections.Counter) -> collections.Counter:
    """Count every equation's primitive in ``jaxpr`` and the jaxprs nested in it."""
    for eqn in jaxpr.eqns:
        counts[eqn.primitive.name] += 1
        for _, sub in sub_jaxprs(eqn.params):
            _primitives(sub, counts)
    return counts


def _jaxpr_change(which: str, ja: Any, jb: Any) -> JaxprChange:
    pa = _primitives(ja.jaxpr, collections.Counter())
    pb = _primitives(jb.jaxpr, collections.Counter())
    prims = tuple(PrimitiveCount(name, pa[name], pb[name])
                  for name in sorted(set(pa) | set(pb)) if pa[name] != pb[name])
    return JaxprChange(which, len(ja.jaxpr.eqns), len(jb.jaxpr.eqns), sum(pa.values()),
                       sum(pb.values()), prims, str(ja) == str(jb))


def _check(report: Any, name: str) -> None:
    if not isinstance(report, Report):
        raise TypeError(
            f"vmapviz.compare: argument {name} must be a vmapviz.inspection.Report (made "
            f"by mapping.inspect(*args)), got {type(report).__name__}.")


def compare(a: Report, b: Report) -> Comparison:
    """What changed from call ``a`` to call ``b``: arguments, States, cache, jaxprs.

    ``a`` and ``b`` are :class:`~vmapviz.inspection.Report`\\ s, usually two calls of
    one mapping; two different mappings are compared too (the comparison says so).
    Entries are matched by kind and label.

    Raises:
      TypeError: ``a`` or ``b`` is not a Report.

    >>> import jax.numpy as jnp
    >>> from vmapviz.transform import vmap2
    >>> f = vmap2(lambda x: x * 2)
    >>> c = compare(f.inspect(jnp.ones(3)), f.inspect(jnp.zeros(3)))
    >>> c.hit, c.entries, c.changed
    (True, (), False)
    >>> print(c.text().splitlines()[0])
    Comparing <lambda>: a (call 1) vs b (call 2).
    """
    _check(a, "a")
    _check(b, "b")
    jaxprs = (_jaxpr_change("elementwise", a.elementwise_jaxpr, b.elementwise_jaxpr),
              _jaxpr_change("batched", a.batched_jaxpr, b.batched_jaxpr))
    return Comparison(
        mapping_a=a.mapping, mapping_b=b.mapping,
        axis_size_a=a.axes.axis_size, axis_size_b=b.axes.axis_size,
        cache_a=a.cache, cache_b=b.cache,
        entries=_entry_changes(a, b), jaxprs=jaxprs, reports=(a, b),
    )
