"""Jupyter widgets that show what a mapped call did: tables, axis diagrams, jaxpr graphs.

``inspect(f, *args)`` calls ``f`` (a :class:`~vmapviz.transform.StatefulMapping`, or a
plain function, mapped with ``vmap2`` defaults) and returns an :class:`Inspector`;
``widget(mapping, *args)`` does the same for a mapping only.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> from vmapviz import widgets
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value * 2
>>> m = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> ins = widgets.inspect(m, jnp.arange(4.0))
>>> ins
Inspector(mapping='step', lanes=4, states=['count'])
>>> count.value = jnp.zeros(3)  # another batch size: another signature
>>> ins.inspect(jnp.ones(3)).selected
1
>>> [e['label'] for e in ins.entries]
['call 1, first call: step(f32[4])', 'call 2, miss: d f32[4] -> f32[3]']
"""

from __future__ import annotations

from typing import Any

from ..inspection._exercise import Ask as Ask
from ._exercise import Exercise as Exercise
from ._exercise import ExerciseQuestions as ExerciseQuestions
from ._exercise import exercise as exercise
from ._widgets import AxisDiagram as AxisDiagram
from ._widgets import Inspector as Inspector
from ._widgets import JaxprGraph as JaxprGraph
from ._widgets import StateTable as StateTable

__all__ = ["Ask", "AxisDiagram", "Exercise", "ExerciseQuestions", "Inspector", "JaxprGraph",
           "StateTable", "exercise", "inspect", "widget"]


def _as_mapping(f_or_mapping: Any) -> Any:
    from ..transform import StatefulMapping, vmap2

    if isinstance(f_or_mapping, StatefulMapping):
        return f_or_mapping
    if not callable(f_or_mapping):
        raise TypeError(
            "vmapviz.inspect: argument f_or_mapping must be a function or a "
            f"StatefulMapping (from vmap2), got {type(f_or_mapping).__name__}. "
            "Pass the function to vectorize, then its arguments: inspect(f, x)."
        )
    return vmap2(f_or_mapping)


def inspect(f_or_mapping: Any, *args: Any, **kwargs: Any) -> Inspector:
    """Call a mapping (or ``vmap2(f)`` for a plain function) and show the call.

    Args:
      f_or_mapping: a :class:`~vmapviz.transform.StatefulMapping`, or a function,
        which is mapped with ``vmap2``'s defaults (every argument on axis 0).
      *args, **kwargs: the call's arguments. The call really runs: States it
        writes are updated, as with ``mapping(*args, **kwargs)``.

    Returns:
      An :class:`Inspector`; ``inspector.inspect(*other_args)`` adds another call
      (e.g. another signature) to its cache-entry selector.

    >>> import jax.numpy as jnp
    >>> inspect(lambda x: x + 1, jnp.ones(2))
    Inspector(mapping='<lambda>', lanes=2, states=[])
    """
    mapping = _as_mapping(f_or_mapping)
    return Inspector([mapping.inspect(*args, **kwargs)], mapping=mapping)


def widget(mapping: Any, *args: Any, **kwargs: Any) -> Inspector:
    """``mapping.widget(*args)``: call the mapping and return an :class:`Inspector`.

    >>> import jax.numpy as jnp
    >>> from vmapviz.transform import vmap2
    >>> widget(vmap2(lambda x: x * 2), jnp.ones(3))
    Inspector(mapping='<lambda>', lanes=3, states=[])
    """
    from ..transform import StatefulMapping

    if not isinstance(mapping, StatefulMapping):
        raise TypeError(
            "vmapviz.widgets.widget: argument mapping must be a StatefulMapping (from "
            f"vmap2 or pmap2), got {type(mapping).__name__}. For a plain function use "
            "vmapviz.widgets.inspect(f, *args)."
        )
    return Inspector([mapping.inspect(*args, **kwargs)], mapping=mapping)
