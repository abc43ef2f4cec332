"""vmapviz: state-aware vectorization for JAX, and pictures of what it does.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(3))
>>> def step(x):
...     count.value = count.value + x
...     return count.value
>>> vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})(jnp.ones(3))
Array([1., 1., 1.], dtype=float32)

Importing vmapviz loads neither the widgets (anywidget, ipywidgets, IPython) nor the XLA
backend: :func:`inspect` and the ``vmapviz.widgets`` attribute import the widgets on first
use, and no JAX array is made at import, so ``XLA_FLAGS`` set after ``import vmapviz``
still take effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import inspection as inspection
from . import nn as nn
from . import random as random
from . import render as render
from . import transform as transform
from . import util as util
from ._state import BatchState as BatchState
from ._state import HiddenState as HiddenState
from ._state import LongTermState as LongTermState
from ._state import OuterTransformError as OuterTransformError
from ._state import ParamState as ParamState
from ._state import ShortTermState as ShortTermState
from ._state import State as State
from ._state import StateTrace as StateTrace
from ._state import StateValueError as StateValueError
from .inspection import compare as compare
from .inspection import explain as explain
from .transform._errors import BatchAxisError as BatchAxisError

if TYPE_CHECKING:
    from . import widgets as widgets
    from .widgets import Exercise, Inspector

__version__ = "0.1.0"


def inspect(f_or_mapping: Any, *args: Any, **kwargs: Any) -> Inspector:
    """Call a mapping (or ``vmap2(f)`` for a plain function) and show the call.

    The same as :func:`vmapviz.widgets.inspect`, which is imported on the first call
    (``import vmapviz`` alone loads no widget library).

    Args:
      f_or_mapping: a :class:`~vmapviz.transform.StatefulMapping`, or a function,
        which is mapped with ``vmap2``'s defaults (every argument on axis 0).
      *args, **kwargs: the call's arguments. The call really runs: States it
        writes are updated, as with ``mapping(*args, **kwargs)``.

    Returns:
      An :class:`~vmapviz.widgets.Inspector`; ``inspector.inspect(*other_args)`` adds
      another call (e.g. another signature) to its cache-entry selector.

    >>> import jax.numpy as jnp
    >>> inspect(lambda x: x + 1, jnp.ones(2))
    Inspector(mapping='<lambda>', lanes=2, states=[])
    """
    from .widgets import inspect as widgets_inspect

    return widgets_inspect(f_or_mapping, *args, **kwargs)


def exercise(mapped: Any, *args: Any, ask: Any = None, **kwargs: Any) -> Exercise:
    """Questions about ``mapped(*args, **kwargs)``, asked before the call is shown.

    The same as :func:`vmapviz.widgets.exercise`, imported on the first call. The answers
    come from a dry run (nothing runs, no State changes); each answer is checked in the
    kernel and explained with the record that decides it; "Show the call" adds the
    call's :class:`~vmapviz.widgets.Inspector`.

    >>> import jax.numpy as jnp
    >>> exercise(lambda x: x + 1, jnp.ones(2), ask='output_shape')
    Exercise(mapping='<lambda>', lanes=2, questions=['output_shape:output 0'], revealed=False)
    """
    from .widgets import exercise as widgets_exercise

    return widgets_exercise(mapped, *args, ask=ask, **kwargs)


def __getattr__(name: str) -> Any:
    # ``vmapviz.widgets`` without an explicit import, loaded (with anywidget) on first use.
    if name == "widgets":
        import importlib

        return importlib.import_module(".widgets", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"widgets"})

for _cls in (State, ShortTermState, LongTermState, ParamState, HiddenState, BatchState):
    _cls.__module__ = "vmapviz"
del _cls
