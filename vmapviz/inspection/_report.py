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
import json
from typing import Any

from ..transform import _records as rec
from ..transform._hooks import observe

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
      elementwise_batched: one bool per per-element jaxpr input: does it vary by lane.
      io_labels: ``{'elementwise' | 'batched': (input labels, output labels)}``, one
        label per jaxpr input / output leaf.
      value_axes: where ``jax.vmap`` puts the batch axis of each top-level value of
        the per-element jaxpr: the inputs, then each equation's outputs (None: the
        same in every lane).
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
    elementwise_batched: tuple[bool, ...]
    axis_name: Any
    io_labels: dict = dataclasses.field(default_factory=dict, compare=False)
    value_axes: tuple = ()
    result: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def records(self) -> tuple:
        """The stage records in the order the stages ran."""
        stages = (self.cache, self.discovery, self.axes, self.keys, self.execution,
                  self.write_back)
        return tuple(r for r in stages if r is not None)

    def to_dict(self) -> dict:
        """JSON-ready dict of the records (the jaxprs as text)."""
        return {
            "mapping": self.mapping,
            "records": [rec.to_dict(r) for r in self.records],
            "elementwise_jaxpr": str(self.elementwise_jaxpr),
            "batched_jaxpr": str(self.batched_jaxpr),
            "value_axes": list(self.value_axes),
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
    key = mapping.get_arg_cache_key(*args, **kwargs)
    plan = mapping._plan(key)
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
        elementwise_batched=tuple(plan.in_batched),
        axis_name=mapping.axis_name,
        io_labels=plan.io_labels(),
        value_axes=tuple(plan.value_axes()),
        result=result,
    )
