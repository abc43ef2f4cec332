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

import contextlib
import dataclasses
import functools
import json
import pathlib
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from .. import records as rec
from ..transform import _plan_records
from ..transform._hooks import capture_values, observe
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
    cache: rec.CacheRecord | None
    discovery: rec.DiscoveryRecord | None
    axes: rec.AxesRecord | None
    keys: rec.KeysRecord | None
    execution: rec.ExecutionRecord | None
    write_back: rec.WriteBackRecord | None
    elementwise_jaxpr: Any
    batched_jaxpr: Any
    flags: dict = dataclasses.field(compare=False)
    axis_name: Any = None
    io_labels: dict = dataclasses.field(default_factory=dict, compare=False)
    result: Any = dataclasses.field(default=None, repr=False, compare=False)
    _value_axes: Callable[[], list] | None = dataclasses.field(
        default=None, repr=False, compare=False)
    values: rec.ValuesRecord | None = None
    error: rec.ErrorRecord | None = None
    same_in_lanes: frozenset = dataclasses.field(default=frozenset(), compare=False)

    @property
    def dry_run(self) -> bool:
        """True when nothing ran (``inspect(..., dry_run=True)``): shapes only."""
        return self.execution is not None and not self.execution.ran

    @property
    def failed(self) -> bool:
        """True when the call raised; ``error`` says where and why."""
        return self.error is not None

    @property
    def transform(self) -> str:
        """``vmap2``, ``pmap2`` or ``shard_map``."""
        return self.axes.transform

    @property
    def title(self) -> str:
        """``vmap2 of step over 4 lanes``: the one title every view shows."""
        if self.axes is None:
            return f"{self.mapping}: failed with {self.error.error_type}"
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

    @functools.cached_property
    def pitfalls(self) -> tuple:
        """Random draws that are the same in every lane but reach an output that varies
        by lane: :class:`~vmapviz.records.Pitfall` records (``_pitfalls.find_pitfalls``,
        read from the per-element jaxpr's data flow on first access)."""
        from ._pitfalls import find_pitfalls

        return find_pitfalls(self)

    @functools.cached_property
    def batching(self) -> tuple:
        """What ``jax.vmap``'s batching rules made of each top-level per-element equation
        with a batched input: :class:`~vmapviz.records.BatchingChange` records
        (``_batching.batching_changes``, computed on first access; ``()`` under
        ``pmap2`` / ``shard_map``)."""
        from ._batching import batching_changes

        return batching_changes(self)

    @property
    def records(self) -> tuple:
        """The stage records in the order the stages ran."""
        stages = (self.cache, self.discovery, self.axes, self.keys, self.execution,
                  self.write_back, self.values, self.error)
        return tuple(r for r in stages if r is not None)

    def to_dict(self, values: bool = True) -> dict:
        """JSON-ready dict of the records (the jaxprs as text; the cache miss and each
        axis entry with its reasons worded); ``values=False`` leaves out the values per
        lane (``inspect(..., values=True)``), the largest record."""
        records = [rec.to_dict(r) for r in self.records
                   if values or not isinstance(r, rec.ValuesRecord)]
        n = self.axes.axis_size if self.axes is not None else 0
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

    def save_html(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write this call as one self-contained HTML page to hand out, and return the path.

        The page (:func:`vmapviz.render.page.report_page`) holds the call in words, its
        tables, axis diagrams, the values per lane when recorded and both jaxpr graphs:
        no script, nothing loaded from the network, printable; the same report writes the
        same bytes. A failed call's report and a dry run save too.

        Raises:
          FileNotFoundError: the folder of ``path`` does not exist (none is created).
          IsADirectoryError: ``path`` is a folder.

        >>> import tempfile, pathlib, jax.numpy as jnp
        >>> from vmapviz.transform import vmap2
        >>> report = vmap2(lambda x: x * 2).inspect(jnp.ones(3))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = report.save_html(pathlib.Path(folder) / 'call.html')
        ...     print(path.name, '<title>vmap2 of &lt;lambda&gt; over 3 lanes</title>' in path.read_text())
        call.html True
        """
        from ..render.page import report_page, save_page

        return save_page(lambda: report_page(self), path)


def inspect_call(mapping: Any, *args: Any, values: bool | int = False, dry_run: bool = False,
                 **kwargs: Any) -> Report:
    """Call ``mapping(*args, **kwargs)`` and return the :class:`Report` of that call.

    Args:
      values: also record what each lane read and produced (``True``: the first
        :data:`VALUES_CAP` elements of every array; an int: that many).
      dry_run: run nothing and change no State: trace on shapes only (arguments may be
        ``jax.ShapeDtypeStruct``) and report the State types after the call would end.

    Raises:
      whatever the call raises, with the Report of the stages that ran attached as
      ``err.report`` (its ``error`` record says where and why).
    """
    if dry_run and values:
        raise ValueError("inspect: dry_run=True runs nothing, so it has no values per lane; "
                         "drop values=True, or run the call.")
    plan = None
    with observe() as log, _values_context(values):
        try:
            if dry_run:
                plan = mapping._dry_run(*args, **kwargs)
                result = None
            else:
                result = mapping(*args, **kwargs)
        except Exception as err:
            err.report = _report(mapping, log, None, None)
            raise
    if plan is None:
        plan = mapping._plan(mapping.get_arg_cache_key(*args, **kwargs))
    report = _report(mapping, log, plan, result)
    if not dry_run:
        report = dataclasses.replace(report, same_in_lanes=_same_in_lanes(mapping, plan,
                                                                            args, kwargs))
    return report


VALUES_CAP = 64
"""Elements recorded per array by ``inspect(..., values=True)``."""


def _values_context(values: bool | int):
    if values is False or values is None:
        return contextlib.nullcontext()
    return capture_values(VALUES_CAP if values is True else values)


def _report(mapping: Any, log: list, plan: Any, result: Any) -> Report:
    """The Report of the records in ``log`` (``plan`` None: the call failed)."""
    mine = [r for r in log if getattr(r, "mapping", None) == mapping.name]
    by_stage: dict[str, Any] = {}
    for r in mine:  # records of nested mappings with the same name: keep the outermost call's
        by_stage[r.stage] = r
    stages = {name: by_stage.get(name) for name in (
        "cache", "discovery", "axes", "keys", "execution", "write_back", "values", "error")}
    if plan is None:
        return Report(mapping=mapping.name, **stages, elementwise_jaxpr=None,
                      batched_jaxpr=None, flags={}, axis_name=mapping.axis_name)
    return Report(
        mapping=mapping.name,
        **stages,
        elementwise_jaxpr=plan.traced.closed_jaxpr,
        batched_jaxpr=plan.batched_jaxpr(),
        flags=_plan_records.jaxpr_flags_of(plan),
        axis_name=mapping.axis_name,
        io_labels=_plan_records.io_labels(plan),
        result=result,
        _value_axes=functools.partial(_plan_records.value_axes, plan),
    )


def _same_in_lanes(mapping: Any, plan: Any, args: tuple, kwargs: dict) -> frozenset:
    """Per-element jaxpr inputs that are mapped, key-like, and equal in every lane."""
    leaves = mapping._split(args, kwargs).leaves
    return frozenset(i for i, (x, ax) in enumerate(zip(leaves, plan.axes))
                     if ax is not None and _key_like(x, ax) and _lanes_equal(x, ax))


def _key_like(x: Any, axis: int) -> bool:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return False
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return True
    lane_shape = [d for i, d in enumerate(x.shape) if i != axis % max(x.ndim, 1)]
    return dtype == np.uint32 and lane_shape[-1:] == [2]


def _lanes_equal(x: Any, axis: int) -> bool:
    if isinstance(x, jax.core.Tracer) or x.shape[axis] < 2:
        return False
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    data = np.moveaxis(np.asarray(x), axis, 0)
    return bool((data == data[:1]).all())
