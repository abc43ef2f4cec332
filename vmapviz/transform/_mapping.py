"""StatefulMapping and vmap2: vectorize functions that read and write States.

A call goes through six stages, each producing a record for observers:
discovery -> axes -> keys -> cache -> execution -> write-back. The user function
is traced once per signature, per element (batch axis removed); ``jax.vmap`` of
that per-element jaxpr, compiled, runs every later call.

>>> import jax.numpy as jnp
>>> from vmapviz import ShortTermState
>>> count = ShortTermState(jnp.zeros(3))
>>> def step(x):
...     count.value = count.value + x
...     return count.value * 2
>>> f = vmap2(step, state_in_axes={0: ShortTermState})
>>> f(jnp.arange(3.0))
Array([0., 2., 4.], dtype=float32)
>>> count.value
Array([0., 1., 2.], dtype=float32)
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.extend

from .. import records as rec
from .._jax_private import is_tracer, shape_struct
from .._state import STATE_LOCK, State
from . import _hooks as hooks
from ._arguments import (
    Call,
    complete_static,
    normalize_argnums,
    parameter_names,
    reinsert_static,
)
from ._axes import (
    check_axis,
    leaf_axes,
    mapped_size,
    normalize_state_axes,
    validate_axes_spec,
)
from ._cache import CachedTraces, SignatureCache, describe_key
from ._decide import Feed, MapSpec, StateIn, state_in, written_only_avals
from ._errors import MappingError
from ._plan import Plan, build_plan, transform_name
from ._plan_records import discovery_record, emit_stage_records
from ._tracing import leak_hint, trace_stateful
from ._values import values_record

__all__ = ["StatefulMapping", "pmap2", "vmap2"]

POLICIES = ("auto", "raise", "warn", "ignore")


class StatefulMapping(CachedTraces):
    """A state-aware ``jax.vmap`` (or any mapping function with its signature).

    Args:
      fun: the function (or ``nn.Module``) to map.
      in_axes, out_axes: as in ``jax.vmap``; keyword arguments map along axis 0.
      state_in_axes: ``{axis: filter}`` (or a bare filter, meaning axis 0): States
        matching a filter enter batched along that axis; others enter broadcast,
        except RandomStates, whose key is split into one key per lane.
      state_out_axes: ``{axis: filter}``: the axis written States leave on.
      unexpected_out_state_mapping: what to do with a written State whose new value
        varies across lanes but that no filter declared: ``'auto'`` (default),
        ``'raise'``, ``'warn'`` or ``'ignore'``.
      static_argnums, static_argnames: compile-time constant arguments.
      axis_size: the mapped size, required when nothing is mapped.
      axis_name: name of the mapped axis for collectives (``psum``, ``axis_index``).
      name: shown in records and messages.
      mapping_fn: ``jax.vmap`` (default), ``jax.pmap`` or a partial of either.
      mapping_kwargs: extra keyword arguments for ``mapping_fn``.
    """

    def __init__(
        self,
        fun: Callable,
        in_axes: Any = 0,
        out_axes: Any = 0,
        state_in_axes: Any = None,
        state_out_axes: Any = None,
        unexpected_out_state_mapping: str = "auto",
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        axis_size: int | None = None,
        axis_name: Any = None,
        name: str | None = None,
        mapping_fn: Callable = jax.vmap,
        mapping_kwargs: dict | None = None,
        cache_size: int = 64,
    ):
        if not callable(fun):
            raise TypeError(f"vmap2 expects a callable, got {type(fun).__name__}")
        if unexpected_out_state_mapping not in POLICIES:
            raise ValueError(
                "Invalid value for unexpected_out_state_mapping: "
                f"{unexpected_out_state_mapping!r}. Must be 'auto', 'raise', 'warn', or 'ignore'."
            )
        if axis_size is not None and (not isinstance(axis_size, int) or axis_size < 1):
            raise ValueError(f"axis_size must be a positive int, got {axis_size!r}")
        validate_axes_spec(in_axes, "in_axes")
        validate_axes_spec(out_axes, "out_axes")
        self.origin_fun = fun
        self._wrapped = fun
        self.in_axes = in_axes
        self.out_axes = out_axes
        self.state_in_axes = normalize_state_axes(state_in_axes, "state_in_axes")
        self.state_out_axes = normalize_state_axes(state_out_axes, "state_out_axes")
        self.unexpected_out_state_mapping = unexpected_out_state_mapping
        self.static_argnums = normalize_argnums(static_argnums, "static_argnums")
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self.static_argnames = tuple(static_argnames)
        self.axis_size = axis_size
        self.axis_name = axis_name
        self.name = name or getattr(fun, "__name__", type(fun).__name__)
        self.mapping_fn = mapping_fn
        self.mapping_kwargs = dict(mapping_kwargs or {})
        self.cache_size = cache_size
        self.trace_count = 0
        self._names = parameter_names(fun)
        self.static_argnums, self.static_argnames = complete_static(
            self._names, self.static_argnums, self.static_argnames
        )
        self._cache = SignatureCache(f"{transform_name(mapping_fn)} of {self.name}", cache_size)
        self._filters = (*self.state_in_axes.values(), *self.state_out_axes.values())
        functools.update_wrapper(self, fun, assigned=("__doc__",), updated=())

    def __repr__(self) -> str:
        return f"StatefulMapping({self.name}, in_axes={self.in_axes!r}, out_axes={self.out_axes!r})"

    # ------------------------------------------------------------------ cache API

    @property
    def spec(self) -> MapSpec:
        """What this mapping does with States, as a frozen :class:`MapSpec`."""
        return MapSpec(self.name, self._transform, self.state_in_axes, self.state_out_axes,
                       self.unexpected_out_state_mapping, self.axis_name)

    def _plan(self, key: Any) -> Plan:
        return self._cache[key]

    def get_jaxpr_by_cache(self, key: Any):
        """The jaxpr of the whole mapped call: batched arguments and State values in."""
        return self._plan(key).batched_jaxpr()

    def get_elementwise_jaxpr_by_cache(self, key: Any):
        """The per-element jaxpr: what one lane computes."""
        return self._plan(key).traced.closed_jaxpr

    # ------------------------------------------------------------------ inspection

    def inspect(self, *args, **kwargs):
        """Call, and return the :class:`vmapviz.inspection.Report` of the call."""
        from ..inspection import inspect_call

        return inspect_call(self, *args, **kwargs)

    def widget(self, *args, **kwargs):
        """Call, and show the call in an interactive :class:`vmapviz.widgets.Inspector`."""
        from ..widgets import widget

        return widget(self, *args, **kwargs)

    def explain(self, *args, **kwargs) -> str:
        """Call, and tell in words what happened to every argument and State."""
        return self.inspect(*args, **kwargs).explain()

    # ------------------------------------------------------------------ calling

    def _call(self, call: Call, key: Any):
        at = ["cache", None]  # the stage running now, and the miss reason once known
        try:
            return self._run_stages(call, key, at)
        except Exception as err:
            if hooks.observing():
                if at[0] == "trace":  # the miss that led to the failed trace
                    hooks.emit_if_observed(lambda: self._cache_record(key, False, at[1]))
                self._emit_error(at[0], err)
            raise

    def _emit_error(self, stage: str, err: Exception) -> None:
        hooks.emit_if_observed(lambda: rec.ErrorRecord(self.name, stage, type(err).__name__,
                                                       str(err)))

    def _lookup(self, call: Call, key: Any) -> tuple:
        """``(plan, its State leaves, None)`` on a cache hit; ``(None, None, why)`` on a
        miss, where ``why`` is what differs from the nearest cached signature."""
        plan = self._cache.get(key)
        if plan is None:
            return None, None, self._cache.miss_reason(key, call.leaf_names())
        state_leaves = plan.gather_states()
        reason = plan.stale_reason(state_leaves is None)
        return (plan, state_leaves, None) if reason is None else (None, None, reason)

    def _run_stages(self, call: Call, key: Any, at: list):
        plan, state_leaves, reason = self._lookup(call, key)
        if plan is not None:
            hooks.emit_if_observed(lambda: self._cache_record(key, True, None))
        else:
            at[:] = ["trace", reason]
            plan = self._trace(call)
            if plan.cacheable:
                self._cache.put(key, plan)
            hooks.emit_if_observed(lambda: self._cache_record(key, False, reason))
            state_leaves = plan.gather_states()
        if hooks.observing():
            emit_stage_records(plan, state_leaves)
        at[0] = "execution"
        try:
            outs = plan.run(call.leaves, state_leaves)
        except jax.errors.UnexpectedTracerError as err:
            self._cache.drop(key)
            raise leak_hint(err) from err
        at[0] = "write_back"
        plan.write_back(outs)
        cap = hooks.values_cap()
        if cap is not None and hooks.observing() and not is_tracer(outs[0][0] if outs[0] else 0):
            hooks.emit_if_observed(lambda: values_record(plan, call.leaves, state_leaves, outs,
                                                         cap))
        return plan.outputs(outs)

    def _dry_run(self, *args, **kwargs):
        """Emit the records of ``self(*args, **kwargs)`` without running it: shapes only
        (``jax.ShapeDtypeStruct`` arguments welcome), no State changes, nothing cached."""
        call = self._split(args, kwargs)
        key = call.signature()
        with STATE_LOCK:
            at = ["cache", None]
            try:
                return self._dry_stages(call, key, at)
            except Exception as err:
                self._emit_error(at[0], err)
                raise

    def _dry_stages(self, call: Call, key: Any, at: list):
        plan, state_leaves, reason = self._lookup(call, key)
        if plan is None:
            at[0] = "trace"
            traces = self.trace_count
            try:
                plan = self._trace(call)
            finally:
                self.trace_count = traces  # a dry run leaves the mapping as it was
            state_leaves = plan.gather_states()
        # numbered as the call it stands for
        hooks.emit_if_observed(lambda: self._cache_record(key, reason is None, reason,
                                                          self.call_count + 1))
        emit_stage_records(plan, state_leaves, ran=False)
        return plan

    def _cache_record(self, key: Any, hit: bool, changes: tuple | None,
                      call: int | None = None) -> rec.CacheRecord:
        return rec.CacheRecord(
            mapping=self.name,
            key=describe_key(key),
            hit=hit,
            entries=len(self._cache),
            traces=self.trace_count,
            changes=changes or (),
            call=self.call_count if call is None else call,
        )

    # ------------------------------------------------------------------ tracing

    def _in_axes_for(self, call: Call) -> Any:
        """``in_axes`` without the entries of static positional arguments, when it has
        one entry per positional argument (as ``jax.pmap`` and brainstate spell it)."""
        in_axes = self.in_axes
        if not isinstance(in_axes, (tuple, list)):
            return in_axes
        static_pos = [where for where, _ in call.static if isinstance(where, int)]
        if static_pos and len(in_axes) == len(call.dyn_args) + len(static_pos):
            return tuple(ax for i, ax in enumerate(in_axes) if i not in static_pos)
        return in_axes

    def _trace(self, call: Call) -> Plan:
        call.check()
        names = call.leaf_names()
        axes = leaf_axes(self._in_axes_for(call), call.dyn_args, call.dyn_kwargs, names)
        axes = [check_axis(ax, x, nm) for ax, x, nm in zip(axes, call.leaves, names)]
        sized = [
            (x.shape[ax], ax, f"{nm} of type {jax.typeof(x).str_short()}")
            for ax, x, nm in zip(axes, call.leaves, names)
            if ax is not None
        ]
        n_known = None
        if sized or self.axis_size is not None:
            n_known = mapped_size(sized, self.axis_size)
        if self.axis_name is not None and n_known is None:
            raise MappingError(
                f"vmap2 of {self.name} names its axis {self.axis_name!r} but nothing it maps "
                "over is an argument, so the axis size is unknown while tracing. Specify "
                "'axis_size'."
            )
        paths = _module_paths(self.origin_fun)
        per_lane: set[int] = set()  # the only memory of a trace: States 'auto' feeds per lane
        while True:
            plan = self._trace_with(call, axes, sized, n_known, paths, per_lane)
            more = plan.auto_per_lane() if self.unexpected_out_state_mapping == "auto" else set()
            if not more - per_lane:
                break
            per_lane |= more  # traced again with these States fed per lane
        plan.warn_policy()
        return plan

    def _trace_with(self, call, axes, sized, n_known, paths, per_lane) -> Plan:
        lane_leaves = [shape_struct(x, drop=ax) for x, ax in zip(call.leaves, axes)]
        lane_args, lane_kwargs = jax.tree.unflatten(call.treedef, lane_leaves)
        decided: dict[int, StateIn] = {}
        spec = self.spec

        def state_input(state: State) -> list:
            decision = state_in(spec, state, paths.get(id(state)), per_lane)
            decided[id(state)] = decision
            return decision.lane_avals

        def write_avals(state: State) -> list:
            return written_only_avals(spec, state, paths.get(id(state), ()), n_known)

        axis_env = [(self.axis_name, n_known)] if self.axis_name is not None else None
        traced = trace_stateful(
            self.origin_fun, lane_args, lane_kwargs, state_input=state_input,
            axis_env=axis_env, rebuild=functools.partial(reinsert_static, call.static),
            what=f"{self._transform} of {self.name}", write_avals=write_avals,
        )
        self.trace_count += 1
        sized = list(sized)
        for state in traced.read_states:
            d = decided[id(state)]
            if d.feed is Feed.BATCHED:
                sized.append((d.size, d.axis, f"state {state.describe()}"))
        n = mapped_size(sized, self.axis_size)
        try:
            return build_plan(self, call, axes, n, traced, decided, paths)
        except Exception:  # the States were found: a failed call's report still lists them
            found = types.SimpleNamespace(traced=traced, paths=paths, mapping_name=self.name)
            hooks.emit_if_observed(lambda: discovery_record(found))
            raise

    @property
    def _transform(self) -> str:
        return transform_name(self.mapping_fn)

    def _filter_results(self, state: State, path: tuple) -> tuple:
        """What every filter says of ``state``: part of a cached plan's decisions."""
        return tuple(f(path, state) for f in self._filters)


