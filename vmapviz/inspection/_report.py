"""Report: every stage record of one mapped call, plus its two jaxprs.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(3), name='count')
>>> def step(x):
...     count.value = count.value + x
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> report = f.inspect(jnp.ones(3))
>>> [s.label for s in report.discovery.states]
['count']
>>> report.cache.hit
False
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

from .. import records as rec
from ..transform import _plan_records
from ..transform._hooks import observe
from . import words
from ._groups import grouped_entries

__all__ = ["Report", "inspect_call"]


@dataclasses.dataclass(frozen=True)
class Report:
    """The records of one call of a :class:`~vmapviz.transform.StatefulMapping`.

    Attributes:
      mapping: the mapping's name.
      cache, discovery, axes, execution, write_back: the stage records.
      keys: the key-splitting record, or None when no RandomState was used.
      elementwise_jaxpr: what one lane computes (ClosedJaxpr).
      batched_jaxpr: the whole mapped call (ClosedJaxpr).
      flags: ``{'elementwise' | 'batched': JaxprFlags}``: which values of each jaxpr
        carry the batch axis (nested jaxprs included; the batched jaxpr: its inputs
        and outputs).
      io_labels: ``{'elementwise' | 'batched': (input labels, output labels)}``, one
        label per jaxpr input / output leaf.
      result: what the call returned.
    """

    mapping: str
    cache: rec.CacheRecord
    discovery: rec.DiscoveryRecord
    axes: rec.AxesRecord
    keys: rec.KeysRecord | None
    execution: rec.ExecutionRecord
    write_back: rec.WriteBackRecord
    elementwise_jaxpr: Any
    batched_jaxpr: Any
    flags: dict = dataclasses.field(compare=False)
    axis_name: Any = None
    io_labels: dict = dataclasses.field(default_factory=dict, compare=False)
    result: Any = dataclasses.field(default=None, repr=False, compare=False)
    _value_axes: Callable[[], list] | None = dataclasses.field(
        default=None, repr=False, compare=False)

    @property
    def transform(self) -> str:
        """``vmap2``, ``pmap2`` or ``shard_map``."""
        return self.axes.transform

    @property
    def title(self) -> str:
        """``vmap2 of step over 4 lanes``: the one title every view shows."""
        return words.title(self.axes)

    @property
    def elementwise_batched(self) -> tuple[bool, ...]:
        """One bool per per-element jaxpr input: does it vary by lane."""
        return self.flags["elementwise"].invars

    @functools.cached_property
    def grouped(self) -> tuple:
        """The axis entries with alike States folded into groups (``_groups``), made once
        for every view of this report."""
        return tuple(grouped_entries(self))

    @functools.cached_property
    def value_axes(self) -> tuple:
        """Where ``jax.vmap`` itself puts the batch axis of each top-level value of the
        per-element jaxpr (computed on first access): the inputs, then each equation's
        outputs (None: the same in every lane)."""
        return tuple(self._value_axes()) if self._value_axes is not None else ()

    @property
    def records(self) -> tuple:
        """The stage records in the order the stages ran."""
        stages = (self.cache, self.discovery, self.axes, self.keys, self.execution,
                  self.write_back)
        return tuple(r for r in stages if r is not None)

    def to_dict(self) -> dict:
        """JSON-ready dict of the records (the jaxprs as text; the cache miss and each
        axis entry with its reasons worded)."""
        records = [rec.to_dict(r) for r in self.records]
        n = self.axes.axis_size
        for r in records:
            if r["stage"] == "cache":
                r["reason"] = words.miss_reason(self.cache)
            if r["stage"] == "axes":
                for d, e in zip(r["entries"], self.axes.entries):
                    d["reason_in"], d["reason_out"] = words.reason_in(e, n), words.reason_out(e, n)
        return {
            "mapping": self.mapping,
            "title": self.title,
            "records": records,
            "elementwise_jaxpr": str(self.elementwise_jaxpr),
            "batched_jaxpr": str(self.batched_jaxpr),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Deterministic JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent)

    def explain(self) -> str:
        """The call told in words (see :func:`vmapviz.explain`)."""
        from ._explain import explain_report

        return explain_report(self)


def inspect_call(mapping: Any, *args: Any, **kwargs: Any) -> Report:
    """Call ``mapping(*args, **kwargs)`` and return the :class:`Report` of that call."""
    with observe() as log:
        result = mapping(*args, **kwargs)
    mine = [r for r in log if getattr(r, "mapping", None) == mapping.name]
    by_stage: dict[str, Any] = {}
    for r in mine:  # records of nested mappings with the same name: keep the outermost call's
        by_stage[r.stage] = r
    plan = mapping._plan(mapping.get_arg_cache_key(*args, **kwargs))
    return Report(
        mapping=mapping.name,
        cache=by_stage["cache"],
        discovery=by_stage["discovery"],
        axes=by_stage["axes"],
        keys=by_stage.get("keys"),
        execution=by_stage["execution"],
        write_back=by_stage["write_back"],
        elementwise_jaxpr=plan.traced.closed_jaxpr,
        batched_jaxpr=plan.batched_jaxpr(),
        flags=_plan_records.jaxpr_flags_of(plan),
        axis_name=mapping.axis_name,
        io_labels=_plan_records.io_labels(plan),
        result=result,
        _value_axes=functools.partial(_plan_records.value_axes, plan),
    )
