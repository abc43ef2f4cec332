"""The one place vmapviz reaches into JAX internals (pinned to the tested JAX range).

Tracing a function whose State reads become jaxpr inputs *as they happen* needs the
current staging trace's ``new_arg``, which JAX does not export.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.extend
from jax._src import array as _array
from jax._src import core as _core
from jax._src import source_info_util as _source_info

_EvalTrace = _core.EvalTrace


def current_trace() -> Any:
    """The JAX trace active on this thread now (an opaque object, compared by identity)."""
    return _core.trace_ctx.trace


def is_eval_trace(trace: Any) -> bool:
    """True for JAX's eager evaluation (no transform is tracing)."""
    return type(trace) is _EvalTrace


def is_tracer(x: Any) -> bool:
    return isinstance(x, _core.Tracer)


def current_new_arg() -> Callable[[Any], Any]:
    """Return ``new_arg(aval) -> tracer`` bound to the staging trace active now.

    Must be called inside ``jax.make_jaxpr``; the returned function may be used later
    from nested traces (JAX lifts the tracer into them).
    """
    trace = _core.trace_ctx.trace

    def new_arg(aval: Any) -> Any:
        if isinstance(aval, (jax.ShapeDtypeStruct, Abstract)):
            aval = _core.ShapedArray(aval.shape, aval.dtype, weak_type=aval.weak_type)
        return trace.new_arg(aval, source_info=_source_info.current())

    return new_arg


class Abstract(NamedTuple):
    """Shape, dtype and weak type of a value: what a trace depends on (placement aside)."""

    shape: tuple
    dtype: Any
    weak_type: bool

    def str_short(self, short_dtypes: bool = False) -> str:
        aval = _core.ShapedArray(self.shape, self.dtype, weak_type=self.weak_type)
        return aval.str_short(short_dtypes=short_dtypes)


def aval_type(aval: Any) -> str:
    """``f32[4,3]`` for an aval, an :class:`Abstract` or a ``ShapeDtypeStruct``."""
    if isinstance(aval, jax.ShapeDtypeStruct):
        aval = _core.ShapedArray(aval.shape, aval.dtype, weak_type=aval.weak_type)
    return aval.str_short(short_dtypes=True)


def abstract(x: Any) -> Abstract:
    """The :class:`Abstract` of an array, tracer or scalar.

    Placement (sharding) is left out: a value written back by ``pmap`` matches the
    one it replaced.
    """
    if type(x) is _ARRAY:  # the hot path of every warm call: skip building an aval
        return Abstract(x.shape, x.dtype, x.weak_type)
    aval = jax.typeof(x)
    return Abstract(aval.shape, aval.dtype, aval.weak_type)


def is_array(x: Any) -> bool:
    """True for a concrete ``jax.Array`` (the common State value)."""
    return type(x) is _ARRAY


def fits(x: Any, sig: Abstract) -> bool:
    """Whether ``x`` has the shape, dtype and weak type ``sig`` records (warm-path check)."""
    if type(x) is _ARRAY:
        return x.shape == sig.shape and x.dtype == sig.dtype and x.weak_type == sig.weak_type
    return abstract(x) == sig


_ARRAY = _array.ArrayImpl  # the concrete array type (named without creating an array)


def lane_axes(closed_jaxpr: Any, in_axes: list, axis_size: int, axis_name: Any = None) -> dict:
    """Where ``jax.vmap`` puts the batch axis of every top-level value of a per-element jaxpr.

    Evaluates the jaxpr equation by equation under ``jax.vmap`` (abstractly, inside
    ``make_jaxpr``) and reads each result's batch dimension: an int, or None for a
    value that is the same in every lane.
    """
    from jax._src.interpreters import batching

    jaxpr = closed_jaxpr.jaxpr
    found: dict = {}

    def run(*args):
        ours = next((a._trace for a in args if isinstance(a, batching.BatchTracer)), None)

        def axis_of(x):
            if isinstance(x, batching.BatchTracer) and x._trace is ours:
                return x.batch_dim if isinstance(x.batch_dim, int) else None
            return None

        env = dict(zip(jaxpr.constvars, closed_jaxpr.consts))
        env.update(zip(jaxpr.invars, args))
        for v, x in zip(jaxpr.invars, args):
            found[v] = axis_of(x)

        def read(v):
            return v.val if isinstance(v, jax.extend.core.Literal) else env[v]

        for eqn in jaxpr.eqns:
            params = eqn.primitive.get_bind_params(eqn.params)
            outs = eqn.primitive.bind(*[read(v) for v in eqn.invars], **params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            for v, x in zip(eqn.outvars, outs):
                env[v] = x
                found[v] = axis_of(x)
        return [read(v) for v in jaxpr.outvars]

    structs = []
    for aval, ax in zip(closed_jaxpr.in_avals, in_axes):
        shape = aval.shape if ax is None else aval.shape[:ax] + (axis_size,) + aval.shape[ax:]
        structs.append(jax.ShapeDtypeStruct(shape, aval.dtype, weak_type=aval.weak_type))
    mapped = jax.vmap(run, in_axes=tuple(in_axes), axis_name=axis_name, axis_size=axis_size)
    jax.make_jaxpr(mapped)(*structs)
    return found


# Public JAX transforms, found by the function their machinery runs in: (file, function).
_TRANSFORM_FRAMES = {
    ("pjit.py", "cache_miss"): "jax.jit",
    ("pjit.py", "_infer_params"): "jax.jit",
    ("api.py", "vmap_f"): "jax.vmap",
    ("api.py", "grad_f"): "jax.grad",
    ("api.py", "value_and_grad_f"): "jax.value_and_grad",
    ("api.py", "vjp"): "jax.vjp",
    ("api.py", "jvp"): "jax.jvp",
    ("api.py", "linearize"): "jax.linearize",
    ("api.py", "make_jaxpr_f"): "jax.make_jaxpr",
    ("api.py", "eval_shape"): "jax.eval_shape",
    ("api.py", "pmap_f"): "jax.pmap",
    ("loops.py", "scan"): "jax.lax.scan",
    ("loops.py", "map"): "jax.lax.map",
    ("loops.py", "fori_loop"): "jax.lax.fori_loop",
    ("loops.py", "while_loop"): "jax.lax.while_loop",
    ("conditionals.py", "cond"): "jax.lax.cond",
    ("conditionals.py", "switch"): "jax.lax.switch",
    ("ad_checkpoint.py", "fun_remat"): "jax.checkpoint",
    ("shard_map.py", "_shard_map"): "jax.shard_map",
    ("custom_derivatives.py", "__call__"): "a jax.custom_jvp / custom_vjp function",
}
_JAX_DIR = os.path.dirname(os.path.abspath(jax.__file__))


def enclosing_transform() -> str:
    """The public name of the innermost JAX transform whose trace is running the caller.

    Read off the Python stack (only on error paths): the first block of JAX frames
    outside the caller, and in it the outermost frame of a known transform
    (``jax.lax.fori_loop`` rather than the ``scan`` it is built on).
    """
    frame = sys._getframe(1)
    found = None
    in_block = False
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if path.startswith(_JAX_DIR + os.sep):
            in_block = True
            name = _TRANSFORM_FRAMES.get((os.path.basename(path), frame.f_code.co_name))
            if name is not None:
                found = name
        elif in_block:
            if found is not None:
                return found
            in_block = False
        frame = frame.f_back
    return found or "a JAX transform"
