"""explain(): a mapped call told in words, one line per argument, State and output.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(delta):
...     count.value = count.value + delta
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> print(f.explain(jnp.ones(4)).splitlines()[4])
- count (ShortTermState f32[4]) is batched on axis 0 because state_in_axes {0: OfType(<class 'vmapviz.ShortTermState'>)} matched; each lane sees f32[]; written back on axis 0, the axis it entered on.
"""

from __future__ import annotations

from typing import Any

__all__ = ["explain", "explain_report"]


def explain(mapping: Any, *args: Any, **kwargs: Any) -> str:
    """Call ``mapping(*args, **kwargs)`` and describe the call in plain text."""
    return mapping.inspect(*args, **kwargs).explain()


def explain_report(report: Any) -> str:
    """Plain-text account of a :class:`~vmapviz.inspection.Report`."""
    axes = report.axes
    state_types = {s.label: s.type for s in report.discovery.states}
    lines = [f"{report.axes.transform} of {report.mapping} over {axes.axis_size} lanes"
             + (f" (axis name {axes.axis_name!r})" if axes.axis_name is not None else "")
             + ": " + _cache_line(report.cache)]
    warnings: list[str] = []
    for group, title in (("argument", "Arguments"), ("state", "States"), ("output", "Outputs")):
        entries = [e for e in axes.entries if e.kind == group]
        if not entries:
            continue
        lines.append(f"{title}:")
        for e in entries:
            if group == "argument":
                lines.append("- " + _argument_line(e))
                warnings.extend(_argument_warnings(e))
            elif group == "state":
                lines.append("- " + _state_line(e, state_types.get(e.label, "State"), axes))
                warnings.extend(_state_warnings(e, state_types.get(e.label, "State")))
            else:
                lines.append("- " + _output_line(e))
    if report.keys is not None:
        for k in report.keys.entries:
            lines.append(
                f"Random keys: {k.label} split its key into {report.keys.axis_size + 1}: "
                f"lane i draws from key i+1, and the State keeps key 0."
            )
    if report.cache.traces >= 3 and not report.cache.hit:
        warnings.append(
            f"{report.mapping} has been traced {report.cache.traces} times: a new signature "
            "on every call retraces and recompiles. Keep shapes, dtypes and static "
            "arguments fixed between calls."
        )
    if warnings:
        lines.append("Watch out:")
        lines.extend("! " + w for w in warnings)
    return "\n".join(lines)


def _cache_line(cache: Any) -> str:
    if cache.hit:
        return f"cache hit (signature {cache.key}), no retrace."
    why = f" because {cache.reason}" if cache.reason and cache.reason != "first call" else ""
    return f"traced{why} (signature {cache.key}; {cache.traces} trace(s) so far)."


def _argument_line(e: Any) -> str:
    if e.axis_in is None:
        return (f"{e.label} ({e.type}) is broadcast: every lane sees the whole value "
                f"({e.reason_in}).")
    return (f"{e.label} ({e.type}) is batched on axis {e.axis_in} ({e.reason_in}); "
            f"each lane sees {e.lane_type}.")


def _is_key_type(type_text: str) -> bool:
    return type_text.startswith("key<") or type_text == "u32[2]"


def _argument_warnings(e: Any) -> list[str]:
    if e.axis_in is None and _is_key_type(e.type):
        return [(f"{e.label} looks like a PRNG key and is broadcast: every lane draws the "
                 "same random numbers. Split it into one key per lane and map it (in_axes 0).")]
    return []


def _state_line(e: Any, state_type: str, axes: Any) -> str:
    head = f"{e.label} ({state_type} {e.type})"
    if e.reason_in.startswith("RandomState"):
        first = f"{head} is a RandomState: its key is split into one key per lane"
    elif e.reason_in == "not read: written only":
        first = f"{head} is not read, only written"
    elif e.axis_in is None:
        first = f"{head} is broadcast: every lane reads the same value ({e.reason_in})"
    else:
        first = (f"{head} is batched on axis {e.axis_in} because {e.reason_in}; "
                 f"each lane sees {e.lane_type}")
    if e.reason_out == "not written":
        return first + "; not written."
    if e.reason_out.startswith("RandomState"):
        return first + "; after the call it keeps the split key (lane keys are dropped)."
    if e.axis_out is None or e.reason_out.startswith("written back"):
        return first + f"; {e.reason_out}."
    return first + f"; written back on axis {e.axis_out} ({e.reason_out})."


def _state_warnings(e: Any, state_type: str) -> list[str]:
    out = []
    if "policy" in e.reason_out:
        out.append(
            f"{e.label} ({state_type}) was written with a per-lane value that no "
            f"state_out_axes filter declared; the {e.reason_out.split(':')[0]} scattered it "
            "onto a new axis 0. Declare it in state_out_axes to make this explicit."
        )
        if e.axis_in is None and e.reason_in != "not read: written only":
            if "policy 'auto'" in e.reason_out:
                out.append(
                    f"{e.label} is read and written: it gained the batch axis on this call. "
                    "Its leading size now equals the batch size, so on the next call the "
                    "'auto' policy feeds it per lane instead of adding another axis."
                )
            else:
                out.append(
                    f"{e.label} is read and written, so it will grow a new axis on every "
                    "call. Batch it on input with state_in_axes, or use the 'auto' policy."
                )
    return out


def _output_line(e: Any) -> str:
    if e.axis_out is None:
        return f"{e.label} ({e.type}) is the same in every lane and leaves unbatched."
    varies = "varies by lane" if e.batched else "is the same in every lane (broadcast)"
    return f"{e.label} ({e.type}) {varies}; its batch axis is axis {e.axis_out}."
