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
    "BatchingChange",
    "BatchingKind",
    "CacheRecord",
    "Change",
    "Delta",
    "Difference",
    "DiscoveryRecord",
    "EntryChange",
    "EqnFlags",
    "ErrorRecord",
    "ExecutionRecord",
    "JaxprChange",
    "JaxprFlags",
    "KeyRecord",
    "KeySource",
    "KeysRecord",
    "Kind",
    "LaneValues",
    "Pitfall",
    "PrimitiveCount",
    "Rule",
    "Sample",
    "StateRecord",
    "ValuesRecord",
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
    """Stage 5: how the batched program ran (``ran`` False: a dry run, nothing ran)."""

    mapping: str
    compiled: bool
    outputs: tuple[str, ...]
    ran: bool = True
    stage: str = "execution"


@_frozen
class ErrorRecord:
    """A call that raised: the stage it was in, the exception's type and message."""

    mapping: str
    failed_stage: str  # 'cache' | 'trace' (discovery and axes) | 'execution' | 'write_back'
    error_type: str
    message: str
    stage: str = "error"


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
class Sample:
    """The first elements of one array (row-major, at most the call's cap), as numbers.

    >>> s = Sample((2, 3), 'float32', (0.0, 1.0, 2.0), 6)
    >>> s.truncated
    True
    """

    shape: tuple[int, ...]
    dtype: str
    values: tuple  # Python floats, ints or bools
    total: int  # elements in the whole array

    @property
    def truncated(self) -> bool:
        return len(self.values) < self.total


@_frozen
class LaneValues:
    """What each lane read and produced of one argument leaf, State or output.

    ``before[i]`` / ``after[i]``: lane i's value on the way in / out, one
    :class:`Sample` per leaf (empty: nothing read or written); a value that is the same
    in every lane (broadcast in, or the key a RandomState keeps) is held once:
    ``before`` / ``after`` then has one item. Read them with :meth:`read` /
    :meth:`wrote`. A RandomState reads the key of its lane and keeps the split key.
    """

    label: str
    kind: Kind
    before: tuple[tuple[Sample, ...], ...]
    after: tuple[tuple[Sample, ...], ...]

    def read(self, lane: int) -> tuple[Sample, ...]:
        """What lane ``lane`` read (one Sample per leaf; empty: nothing)."""
        return self.before[0 if len(self.before) == 1 else lane]

    def wrote(self, lane: int) -> tuple[Sample, ...]:
        """What lane ``lane`` wrote or produced (one Sample per leaf; empty: nothing)."""
        return self.after[0 if len(self.after) == 1 else lane]


@_frozen
class ValuesRecord:
    """Values per lane, recorded on request (``inspect(..., values=True)``), capped."""

    mapping: str
    cap: int  # elements kept per array
    lanes: int  # lanes recorded (the first ones)
    axis_size: int
    entries: tuple[LaneValues, ...]
    stage: str = "values"


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


# ------------------------------------------------------------ what vmap did


class BatchingKind(_Closed):
    """What ``jax.vmap``'s batching rule did to one equation of the per-element jaxpr.

    ``BROADCAST_INSERTED``: an input shared by every lane got a ``broadcast_in_dim``;
    ``BATCH_DIM_ADDED``: a ``dot_general`` gained a batch dimension; ``AXIS_MOVED``: a
    ``transpose`` moved a batch axis; ``LOOP_CARRIES_BATCH``: a ``scan`` / ``while``
    carries the batch axis in its carry; ``BRANCHES_SELECTED``: a ``cond`` whose branch
    differs by lane became every branch plus ``select_n``; ``BODY_BATCHED``: a call or
    loop runs its body on batched operands; ``PARAMS_CHANGED``: the same primitive with
    rewritten parameters; ``PER_LANE_RANDOM``: random bits from per-lane keys;
    ``COLLECTIVE``: a collective over the mapped axis became a computation across lanes;
    ``INSERTED``: the same primitive and parameters, with primitives added before it
    (a ``broadcast_in_dim`` lining up a batched operand's rank); ``REPLACED``: other
    primitives instead; ``UNCHANGED``: the same primitive and parameters on values with
    the batch axis; ``NOT_ANALYSED``: past the analysis
    budget; ``FAILED``: batching the equation alone raised (``error`` names the
    exception's type).
    """

    BROADCAST_INSERTED = "broadcast_inserted"
    BATCH_DIM_ADDED = "batch_dim_added"
    AXIS_MOVED = "axis_moved"
    LOOP_CARRIES_BATCH = "loop_carries_batch"
    BRANCHES_SELECTED = "branches_selected"
    BODY_BATCHED = "body_batched"
    PARAMS_CHANGED = "params_changed"
    PER_LANE_RANDOM = "per_lane_random"
    COLLECTIVE = "collective"
    INSERTED = "inserted"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    NOT_ANALYSED = "not_analysed"
    FAILED = "failed"


