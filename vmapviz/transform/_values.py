"""Values per lane: what each lane of a call read and produced, capped per array.

Made only on request (``mapping.inspect(*args, values=True)``), after the call ran:
argument slices, each State before and after, each output, and for a RandomState
the key of each lane and the key the State keeps.

>>> import jax.numpy as jnp
>>> sample(jnp.arange(6.0).reshape(2, 3), 4)
Sample(shape=(2, 3), dtype='float32', values=(0.0, 1.0, 2.0, 3.0), total=6)
"""

from __future__ import annotations

import jax
import numpy as np

from .. import records as rec
from ._decide import Feed
from ._keys import split_for_lanes

__all__ = ["MAX_LANES", "sample", "values_record"]

MAX_LANES = 128  # lanes recorded at most (the first ones)


def _host(x) -> np.ndarray:
    """``x`` on the host (a key array: its key data)."""
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    return np.asarray(x)


def sample(x, cap: int) -> rec.Sample:
    """The first ``cap`` elements of ``x`` (a key array: its key data) as plain numbers."""
    host = _host(x)
    flat = host.reshape(-1)
    return rec.Sample(tuple(host.shape), str(flat.dtype), tuple(flat[:cap].tolist()),
                      int(flat.size))


def _per_lane(leaves: list, axis: int | None, lanes: int, cap: int) -> tuple:
    """One tuple of Samples per lane; a value every lane sees whole is held once."""
    if axis is None:
        return (tuple(sample(x, cap) for x in leaves),)
    hosts = [_host(x) for x in leaves]
    return tuple(tuple(sample(np.take(h, i, axis=axis), cap) for h in hosts)
                 for i in range(lanes))


NOTHING = ((),)  # nothing read (or written), in any lane


def _state_entries(plan, state_leaves: list, written: dict, lanes: int, cap: int) -> list:
    """One LaneValues per State read (then written-only), before and after."""
    t, out, j = plan.traced, [], 0
    for s, d, tdef in zip(t.read_states, plan.state_in, t.read_treedefs):
        leaves = state_leaves[j : j + tdef.num_leaves]
        j += tdef.num_leaves
        if d.feed is Feed.RANDOM:
            split = [split_for_lanes(k, plan.n) for k in leaves]
            before = _per_lane([lane_keys for _, lane_keys in split], 0, lanes, cap)
            kept = tuple(sample(k, cap) for k, _ in split)
            out.append(rec.LaneValues(s.label(), rec.Kind.STATE, before, (kept,)))
            continue
        after = written.pop(id(s), NOTHING)
        out.append(rec.LaneValues(s.label(), rec.Kind.STATE,
                                  _per_lane(leaves, d.axis, lanes, cap), after))
    for o in plan.state_out:
        if id(o.state) in written:
            out.append(rec.LaneValues(o.state.label(), rec.Kind.STATE, NOTHING,
                                      written.pop(id(o.state))))
    return out


def values_record(plan, arg_leaves: list, state_leaves: list, result, cap: int,
                  ) -> rec.ValuesRecord:
    """The :class:`~vmapviz.records.ValuesRecord` of a call that ran (``result``: what
    the plan's runner returned)."""
    outs, _ = result
    t, lanes = plan.traced, min(plan.n, MAX_LANES)
    entries = [rec.LaneValues(name, rec.Kind.ARGUMENT, _per_lane([x], ax, lanes, cap),
                              NOTHING)
               for name, x, ax in zip(plan.arg_names, arg_leaves, plan.axes)]
    written, i = {}, t.n_out
    for o, tdef in zip(plan.state_out, t.written_treedefs):
        if not o.discard:
            written[id(o.state)] = _per_lane(list(outs[i : i + tdef.num_leaves]), o.axis,
                                             lanes, cap)
            i += tdef.num_leaves
    entries.extend(_state_entries(plan, state_leaves, written, lanes, cap))
    for k, ax in enumerate(plan.out_axes):
        entries.append(rec.LaneValues(f"output {k}", rec.Kind.OUTPUT, NOTHING,
                                      _per_lane([outs[k]], ax, lanes, cap)))
    return rec.ValuesRecord(plan.mapping_name, cap, lanes, plan.n, tuple(entries))
