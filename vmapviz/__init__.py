"""vmapviz: state-aware vectorization for JAX, and pictures of what it does.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(3))
>>> def step(x):
...     count.value = count.value + x
...     return count.value
>>> vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})(jnp.ones(3))
Array([1., 1., 1.], dtype=float32)
"""

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
from .inspection import explain as explain
from .transform._errors import BatchAxisError as BatchAxisError
from .widgets import inspect as inspect

__version__ = "0.1.0"

for _cls in (State, ShortTermState, LongTermState, ParamState, HiddenState, BatchState):
    _cls.__module__ = "vmapviz"
del _cls
