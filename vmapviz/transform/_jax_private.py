"""The one place vmapviz reaches into JAX internals (pinned to the tested JAX range).

Tracing a function whose State reads become jaxpr inputs *as they happen* needs the
current staging trace's ``new_arg``, which JAX does not export.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
from jax._src import core as _core
from jax._src import source_info_util as _source_info


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


def abstract(x: Any) -> Abstract:
    """The :class:`Abstract` of an array, tracer or scalar.

    Placement (sharding) is left out: a value written back by ``pmap`` matches the
    one it replaced.
    """
    aval = jax.typeof(x)
    return Abstract(aval.shape, aval.dtype, aval.weak_type)
