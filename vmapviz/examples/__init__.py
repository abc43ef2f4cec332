"""A catalogue of example calls: the tutorial's, ready to inspect, explain or draw.

Each :class:`Example` builds a fresh ``(mapping, args, kwargs)`` (new States every
time), so callers never share state. The tests, their golden files and the demo use
these; :mod:`vmapviz.examples.models` holds the benchmarks' models.

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
from .tutorial import EXAMPLES as _TUTORIAL

__all__ = ["EXAMPLES", "Example", "get", "inspect", "names"]

EXAMPLES: dict[str, Example] = {e.name: e for e in _TUTORIAL}
"""Every example by name, in tutorial order."""


def get(name: str) -> Example:
    """The example called ``name``.

    Raises:
      KeyError: no such example (the message lists the known names).
    """
    try:
        return EXAMPLES[name]
    except KeyError:
        raise KeyError(f"no example {name!r}; known: {', '.join(EXAMPLES)}") from None


def names() -> list[str]:
    """The examples' names, in tutorial order."""
    return list(EXAMPLES)


def inspect(name: str):
    """Build the example ``name`` afresh and return the Report of one call,
    ``mapping.inspect(*args, **kwargs)``."""
    return get(name).inspect()
