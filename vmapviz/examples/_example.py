"""``Example``: one catalogued call, built afresh on demand; ``made_here`` for its States."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Example", "made_here"]

Built = tuple[Any, tuple, dict]
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def made_here(state):
    """Give ``state`` the catalogue line that made it as its ``source``; returns ``state``.

    A State records the first frame outside vmapviz as where it was made; for a State
    the catalogue makes, that would be whoever called ``build()``, so records would
    differ by caller. This names the line of the call to ``made_here`` instead, e.g.
    ``'vmapviz/examples/tutorial.py:57'``.
    """
    frame = sys._getframe(1)
    where = os.path.relpath(os.path.abspath(frame.f_code.co_filename), _ROOT)
    state.source = f"{where.replace(os.sep, '/')}:{frame.f_lineno}"
    return state


@dataclass(frozen=True)
class Example:
    """A named example call: a mapping and the arguments to call it with.

    Attributes:
      name: registry key, e.g. ``'1.5_counter'``.
      section: the tutorial section it comes from, e.g. ``'1.5'``.
      title: a short heading.
      summary: one sentence on what the call shows.
      factory: a function of no arguments returning ``(mapping, args, kwargs)``.
      devices: how many devices the call needs (``pmap2`` and ``shard_map`` run one lane
        per device).
    """

    name: str
    section: str
    title: str
    summary: str
    factory: Callable[[], Built]
    devices: int = 1

    def build(self) -> Built:
        """A fresh ``(mapping, args, kwargs)``: new States, new mapping, every call.

        Raises:
          RuntimeError: fewer devices than the example needs.
        """
        if self.devices > 1:
            import jax

            if jax.device_count() < self.devices:
                raise RuntimeError(
                    f"example {self.name!r} runs one lane per device and needs "
                    f"{self.devices} devices; JAX sees {jax.device_count()}. Set XLA_FLAGS="
                    f"--xla_force_host_platform_device_count={self.devices} before "
                    "importing jax."
                )
        mapping, args, kwargs = self.factory()
        return mapping, tuple(args), dict(kwargs)

    def inspect(self):
        """Build the example and return the :class:`vmapviz.inspection.Report` of one call."""
        mapping, args, kwargs = self.build()
        return mapping.inspect(*args, **kwargs)
