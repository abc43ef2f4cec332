"""The one place vmapviz reaches into JAX internals (private modules, primitive parameters).

Everything else in vmapviz uses public JAX (``jax``, ``jax.numpy``, ``jax.extend``).
vmapviz supports JAX 0.6.1 to 0.12.0.1; every difference between those releases is
handled here. Each use, what it is for, and the JAX releases it was checked on (the test
suite passed on 0.6.1, 0.6.2, 0.7.2, 0.8.0, 0.9.1, 0.10.2, 0.11.2 and 0.12.0.1):

=================================  ========================================  ==============
internal                           what for                                  checked on
=================================  ========================================  ==============
``core.trace_ctx.trace``           the trace running now (State writes        0.6.1-0.12.0.1
                                   under an outer transform are refused)
``core.EvalTrace``                 "no transform is tracing"                 0.6.1-0.12.0.1
``core.Tracer``                    is a value traced                         0.6.1-0.12.0.1
``trace.new_arg(aval,              a State read becomes a jaxpr input as it  0.6.1-0.12.0.1
source_info=)``                    happens (``current_new_arg``); 0.6.0
                                   takes no ``source_info``
``core.ShapedArray``               avals of :class:`Abstract` values         0.6.1-0.12.0.1
``array.ArrayImpl``                warm-path type check without an aval      0.6.1-0.12.0.1
``interpreters.batching``          ``lane_axes``: jax.vmap's own batch dims  0.6.1-0.12.0.1
``Primitive.get_bind_params``      ``lane_axes`` re-binds each equation:     0.6.1-0.12.0.1
                                   ``(subfuns, params)`` up to 0.9.1,
                                   ``params`` from 0.9.2 (``bind_params``)
``Primitive.bind`` under           ``batch_equation``: what jax.vmap's       0.10.2
``jax.vmap``, one equation         batching rule makes of one equation
                                   alone (``inspection._batching``)
parameter values as data           ``plain_params``: which parameters a      0.10.2
                                   batching rule rewrote (sub-jaxprs and
                                   functions left out)
``dot_general`` param              ``dot_batch_dims``: how many batch        0.10.2
``dimension_numbers``              dimensions a dot_general has
``jaxprs_in_params``               sub-jaxprs of an equation: in             0.6.1-0.12.0.1
                                   ``jax.extend.core`` from 0.10, in
                                   ``core`` before
``scan`` params ``num_consts``     loop layout (``scan_layout``)             0.6.1-0.10.2
``num_carry`` ``jaxpr``
``scan`` params ``ft_in`` (a flat  the same from 0.11 (``ft_in`` packs       0.11.2-0.12.0.1
tree) ``jaxpr``                    consts, carry, xs)
``while`` params ``cond_jaxpr``    loop layout (``while_layout``)            0.6.1-0.12.0.1
``body_jaxpr`` ``*_nconsts``
``cond`` param ``branches``        branch layout (``cond_branches``)         0.6.1-0.12.0.1
collective params ``axes`` /       which axis a ``psum`` reduces             0.6.1-0.12.0.1
``axis_name``
call param ``name``                a ``jit``'s function name in graphs (the  0.6.1-0.12.0.1
                                   primitive is ``pjit`` before 0.7)
JAX file and function names        ``enclosing_transform`` names the outer   0.6.1-0.12.0.1
                                   transform in error messages
=================================  ========================================  ==============

Below 0.6.1 vmapviz does not run: JAX 0.6.0 has no ``jax.shard_map`` (only
``jax.experimental.shard_map.shard_map``, with ``check_rep`` for ``check_vma``), which
every mapping compares its ``mapping_fn`` against, and its ``new_arg`` takes no
``source_info``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.extend
import numpy as np
from jax._src import array as _array
from jax._src import core as _core
from jax._src import source_info_util as _source_info

_EvalTrace = _core.EvalTrace
# public in ``jax.extend.core`` from JAX 0.10; the same function in ``jax._src.core`` before
_jaxprs_in_params = getattr(jax.extend.core, "jaxprs_in_params", None) or _core.jaxprs_in_params


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


def shape_struct(x: Any, drop: int | None = None,
                 insert: tuple[int, int] | None = None) -> jax.ShapeDtypeStruct:
    """The abstract shape of ``x`` (a value, aval, :class:`Abstract` or struct), with axis
    ``drop`` removed (what one lane sees) or ``insert = (axis, size)`` added (the batch
    axis of a mapped result). The one helper every stage uses for lane and outer types.

    >>> import jax.numpy as jnp
    >>> shape_struct(jnp.ones((4, 3)), drop=0).shape, shape_struct(jnp.ones(3), insert=(1, 4)).shape
    ((3,), (3, 4))
    """
    aval = x if isinstance(x, (Abstract, jax.ShapeDtypeStruct, _core.ShapedArray)) else (
        jax.typeof(x))
    shape = tuple(aval.shape)
    if drop is not None:
        shape = shape[:drop] + shape[drop + 1 :] if drop >= 0 else (
            shape[:drop] + shape[len(shape) + drop + 1 :])
    if insert is not None:
        axis, n = insert
        axis = axis + len(shape) + 1 if axis < 0 else axis
        shape = shape[:axis] + (n,) + shape[axis:]
    return jax.ShapeDtypeStruct(shape, aval.dtype, weak_type=aval.weak_type)


def drop_axis(aval: Any, axis: int) -> Abstract | None:
    """:class:`Abstract` of ``aval`` without ``axis``; None when it has no such axis."""
    rank = len(aval.shape)
    if not -rank <= axis < rank:
        return None
    s = shape_struct(aval, drop=axis)
    return Abstract(s.shape, s.dtype, s.weak_type)


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
            subfuns, params = bind_params(eqn)
            outs = eqn.primitive.bind(*subfuns, *[read(v) for v in eqn.invars], **params)
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


def bind_params(eqn: Any) -> tuple[list, dict]:
    """``(subfuns, params)`` to re-``bind`` an equation's primitive with.

    ``Primitive.get_bind_params`` returns ``(subfuns, params)`` up to JAX 0.9.1 and the
    params alone from 0.9.2 on.
    """
    found = eqn.primitive.get_bind_params(eqn.params)
    if isinstance(found, tuple):
        subfuns, params = found
        return list(subfuns), params
    return [], found


def batch_equation(eqn: Any, in_axes: list, out_axes: list, axis_size: int,
                   axis_name: Any = None) -> Any:
    """The ClosedJaxpr ``jax.vmap`` makes of one equation alone (traced, nothing runs).

    ``in_axes``: one batch axis (or None) per input of ``eqn`` (literals: None);
    ``out_axes``: where each output keeps its batch axis, as ``lane_axes`` found it, so
    no moves are added after the equation.

    >>> import jax, jax.numpy as jnp
    >>> eqn = jax.make_jaxpr(lambda x, b: x + b)(jnp.ones(3), jnp.ones(3)).jaxpr.eqns[0]
    >>> [e.primitive.name for e in batch_equation(eqn, [0, None], [0], 4).jaxpr.eqns]
    ['broadcast_in_dim', 'add']
    """
    subfuns, params = bind_params(eqn)
    literal = [isinstance(v, jax.extend.core.Literal) for v in eqn.invars]

    def one(*args):
        it = iter(args)
        vals = [v.val if lit else next(it) for v, lit in zip(eqn.invars, literal)]
        outs = eqn.primitive.bind(*subfuns, *vals, **params)
        return list(outs) if eqn.primitive.multiple_results else [outs]

    structs, axes = [], []
    for v, lit, ax in zip(eqn.invars, literal, in_axes):
        if not lit:
            structs.append(shape_struct(v.aval, insert=None if ax is None else (ax, axis_size)))
            axes.append(ax)
    mapped = jax.vmap(one, in_axes=tuple(axes), out_axes=list(out_axes), axis_name=axis_name,
                      axis_size=axis_size)
    return jax.make_jaxpr(mapped)(*structs)


def _plain(value: Any) -> Any:
    """Numpy scalars inside plain tuples and lists made Python numbers (prints ``1``,
    not ``np.int64(1)``)."""
    if type(value) in (tuple, list):
        return tuple(_plain(x) for x in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def primitive_name(eqn: Any) -> str:
    """An equation's primitive as words name it: a jitted call is ``jit`` on every
    release (its primitive is ``pjit`` before 0.7)."""
    name = eqn.primitive.name
    return "jit" if name == "pjit" else name


def plain_params(eqn: Any) -> dict[str, Any]:
    """An equation's parameters a batching rule may rewrite: all but sub-jaxprs and
    functions, numpy scalars made Python numbers (lists become tuples).

    >>> import jax, jax.numpy as jnp
    >>> eqn = jax.make_jaxpr(lambda x: x.sum(0))(jnp.ones(3)).jaxpr.eqns[0]
    >>> plain_params(eqn)['axes']
    (0,)
    """
    out = {}
    for key, value in eqn.params.items():
        if callable(value) or list(_jaxprs_in_params({key: value})):
            continue
        out[key] = _plain(value)
    return out


def dot_batch_dims(eqn: Any) -> int | None:
    """How many batch dimensions a ``dot_general`` has (None for other primitives)."""
    if eqn.primitive.name != "dot_general":
        return None
    (_, (lhs_batch, _)) = eqn.params["dimension_numbers"]
    return len(lhs_batch)


# ------------------------------------------------------------- jaxpr layouts


def sub_jaxprs(params: dict) -> list[tuple[str, Any]]:
    """``(parameter name, Jaxpr)`` of every sub-jaxpr in an equation's parameters, in
    parameter-name order (``name[i]`` when one parameter holds several)."""
    out = []
    for key in sorted(params):
        subs = list(_jaxprs_in_params({key: params[key]}))
        out.extend((key if len(subs) == 1 else f"{key}[{i}]", s) for i, s in enumerate(subs))
    return out


def scan_layout(eqn: Any) -> tuple[int, int] | None:
    """``(consts, carry)`` counts of a ``scan`` equation's inputs, else None."""
    if eqn.primitive.name != "scan":
        return None
    p = eqn.params
    if "num_carry" in p:  # JAX < 0.11
        return p["num_consts"], p["num_carry"]
    # JAX >= 0.11: ``ft_in`` is a flat tree of the inputs, packed as (consts, carry, xs)
    consts, carry, _ = p["ft_in"].unpack()
    return len(consts), len(carry)


