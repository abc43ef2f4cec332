"""Stage records: what each stage of a mapped call decided, as plain frozen data.

Records hold strings, ints, bools and tuples only (no arrays, tracers or ids), so
they print and serialize identically on every run.

>>> r = StateRecord(label='count', type='ShortTermState', shape=(4,), dtype='float32',
...                 path='count', source='tutorial.py:7', read=True, written=True)
>>> to_json(r)[:40]
'{"dtype": "float32", "label": "count", "'
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

__all__ = [
    "AxesRecord",
    "AxisRecord",
    "CacheRecord",
    "DiscoveryRecord",
    "ExecutionRecord",
    "KeyRecord",
    "KeysRecord",
    "StateRecord",
    "WriteBackRecord",
    "WriteRecord",
    "to_dict",
    "to_json",
]

_frozen = dataclasses.dataclass(frozen=True, slots=True)


@_frozen
class StateRecord:
    """One State a call touched."""

    label: str
    type: str
    shape: tuple
    dtype: str
    path: str | None
    source: str
    read: bool
    written: bool


@_frozen
class DiscoveryRecord:
    """Stage 1: the States the function read and wrote, in first-touch order."""

    mapping: str
    states: tuple[StateRecord, ...]
    stage: str = "discovery"


@_frozen
class AxisRecord:
    """Where one argument leaf, State or output carries the batch axis, and why."""

    kind: str  # 'argument' | 'state' | 'output'
    label: str
    type: str  # full type outside the map, e.g. 'f32[4,3]'
    lane_type: str  # type seen by one lane, e.g. 'f32[3]'
    axis_in: int | None
    axis_out: int | None
    reason_in: str
    reason_out: str
    batched: bool | None  # for written States and outputs: does the value vary by lane


@_frozen
class AxesRecord:
    """Stage 2: the batch axis of everything that enters and leaves the map."""

    mapping: str
    axis_size: int
    axis_name: str | None
    entries: tuple[AxisRecord, ...]
    transform: str = "vmap2"  # or "pmap2": how the lanes run
    stage: str = "axes"


@_frozen
class KeyRecord:
    """One RandomState's split: its key before, one key per lane, its key after."""

    label: str
    key_before: tuple[int, ...]
    lane_keys: tuple[tuple[int, ...], ...]
    key_after: tuple[int, ...]


@_frozen
class KeysRecord:
    """Stage 3: random keys split per lane (``split(key, n + 1)``)."""

    mapping: str
    axis_size: int
    entries: tuple[KeyRecord, ...]
    stage: str = "keys"


@_frozen
class CacheRecord:
    """Stage 4: the cache lookup for this call's signature."""

    mapping: str
    key: str
    hit: bool
    entries: int
    traces: int
    reason: str | None  # on a miss: what differs from the nearest earlier entry
    stage: str = "cache"


@_frozen
class ExecutionRecord:
    """Stage 5: how the batched program ran."""

    mapping: str
    compiled: bool
    outputs: tuple[str, ...]
    stage: str = "execution"


@_frozen
class WriteRecord:
    """One State written back: its type before and after, and on which axis."""

    label: str
    before: str
    after: str
    axis: int | None


@_frozen
class WriteBackRecord:
    """Stage 6: States written back after the call."""

    mapping: str
    entries: tuple[WriteRecord, ...]
    stage: str = "write_back"


def to_dict(record: Any) -> Any:
    """A record (or tuple of records) as JSON-ready dicts and lists."""
    if dataclasses.is_dataclass(record):
        return {f.name: to_dict(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, (tuple, list)):
        return [to_dict(x) for x in record]
    return record


def to_json(record: Any, indent: int | None = None) -> str:
    """Deterministic JSON (sorted keys) of a record."""
    return json.dumps(to_dict(record), sort_keys=True, indent=indent)