def _module_paths(fun: Any) -> dict[int, tuple]:
    from ..nn import Module

    owner = fun if isinstance(fun, Module) else getattr(fun, "__self__", None)
    if not isinstance(owner, Module):
        return {}
    return {id(s): path for path, s in owner.named_states().items()}


def _mapping_or_decorator(fn: Callable | None, kwargs: dict):
    """``StatefulMapping(fn, **kwargs)``, or a decorator (a ``functools.partial``) making
    one when ``fn`` is None."""
    if fn is None:
        return functools.partial(StatefulMapping, **kwargs)
    return StatefulMapping(fn, **kwargs)


def vmap2(
    fn: Callable | None = None,
    *,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: Any = None,
    axis_size: int | None = None,
    spmd_axis_name: Any = None,
    state_in_axes: Any = None,
    state_out_axes: Any = None,
    unexpected_out_state_mapping: str = "auto",
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    name: str | None = None,
) -> StatefulMapping | Callable[[Callable], StatefulMapping]:
    """State-aware ``jax.vmap``; usable as ``vmap2(f, ...)`` or ``@vmap2(...)``.

    See :class:`StatefulMapping` for the arguments.

    >>> import jax.numpy as jnp
    >>> vmap2(lambda x: x ** 2)(jnp.arange(3.0))
    Array([0., 1., 4.], dtype=float32)
    """
    kwargs = {
        "in_axes": in_axes, "out_axes": out_axes, "axis_name": axis_name,
        "axis_size": axis_size, "state_in_axes": state_in_axes,
        "state_out_axes": state_out_axes,
        "unexpected_out_state_mapping": unexpected_out_state_mapping,
        "static_argnums": static_argnums, "static_argnames": static_argnames, "name": name,
        "mapping_kwargs": {"spmd_axis_name": spmd_axis_name} if spmd_axis_name else None,
    }
    return _mapping_or_decorator(fn, kwargs)


