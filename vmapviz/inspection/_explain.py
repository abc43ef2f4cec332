"""explain(): a mapped call told in words, one line per argument, State and output.

The wording lives in :mod:`vmapviz.inspection.words`; this module only joins it.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(delta):
...     count.value = count.value + delta
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> print(f.explain(jnp.ones(4)).splitlines()[4])
- count (ShortTermState f32[4]) is batched on axis 0 because state_in_axes {0: OfType(ShortTermState)} matched; each lane sees f32[]; written back on axis 0, the axis it entered on.
"""

from __future__ import annotations

from typing import Any

from .words import explain_lines

__all__ = ["explain", "explain_report"]


def explain(mapping: Any, *args: Any, **kwargs: Any) -> str:
    """Call ``mapping(*args, **kwargs)`` and describe the call in plain text."""
    return mapping.inspect(*args, **kwargs).explain()


def explain_report(report: Any) -> str:
    """Plain-text account of a :class:`~vmapviz.inspection.Report`."""
    return "\n".join(explain_lines(report))