def while_layout(eqn: Any) -> tuple[Any, int, Any, int] | None:
    """``(cond jaxpr, cond consts, body jaxpr, body consts)`` of a ``while``, else None."""
    if eqn.primitive.name != "while":
        return None
    p = eqn.params
    return p["cond_jaxpr"].jaxpr, p["cond_nconsts"], p["body_jaxpr"].jaxpr, p["body_nconsts"]


def cond_branches(eqn: Any) -> list | None:
    """The branch jaxprs of a ``cond`` (its first input picks one), else None."""
    if eqn.primitive.name != "cond":
        return None
    return [b.jaxpr for b in eqn.params["branches"]]


def collective_axes(eqn: Any) -> tuple:
    """The axis names a collective (``psum``, ``axis_index``, ...) works over."""
    p = eqn.params
    axes = p.get("axes", p.get("axis_name", ()))
    return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)


#: The parameter in which call equations (``jit``, ``remat``) carry a function name.
CALL_NAME_PARAM = "name"


def call_name(eqn: Any) -> str | None:
    """The function name a call equation (``jit``, ``remat``) carries, if any."""
    name = eqn.params.get(CALL_NAME_PARAM)
    return name if isinstance(name, str) else None


def is_key(aval: Any) -> bool:
    """Whether an abstract value is a typed PRNG key (``key<fry>[...]``)."""
    dtype = getattr(aval, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def random_call_name(eqn: Any) -> str | None:
    """``normal`` for the call equation of a ``jax.random`` function (JAX names them
    ``_normal``, ``_uniform``, ... and passes the key first), else None."""
    name = call_name(eqn)
    if name is None or not name.startswith("_") or not eqn.invars:
        return None
    first = eqn.invars[0]
    return name.lstrip("_") if is_key(getattr(first, "aval", None)) else None


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
