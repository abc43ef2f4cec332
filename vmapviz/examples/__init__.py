"""A catalogue of example calls: the tutorial's, ready to inspect, explain or draw.

Each :class:`Example` builds a fresh ``(mapping, args, kwargs)`` (new States every
time), so callers never share state. The tests, their golden files and the demo use
``EXAMPLES`` (the tutorial's calls); ``MODELS`` holds real-size models
(:mod:`vmapviz.examples.real`: a 300-layer MLP, a LIF population, 12 transformer
blocks, an ensemble); :mod:`vmapviz.examples.models` holds the benchmarks' MLPs.

>>> from vmapviz import examples
>>> examples.names()[:3]
['1.2_out_axes', '1.5_counter', '1.6_linear']
>>> example = examples.get("1.5_counter")
>>> example.section, example.title
('1.5', 'States: state_in_axes and state_out_axes')
>>> mapping, args, kwargs = example.build()
>>> mapping(*args, **kwargs)
Array([1., 2., 3., 4.], dtype=float32)
>>> print(examples.inspect("1.5_counter").explain().splitlines()[0])
vmap2 of Counter over 4 lanes: traced (signature (f32[4]); 1 trace(s) so far).
"""

from __future__ import annotations

from ._example import Example
from .real import MODELS as _REAL
from .tutorial import EXAMPLES as _TUTORIAL

__all__ = ["EXAMPLES", "MODELS", "Example", "get", "inspect", "names"]

EXAMPLES: dict[str, Example] = {e.name: e for e in _TUTORIAL}
"""Every tutorial example by name, in tutorial order."""

MODELS: dict[str, Example] = {e.name: e for e in _REAL}
"""The real-size models by name (large: each builds and traces in seconds)."""


def get(name: str) -> Example:
    """The example called ``name``.

    Raises:
      KeyError: no such example (the message lists the known names).
    """
    found = EXAMPLES.get(name) or MODELS.get(name)
    if found is None:
        known = ", ".join([*EXAMPLES, *MODELS])
        raise KeyError(f"no example {name!r}; known: {known}")
    return found


def names(models: bool = False) -> list[str]:
    """The tutorial examples' names, in order (with ``models=True``: the real-size ones)."""
    return list(MODELS if models else EXAMPLES)


def inspect(name: str):
    """Build the example ``name`` afresh and return the Report of one call,
    ``mapping.inspect(*args, **kwargs)``."""
    return get(name).inspect()