def pmap2(
    fn: Callable | None = None,
    axis_name: Any = None,
    *,
    in_axes: Any = 0,
    out_axes: Any = 0,
    state_in_axes: Any = None,
    state_out_axes: Any = None,
    unexpected_out_state_mapping: str = "auto",
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    axis_size: int | None = None,
    devices: Sequence[Any] | None = None,
    name: str | None = None,
    static_broadcasted_argnums: int | Sequence[int] = (),
    donate_argnums: int | Sequence[int] = (),
) -> StatefulMapping | Callable[[Callable], StatefulMapping]:
    """State-aware ``jax.pmap``: the same stateful function, one lane per device.

    ``static_broadcasted_argnums`` and ``donate_argnums`` are accepted empty, as
    brainstate does; give static arguments through ``static_argnums`` instead.
    """
    if fn is None:  # a decorator; brainstate checks the keywords when it is applied
        return functools.partial(
            pmap2, axis_name=axis_name, in_axes=in_axes, out_axes=out_axes,
            state_in_axes=state_in_axes, state_out_axes=state_out_axes,
            unexpected_out_state_mapping=unexpected_out_state_mapping,
            static_argnums=static_argnums, static_argnames=static_argnames,
            axis_size=axis_size, devices=devices, name=name,
            static_broadcasted_argnums=static_broadcasted_argnums,
            donate_argnums=donate_argnums)
    for what, value, hint in (
        ("static_broadcasted_argnums", static_broadcasted_argnums, "use static_argnums"),
        ("donate_argnums", donate_argnums, "States are written back, never donated"),
    ):
        if value not in ((), None, []):
            raise NotImplementedError(f"pmap2 does not support {what}={value!r}: {hint}.")
    kwargs = {
        "in_axes": in_axes, "out_axes": out_axes, "axis_name": axis_name,
        "axis_size": axis_size, "state_in_axes": state_in_axes,
        "state_out_axes": state_out_axes,
        "unexpected_out_state_mapping": unexpected_out_state_mapping,
        "static_argnums": static_argnums, "static_argnames": static_argnames, "name": name,
        "mapping_fn": jax.pmap,
        "mapping_kwargs": {"devices": devices} if devices is not None else None,
    }
    return _mapping_or_decorator(fn, kwargs)

