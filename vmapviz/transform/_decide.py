"""State-axis decisions as pure functions: how each State enters and leaves the map.

Every function here reads a :class:`MapSpec` (the mapping's frozen configuration)
and a State, and returns a decision as data (:class:`StateIn`, :class:`StateOut`)
naming the :class:`~vmapviz.records.Rule` that decided it. Nothing is remembered
between calls: the only memory of a trace, the States 'auto' feeds per lane, is the
``per_lane`` dict one ``StatefulMapping._trace`` passes in.

>>> import jax.numpy as jnp
>>> from vmapviz import ShortTermState
>>> from vmapviz.util.filter import OfType
>>> spec = MapSpec('f', 'vmap2', {0: OfType(ShortTermState)}, {}, 'auto', None)
>>> d = state_in(spec, ShortTermState(jnp.zeros(3)), (), {})
>>> d.feed, d.axis, d.rule
(<Feed.BATCHED: 'batched'>, 0, Rule.FILTER)
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any

import jax

from .._jax_private import Abstract, abstract, aval_type, drop_axis, shape_struct
from .._state import State, StateValueError, current_value
from ..records import Rule
from ._errors import BatchAxisError, MappingError

__all__ = [
    "Feed",
    "MapSpec",
    "StateIn",
    "StateOut",
    "auto_per_lane",
    "state_in",
    "state_out",
    "written_only_avals",
]


@dataclasses.dataclass(frozen=True)
class MapSpec:
    """What a mapping was asked to do with States (its frozen configuration)."""

    name: str
    transform: str  # 'vmap2' | 'pmap2' | 'shard_map'
    state_in_axes: dict
    state_out_axes: dict
    policy: str  # unexpected_out_state_mapping
    axis_name: Any


class Feed(enum.StrEnum):
    """How a State read enters the map."""

    BATCHED = "batched"
    BROADCAST = "broadcast"
    RANDOM = "random"  # a RandomState: its key is split into one key per lane


@dataclasses.dataclass(frozen=True)
class StateIn:
    """How one State read enters the map, and the rule that decided it."""

    feed: Feed
    axis: int | None
    rule: Rule
    lane_avals: list
    outer_avals: tuple
    size: int | None = None
    filter: str | None = None

    @functools.cached_property
    def outer_sigs(self) -> tuple:
        return tuple(Abstract(a.shape, a.dtype, a.weak_type) for a in self.outer_avals)


def _batched(state: State, axis: int, rule: Rule, flt: str | None = None) -> StateIn:
    leaves = jax.tree.leaves(current_value(state))
    outer = tuple(jax.typeof(x) for x in leaves)
    lane, sizes = [], set()
    for x, aval in zip(leaves, outer):
        rank = len(aval.shape)
        norm = axis + rank if axis < 0 else axis
        if not 0 <= norm < rank:
            raise MappingError(
                f"State {state.describe()} matches state_in_axes on axis {axis}, but "
                f"its value has rank {rank}. Batch it on an axis it has, or exclude it "
                "from the filter."
            )
        sizes.add(aval.shape[norm])
        lane.append(shape_struct(x, drop=norm))
    if len(sizes) > 1:
        raise MappingError(
            f"State {state.describe()} is batched on axis {axis}, but its leaves have "
            f"different sizes {sorted(sizes)} there."
        )
    return StateIn(Feed.BATCHED, axis, rule, lane, outer, sizes.pop() if sizes else None, flt)


def _whole(state: State, feed: Feed, rule: Rule, flt: str | None = None) -> StateIn:
    leaves = jax.tree.leaves(current_value(state))
    outer = tuple(jax.typeof(x) for x in leaves)
    axis = 0 if feed is Feed.RANDOM else None
    return StateIn(feed, axis, rule, [shape_struct(x) for x in leaves], outer, None, flt)


def state_in(spec: MapSpec, state: State, path: tuple | None, per_lane: dict) -> StateIn:
    """How ``state`` enters: per lane when 'auto' said so, else the first
    ``state_in_axes`` filter that matches, else split (RandomState) or broadcast."""
    from ..random import RandomState

    if id(state) in per_lane:
        return _batched(state, 0, Rule.AUTO_PER_LANE)
    for axis, flt in spec.state_in_axes.items():
        if flt(path or (), state):
            if axis is None:
                return _whole(state, Feed.BROADCAST, Rule.FILTER, repr(flt))
            return _batched(state, axis, Rule.FILTER, repr(flt))
    if isinstance(state, RandomState):
        return _whole(state, Feed.RANDOM, Rule.RANDOM_SPLIT)
    return _whole(state, Feed.BROADCAST, Rule.UNMATCHED)


@dataclasses.dataclass(frozen=True)
class StateOut:
    """How one written State leaves the map, and the rule that decided it."""

    state: State
    axis: int | None
    rule: Rule
    batched: bool
    discard: bool = False  # a RandomState's per-lane keys: the State keeps the split key
    warning: str | None = None  # said once the plan is final (policy 'warn' / 'auto')
    filter: str | None = None
    policy: str | None = None  # set when unexpected_out_state_mapping chose the axis


def _first_match(axes_spec: dict, path: tuple, s: State):
    return next(((ax, f) for ax, f in axes_spec.items() if f(path, s)), None)


def written_only_avals(spec: MapSpec, s: State, path: tuple, n: int | None) -> list | None:
    """Per-lane types a State written without being read may take: its value without the
    batch axis a filter gives it, or its whole value (it then gains the batch axis).
    None when no filter matches: the write-back decides once it knows whether the new
    value varies by lane."""
    matched = _first_match(spec.state_in_axes, path, s)
    if matched is None or matched[0] is None:
        matched = _first_match(spec.state_out_axes, path, s)
    if matched is None:
        return None
    whole = [abstract(x) for x in jax.tree.leaves(current_value(s))]
    options = [whole]
    axis = matched[0]
    if axis is not None:
        lane = [drop_axis(a, axis) for a in whole]
        if None not in lane and (n is None or all(
                a.shape[axis] == n for a in whole if len(a.shape) > abs(axis))):
            options.insert(0, lane)
    return options


def state_out(spec: MapSpec, s: State, batched: bool, d: StateIn | None, path: tuple,
              n: int, lane: list) -> StateOut:
    """How written State ``s`` leaves, given whether its new value varies by lane and how
    it entered (``d``; None when it was written without being read)."""
    if d is not None and d.feed is Feed.RANDOM:
        return StateOut(s, None, Rule.RANDOM_KEEP, batched, discard=True)
    in_axis = d.axis if d is not None else _written_only_axis(spec, s, path)
    declared = _first_match(spec.state_out_axes, path, s)
    whole = [abstract(x) for x in jax.tree.leaves(current_value(s))]
    if in_axis is not None:
        return _keep_axis(s, in_axis, declared, whole, batched)
    if declared is not None:
        return _declared(s, declared, batched, n)
    if not batched:
        _check_same_type(spec, s, whole, lane)
        return StateOut(s, None, Rule.UNCHANGED, False)
    if d is None and whole and all(len(a.shape) > 0 for a in whole) and [
            tuple(a.shape[1:]) for a in whole] == [tuple(a.shape) for a in lane] and all(
            a.shape[0] == n for a in whole):
        return StateOut(s, 0, Rule.LEADING_SIZE, True)
    return _apply_policy(spec, s, d is not None, n)


def _written_only_axis(spec: MapSpec, s: State, path: tuple) -> int | None:
    matched = _first_match(spec.state_in_axes, path, s)
    return None if matched is None else matched[0]


def _keep_axis(s: State, in_axis: int, declared, whole: list, batched: bool) -> StateOut:
    rank = max((len(a.shape) for a in whole), default=0)
    if declared is not None and declared[0] is not None and not _same_axis(
            declared[0], in_axis, rank):
        raise BatchAxisError(
            f"State {s.describe()} is batched on input axis {in_axis} but state_out_axes "
            f"maps it to axis {declared[0]}. A State keeps its batch axis: use the same "
            "axis in both, or exclude it from one filter."
        )
    unbatch = declared is not None and declared[0] is None
    return StateOut(s, in_axis, Rule.SAME_AXIS, batched,
                    filter=repr(declared[1]) if unbatch else None)


def _declared(s: State, declared, batched: bool, n: int) -> StateOut:
    axis, flt = declared
    if axis is None and batched:
        raise BatchAxisError(
            f"State {s.describe()} is declared unbatched on output (state_out_axes "
            f"{{None: {flt!r}}}), but its new value varies across the {n} lanes. "
            "Give it an out axis, or make its new value the same in every lane."
        )
    return StateOut(s, axis, Rule.DECLARED, batched and axis is not None, filter=repr(flt))


def _check_same_type(spec: MapSpec, s: State, whole: list, lane: list) -> None:
    if [tuple(a.shape) for a in whole] != [tuple(a.shape) for a in lane] or [
            a.dtype for a in whole] != [a.dtype for a in lane]:
        raise StateValueError(
            f"{spec.transform} of {spec.name} writes State {s.describe()} with a value of "
            f"type {', '.join(aval_type(a) for a in lane)}, the same in every lane. A write "
            "inside a transform keeps the State's shape and dtype; nothing was written.")


def _same_axis(a: int, b: int, rank: int) -> bool:
    """Whether two axes of a rank-``rank`` value name the same one (negatives count back)."""
    return (a + rank if a < 0 else a) == (b + rank if b < 0 else b)


def _apply_policy(spec: MapSpec, s: State, was_read: bool, n: int) -> StateOut:
    policy = spec.policy
    what = (f"State {s.describe()} is written with a value that varies across the {n} lanes, "
            "but no state_out_axes filter declares it")
    if policy == "raise":
        raise BatchAxisError(
            f"{what}. Declare it, e.g. state_out_axes={{0: OfType({type(s).__name__})}}, or "
            "choose unexpected_out_state_mapping='ignore', 'warn' or 'auto'."
        )
    warning = None
    if policy == "warn":
        warning = f"{what}; it gains a batch axis of size {n} (policy 'warn')."
    elif policy == "auto" and was_read:
        warning = (f"{what}; it is read and written, so it gains a batch axis of size {n} "
                   "(policy 'auto'). Declare it in state_in_axes and state_out_axes to make "
                   "this explicit.")
    elif policy == "auto":
        warning = (f"{what}; its per-lane values are stacked on a new axis 0 of size {n} "
                   "(policy 'auto'), so its shape changes. Declare it in state_out_axes to "
                   "make this explicit.")
    return StateOut(s, 0, Rule.POLICY, True, warning=warning, policy=policy)


def auto_per_lane(state_out: list[StateOut], state_ins: dict, n: int) -> set[int]:
    """Under policy 'auto': ids of States read and written, undeclared, whose write varies
    by lane and whose leading size already equals the batch size. They are fed per lane
    on axis 0 (a second trace), so they keep their shape instead of gaining an axis."""
    out = set()
    for o in state_out:
        d = state_ins.get(id(o.state))
        if o.policy is not None and d is not None and d.feed is Feed.BROADCAST and all(
                len(a.shape) > 0 and a.shape[0] == n for a in d.outer_avals):
            out.add(id(o.state))
    return out
