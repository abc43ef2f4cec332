"""Lanes as devices through ``jax.shard_map``: one lane per device of a 1-D mesh.

``StatefulMapping(f, mapping_fn=jax.shard_map, axis_name='i')`` runs each lane on its
own device, like ``pmap``: every mapped input is split along its batch axis into blocks
of one, each device drops that axis, runs the per-element program and adds it back.
The number of lanes must equal the number of devices in the mesh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

__all__ = ["shard_lanes"]


def _spec(axis: int | None, rank: int, name: Any) -> PartitionSpec:
    if axis is None:
        return PartitionSpec()
    parts = [None] * rank
    parts[axis] = name
    return PartitionSpec(*parts)


def shard_lanes(
    one_lane: Callable,
    in_axes: tuple,
    out_axes: tuple,
    axis_name: Any,
    axis_size: int,
    mesh: Any = None,
) -> Callable:
    """A function of the batched inputs, like ``jax.vmap(one_lane, ...)``, on a mesh."""
    if axis_name is None:
        raise ValueError("mapping_fn=jax.shard_map needs an axis_name for the mesh axis.")
    if mesh is None:
        if jax.device_count() < axis_size:
            raise ValueError(
                f"mapping_fn=jax.shard_map runs one lane per device: {axis_size} lanes need "
                f"{axis_size} devices, but {jax.device_count()} are available."
            )
        mesh = jax.make_mesh((axis_size,), (axis_name,), devices=jax.devices()[:axis_size],
                             axis_types=(jax.sharding.AxisType.Auto,))
    if mesh.shape[axis_name] != axis_size:
        raise ValueError(
            f"mesh axis {axis_name!r} has {mesh.shape[axis_name]} devices but the map has "
            f"{axis_size} lanes; shard_map runs one lane per device."
        )

    def run(*xs):
        def block(*parts):
            lanes = [p if ax is None else jnp.squeeze(p, ax) for p, ax in zip(parts, in_axes)]
            outs = one_lane(*lanes)
            return tuple(o if ax is None else jnp.expand_dims(o, ax % (o.ndim + 1))
                         for o, ax in zip(outs, out_axes))

        in_specs = tuple(_spec(ax, jnp.ndim(x), axis_name) for x, ax in zip(xs, in_axes))
        out_avals = jax.eval_shape(lambda *a: jax.vmap(
            one_lane, in_axes=in_axes, out_axes=out_axes, axis_name=axis_name)(*a), *xs)
        out_specs = tuple(_spec(None if ax is None else ax % len(o.shape), len(o.shape), axis_name)
                          for o, ax in zip(out_avals, out_axes))
        return jax.shard_map(block, mesh=mesh, in_specs=in_specs, out_specs=out_specs,
                             check_vma=False)(*xs)

    return run
