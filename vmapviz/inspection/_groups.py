"""Group States that the map treats alike, so 600 shared weights are one row, not 600.

States group when they have the same State class and the same decisions (axes in and
out, the rules and filters that chose them, batched or not) and labels of the same
depth; a group needs at least ``min_size`` members. Its label is a pattern of the
members' labels: equal parts kept, parts numbered past three values ``*``, other
parts ``{a,b}``.

>>> state_pattern(['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b'])
'layers.{0,1}.{W,b}'
>>> state_pattern([f'layers.{i}.0' for i in range(300)])
'layers.*.0'
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..records import AxisRecord, Kind

__all__ = ["StateGroup", "grouped_entries", "state_pattern"]

#: Fewer alike States than this stay one row each.
MIN_GROUP = 4


@dataclasses.dataclass(frozen=True)
class StateGroup:
    """Several States the map treats alike; ``first`` stands for all of them."""

    pattern: str
    state_type: str
    members: tuple[AxisRecord, ...]

    @property
    def first(self) -> AxisRecord:
        return self.members[0]

    @property
    def types(self) -> tuple[str, ...]:
        """The members' distinct types, in first-seen order."""
        return tuple(dict.fromkeys(m.type for m in self.members))

    @property
    def label(self) -> str:
        return f"{self.pattern} ({len(self.members)} {self.state_type}s)"


def state_pattern(labels: list[str]) -> str:
    """One pattern for labels of the same depth (see the module docstring)."""
    parts = [label.split(".") for label in labels]
    out = []
    for column in zip(*parts):
        values = list(dict.fromkeys(column))
        if len(values) == 1:
            out.append(values[0])
        elif len(values) > 3 and all(v.isdigit() for v in values):
            out.append("*")
        else:
            out.append("{" + ",".join(values) + "}")
    return ".".join(out)


def _key(e: AxisRecord, state_type: str) -> tuple:
    return (state_type, e.rule_in, e.rule_out, e.axis_in, e.axis_out, e.batched,
            e.filter_in, e.filter_out, e.policy, len(e.label.split(".")))


def grouped_entries(report: Any, min_size: int = MIN_GROUP) -> list[AxisRecord | StateGroup]:
    """The report's axis entries in order, alike States of ``min_size`` or more folded into
    one :class:`StateGroup` at the place of its first member."""
    state_types = {s.label: s.type for s in report.discovery.states}
    buckets: dict[tuple, list[AxisRecord]] = {}
    for e in report.axes.entries:
        if e.kind is Kind.STATE:
            buckets.setdefault(_key(e, state_types.get(e.label, "State")), []).append(e)
    folded = {id(m): key for key, members in buckets.items() if len(members) >= min_size
              for m in members}
    out: list[AxisRecord | StateGroup] = []
    placed: set[tuple] = set()
    for e in report.axes.entries:
        key = folded.get(id(e))
        if key is None:
            out.append(e)
        elif key not in placed:
            placed.add(key)
            members = tuple(buckets[key])
            out.append(StateGroup(state_pattern([m.label for m in members]), key[0], members))
    return out
