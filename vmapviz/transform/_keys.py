"""Stage 3, key splitting: one key per lane, and the key the RandomState keeps.

Entering a map of size n, a RandomState's key is split into ``n + 1``: the State keeps
``keys[0]`` and lane i draws from ``keys[i + 1]``.

>>> import jax
>>> kept, lanes = split_for_lanes(jax.random.key(0), 3)
>>> lanes.shape
(3,)
"""

from __future__ import annotations

from typing import Any

import jax

from .. import records as rec

__all__ = ["key_record", "split_for_lanes"]


def split_for_lanes(key: Any, n: int) -> tuple[Any, Any]:
    """``(key the State keeps, one key per lane)`` for a map over ``n`` lanes."""
    keys = jax.random.split(key, n + 1)
    return keys[0], keys[1:]


def key_record(label: str, key: Any, n: int) -> rec.KeyRecord:
    """The split of ``key`` as plain integers (empty while ``key`` is being traced)."""
    if isinstance(key, jax.core.Tracer):
        return rec.KeyRecord(label, (), (), ())
    kept, lanes = split_for_lanes(key, n)
    return rec.KeyRecord(
        label,
        tuple(jax.random.key_data(key).tolist()),
        tuple(tuple(k) for k in jax.random.key_data(lanes).tolist()),
        tuple(jax.random.key_data(kept).tolist()),
    )
