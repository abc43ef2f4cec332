"""Stage records: what each stage of a mapped call decided, as plain frozen data.

The engine (``vmapviz.transform``) makes them; :mod:`vmapviz.inspection` and the
renderers only read them. Records hold strings, ints, bools, tuples and the closed
sets :class:`Kind` and :class:`Rule` (no arrays, tracers or ids), so they print and
serialize identically on every run. They hold no prose: reasons and titles are
worded from these fields by :mod:`vmapviz.inspection.words`.

>>> r = StateRecord(label='count', type='ShortTermState', shape=(4,), dtype='float32',
...                 path='count', source='tutorial.py:7', read=True, written=True)
>>> to_json(r)[:40]
'{"dtype": "float32", "label": "count", "'
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

__all__ = [
    "AxesRecord",
    "AxisRecord",
    "CacheRecord",
    "Change",
    "Difference",
    "DiscoveryRecord",
    "EqnFlags",
    "ExecutionRecord",
    "JaxprFlags",
    "KeyRecord",
    "KeysRecord",
    "Kind",
    "Rule",
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


class _Closed(enum.StrEnum):
    """A closed set of names: compares and serializes as its string, prints as ``Rule.X``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class Kind(_Closed):
    """What an :class:`AxisRecord` describes."""

    ARGUMENT = "argument"
    STATE = "state"
    OUTPUT = "output"


class Rule(_Closed):
    """The rule that decided a batch axis (the closed set every view words and draws).

    Entering the map: ``IN_AXES``, ``KEYWORD`` (mapped keyword arguments), ``FILTER``
    (a ``state_in_axes`` filter matched; ``filter_in`` names it), ``UNMATCHED`` (no
    filter matched: broadcast), ``AUTO_PER_LANE`` (policy 'auto' feeds a State whose
    leading size is the batch size per lane), ``RANDOM_SPLIT`` (a RandomState's key is
    split per lane), ``WRITTEN_ONLY`` (not read).

    Leaving it: ``OUT_AXES`` (outputs), ``NOT_WRITTEN``, ``RANDOM_KEEP`` (lane keys
    dropped, the State keeps the split key), ``SAME_AXIS`` (written back on the axis it
    entered on), ``DECLARED`` (a ``state_out_axes`` filter matched; ``filter_out``),
    ``UNCHANGED`` (same in every lane: written back as is), ``LEADING_SIZE`` (written
    only, its leading size is the batch size), ``POLICY`` (``unexpected_out_state_mapping``
    chose axis 0; ``policy`` names it).
    """

    IN_AXES = "in_axes"
    KEYWORD = "keyword"
    FILTER = "filter"
    UNMATCHED = "unmatched"
    AUTO_PER_LANE = "auto_per_lane"
    RANDOM_SPLIT = "random_split"
    WRITTEN_ONLY = "written_only"
    OUT_AXES = "out_axes"
    NOT_WRITTEN = "not_written"
    RANDOM_KEEP = "random_keep"
    SAME_AXIS = "same_axis"
    DECLARED = "declared"
    UNCHANGED = "unchanged"
    LEADING_SIZE = "leading_size"
    POLICY = "policy"


@_frozen
class AxisRecord:
    """Where one argument leaf, State or output carries the batch axis, and which rule said so.

    ``type`` / ``lane_type`` are JAX's short types (``f32[4,3]``; several leaves joined
    by ``", "``) outside the map and in one lane; ``shapes``, ``lane_shapes``,
    ``dtypes`` and ``weak`` hold the same per leaf as data. ``batched`` (written States
    and outputs): does the value vary by lane.
    """

    kind: Kind
    label: str
    type: str
    lane_type: str
    shapes: tuple[tuple[int, ...], ...]
    lane_shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[str, ...]
    weak: tuple[bool, ...]
    axis_in: int | None
    axis_out: int | None
    rule_in: Rule | None
    rule_out: Rule | None
    batched: bool | None
    filter_in: str | None = None  # repr of the state_in_axes filter that matched
    filter_out: str | None = None  # repr of the state_out_axes filter that matched
    policy: str | None = None  # unexpected_out_state_mapping, when it decided

    @property
    def shape(self) -> tuple[int, ...]:
        """The first leaf's shape outside the map (``()`` for none)."""
        return self.shapes[0] if self.shapes else ()

    @property
    def lane_shape(self) -> tuple[int, ...]:
        return self.lane_shapes[0] if self.lane_shapes else ()

    @property
    def random(self) -> bool:
        """A RandomState: its key is split per lane (not a batch axis)."""
        return self.rule_in is Rule.RANDOM_SPLIT


@_frozen
class AxesRecord:
    """Stage 2: the batch axis of everything that enters and leaves the map."""

    mapping: str
    axis_size: int
    axis_name: str | None
    entries: tuple[AxisRecord, ...]
    transform: str = "vmap2"  # 'vmap2' | 'pmap2' | 'shard_map': how the lanes run
    stage: str = "axes"

    def of(self, kind: Kind) -> tuple[AxisRecord, ...]:
        """The entries of one kind, in order."""
        return tuple(e for e in self.entries if e.kind == kind)


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


class Change(_Closed):
    """Why a call missed the cache (what differs from the nearest cached signature)."""

    FIRST_CALL = "first_call"
    STRUCTURE = "structure"  # the arguments' pytree structure
    STATIC = "static"  # static argument values
    ARGUMENT = "argument"  # one argument leaf's shape, dtype or weak type
    STATE_TYPE = "state_type"  # a State read now has another shape or dtype
    STATE_CLASS = "state_class"  # a State is now of another class
    STATE_FILTERS = "state_filters"  # the state_in_axes / state_out_axes filters answer anew


@_frozen
class Difference:
    """One difference behind a cache miss: what changed, whose, and its text now and before.

    ``name`` is the argument leaf or State label (None for the whole call); ``detail``
    adds what the change hinges on (a State's tag for ``STATE_FILTERS``).
    """

    change: Change
    name: str | None = None
    now: str = ""
    before: str = ""
    detail: str | None = None


@_frozen
class CacheRecord:
    """Stage 4: the cache lookup for this call's signature."""

    mapping: str
    key: str
    hit: bool
    entries: int
    traces: int
    changes: tuple[Difference, ...]  # on a miss: what differs from the nearest entry
    call: int = 0  # this mapping's calls so far, this one included (1: the first call)
    stage: str = "cache"

    @property
    def first_call(self) -> bool:
        return any(c.change is Change.FIRST_CALL for c in self.changes)


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
    shape: tuple[int, ...] = ()  # the first leaf's shape after the call


@_frozen
class WriteBackRecord:
    """Stage 6: States written back after the call."""

    mapping: str
    entries: tuple[WriteRecord, ...]
    stage: str = "write_back"


@_frozen
class EqnFlags:
    """Batched flags of one equation's outputs, and of each sub-jaxpr it holds."""

    outs: tuple[bool, ...]
    subs: tuple[JaxprFlags, ...] = ()  # in ``sub_jaxprs`` order (parameter name)


@_frozen
class JaxprFlags:
    """Which values of a jaxpr carry the batch axis: inputs, each equation, outputs.

    In the batched jaxpr of a call only the inputs, outputs and per-lane bodies (pmap,
    shard_map) are analysed; its top-level equations are marked False. ``eqns`` may be
    empty (not analysed at all): readers then take every equation as False.

    >>> f = JaxprFlags((True, False), (EqnFlags((True,)),), (True,))
    >>> f.eqns[0].outs
    (True,)
    """

    invars: tuple[bool, ...]
    eqns: tuple[EqnFlags, ...]
    outvars: tuple[bool, ...]


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