@_frozen
class BatchingChange:
    """What batching made of one top-level equation whose inputs vary by lane.

    ``path``: the equation's index (``'3'``); ``call``: the function name a call
    equation carries (``_normal``); ``operands``: the inputs involved (jaxpr inputs by
    label, other values by the primitive that made them); ``inserted``: primitives
    batching added, in order; ``rewritten``: ``(name, before, after)`` of each rewritten
    parameter; ``out_axes``: the batch axis of each output (None: same in every lane);
    ``error``: for ``FAILED``, the type of the exception batching raised.

    >>> c = BatchingChange('1', 'add', BatchingKind.BROADCAST_INSERTED, ('bias',),
    ...                    ('broadcast_in_dim',))
    >>> c.param, c.kind
    (None, BatchingKind.BROADCAST_INSERTED)
    """

    path: str
    primitive: str
    kind: BatchingKind
    operands: tuple[str, ...] = ()
    inserted: tuple[str, ...] = ()
    rewritten: tuple[tuple[str, str, str], ...] = ()
    out_axes: tuple[int | None, ...] = ()
    call: str | None = None
    error: str | None = None

    @property
    def param(self) -> str | None:
        """The first rewritten parameter's name."""
        return self.rewritten[0][0] if self.rewritten else None

    @property
    def before(self) -> str | None:
        """The first rewritten parameter before batching (short text)."""
        return self.rewritten[0][1] if self.rewritten else None

    @property
    def after(self) -> str | None:
        """The first rewritten parameter after batching (short text)."""
        return self.rewritten[0][2] if self.rewritten else None


# ------------------------------------------------------------ comparing two calls

#: The :class:`AxisRecord` fields that say how a value is batched.
BATCHING_FIELDS = ("axis_in", "axis_out", "rule_in", "rule_out")
#: The fields that say what decided it (the filters that matched, the policy, the flag).
DECISION_FIELDS = ("filter_in", "filter_out", "policy", "batched")
#: The fields that say what a value is (``state_class``: a State's class, from discovery).
TYPE_FIELDS = ("type", "weak", "state_class")


class Delta(_Closed):
    """How one argument leaf, State or output differs from report ``a`` to report ``b``."""

    ADDED = "added"  # only in b
    REMOVED = "removed"  # only in a
    CHANGED = "changed"  # in both; ``fields`` name what differs


@_frozen
class EntryChange:
    """One argument leaf, State or output that differs between two reports ``a`` and ``b``.

    ``fields`` names what differs: :class:`AxisRecord` fields (``type``, ``weak``,
    ``axis_in``, ``rule_in``, ``filter_in``, ...) and ``state_class``; for ``ADDED`` /
    ``REMOVED`` it names what the one side has (its type and axes). ``a`` / ``b``: the
    entry in each report (None on the side it is missing from); ``class_a`` /
    ``class_b``: a State's class (``ShortTermState``) in each.

    >>> c = EntryChange(Kind.ARGUMENT, 'argument x', Delta.CHANGED, ('type',), None, None)
    >>> c.type_changed, c.batching_changed
    (True, False)
    """

    kind: Kind
    label: str
    delta: Delta
    fields: tuple[str, ...]
    a: AxisRecord | None
    b: AxisRecord | None
    class_a: str | None = None
    class_b: str | None = None

    @property
    def type_changed(self) -> bool:
        return self.delta is Delta.CHANGED and any(f in TYPE_FIELDS for f in self.fields)

    @property
    def batching_changed(self) -> bool:
        """Its axes or the rules that decided them differ (an argument's ``axis_in`` too)."""
        return self.delta is Delta.CHANGED and any(f in BATCHING_FIELDS for f in self.fields)

    @property
    def decision_changed(self) -> bool:
        return self.delta is Delta.CHANGED and any(f in DECISION_FIELDS for f in self.fields)


@_frozen
class PrimitiveCount:
    """How many equations of one primitive a jaxpr holds in ``a`` and in ``b`` (nested too)."""

    name: str
    a: int
    b: int


@_frozen
class JaxprChange:
    """Two reports' per-element (``which='elementwise'``) or batched jaxprs side by side.

    ``eqns_*``: top-level equations; ``total_*``: with every nested jaxpr's equations;
    ``primitives``: the primitives whose counts differ, by name; ``same_text``: the
    jaxprs print identically.
    """

    which: str
    eqns_a: int
    eqns_b: int
    total_a: int
    total_b: int
    primitives: tuple[PrimitiveCount, ...]
    same_text: bool


# ------------------------------------------------------------ random pitfalls


class KeySource(_Closed):
    """Where the key of a random draw that is the same in every lane comes from.

    ``CAPTURED``: a constant of the per-element jaxpr (a key closed over from outside
    the function); ``ARGUMENT``: an argument leaf broadcast to every lane (in_axes
    None); ``STATE``: a State no ``state_in_axes`` filter batches; ``SAME_IN_LANES``:
    a mapped input whose lanes all got the same key at run time; ``FIXED_SEED``: made
    inside the function from a seed that is the same in every lane; ``OTHER``: derived
    some other way from values that are the same in every lane.
    """

    CAPTURED = "captured"
    ARGUMENT = "argument"
    STATE = "state"
    SAME_IN_LANES = "same_in_lanes"
    FIXED_SEED = "fixed_seed"
    OTHER = "other"


@_frozen
class Pitfall:
    """A random draw that is the same in every lane and reaches values that vary by lane.

    ``path``: the draw's equation in the per-element jaxpr (``'3'``; ``'3/0/5'``:
    equation 3, its sub-jaxpr 0, equation 5 there), as graphs name places; ``name``:
    what graphs show for it (``normal(key)``, ``random_bits``); ``primitive``: its
    primitive; ``source``: where its key comes from; ``label``: the argument leaf or
    State that holds the key (None when no input does); ``index``: that input's index
    among the per-element jaxpr's inputs; ``outputs`` / ``states``: the lane-varying
    outputs and written States the draw reaches.

    >>> p = Pitfall('0', 'normal(key)', 'jit', KeySource.CAPTURED, None, None, ('output 0',))
    >>> p.source, p.states
    (KeySource.CAPTURED, ())
    """

    path: str
    name: str
    primitive: str
    source: KeySource
    label: str | None
    index: int | None
    outputs: tuple[str, ...]
    states: tuple[str, ...] = ()


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
