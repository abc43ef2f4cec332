"""State-aware transforms: jit, grad, vmap2, pmap2, map, and the engine under them."""

from ._control import cond as cond
from ._control import for_loop as for_loop
from ._control import fori_loop as fori_loop
from ._control import scan as scan
from ._control import switch as switch
from ._control import while_loop as while_loop
from ._errors import BatchAxisError as BatchAxisError
from ._errors import MappingError as MappingError
from ._function import StatefulFunction as StatefulFunction
from ._function import jit as jit
from ._grad import grad as grad
from ._hooks import add_observer as add_observer
from ._hooks import observe as observe
from ._hooks import remove_observer as remove_observer
from ._map import map as map
from ._mapping import StatefulMapping as StatefulMapping
from ._mapping import pmap2 as pmap2
from ._mapping import vmap2 as vmap2
from ._remat import remat as remat

for _obj in (StatefulFunction, StatefulMapping, BatchAxisError, MappingError):
    _obj.__module__ = __name__
del _obj
