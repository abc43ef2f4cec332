"""Every phrase vmapviz shows, worded from the records' fields (and only here).

Records (:mod:`vmapviz.records`) hold decisions as data: axes, shapes and the
:class:`~vmapviz.records.Rule` that decided each axis. This module turns them into
the words of ``explain()``, table cells, diagram captions and titles, so every view
says the same thing the same way.

>>> from vmapviz.records import AxisRecord, Kind, Rule
>>> e = AxisRecord(Kind.ARGUMENT, 'argument x', 'f32[4]', 'f32[]', ((4,),), ((),),
...                ('float32',), (False,), 0, None, Rule.IN_AXES, None, None)
>>> reason_in(e, 4)
'in_axes: axis 0'
"""

from __future__ import annotations

from typing import Any

from ..records import AxisRecord, Change, Difference, Kind, Rule
from ._groups import StateGroup

__all__ = [
    "axis_text",
    "diagram_in",
    "diagram_out",
    "difference_text",
    "explain_lines",
    "group_head",
    "key_text",
    "lane_texts",
    "miss_reason",
    "reason",
    "reason_in",
    "reason_out",
    "title",
    "types_text",
]


def title(axes: Any) -> str:
    """``vmap2 of step over 4 lanes`` (with ``(axis name 'i')`` when the axis is named)."""
    name = "" if axes.axis_name is None else f" (axis name {axes.axis_name!r})"
    return f"{axes.transform} of {axes.mapping} over {axes.axis_size} lanes{name}"


def axis_text(a: int | None) -> str:
    return "None" if a is None else str(a)


def types_text(types: tuple[str, ...], most: int = 3) -> str:
    """Distinct types of a group of States: ``f32[16,16] | f32[16]`` (at most ``most``)."""
    shown = " | ".join(types[:most])
    return shown + (f" | ... ({len(types) - most} more)" if len(types) > most else "")


def key_text(key: tuple[int, ...]) -> str:
    """A key's raw data as ``[0 42]``."""
    return "[" + " ".join(str(k) for k in key) + "]"


def _filter(axis: Any, flt: str | None) -> str:
    return f"{{{axis}: {flt}}}"


_IN = {
    Rule.UNMATCHED: "no state_in_axes filter matched: shared by every lane",
    Rule.RANDOM_SPLIT: "RandomState: its key is split into one key per lane",
    Rule.WRITTEN_ONLY: "not read: written only",
}

_OUT = {
    Rule.NOT_WRITTEN: "not written",
    Rule.RANDOM_KEEP: "RandomState: lane keys dropped; keeps the split key",
    Rule.UNCHANGED: "written back as is: its new value is the same in every lane",
}


def reason_in(e: AxisRecord, axis_size: int) -> str:
    """Why ``e`` enters the map on its axis (``''`` for outputs)."""
    rule = e.rule_in
    if rule is None:
        return ""
    if rule in _IN:
        return _IN[rule]
    if rule in (Rule.IN_AXES, Rule.KEYWORD):
        head = "mapped keyword argument" if rule is Rule.KEYWORD else "in_axes"
        return f"{head}: axis {e.axis_in}" if e.axis_in is not None else f"{head}: None (broadcast)"
    if rule is Rule.FILTER:
        text = f"state_in_axes {_filter(e.axis_in, e.filter_in)} matched"
        return text if e.axis_in is not None else text + ": shared by every lane"
    if rule is Rule.AUTO_PER_LANE:
        return ("policy 'auto': read and written with a value that varies by lane, and its "
                f"leading size equals the batch size {axis_size}: fed per lane on axis 0")
    raise ValueError(f"no wording for input rule {rule!r}")


def reason_out(e: AxisRecord, axis_size: int) -> str:
    """Why ``e`` leaves the map on its axis (``''`` for arguments)."""
    rule = e.rule_out
    if rule is None:
        return ""
    if rule in _OUT:
        return _OUT[rule]
    if rule is Rule.OUT_AXES:
        why = "varies by lane" if e.batched else "same in every lane (broadcast)"
        return f"out_axes: {e.axis_out}; {why}"
    if rule is Rule.SAME_AXIS:
        text = f"written back on axis {e.axis_out}, the axis it entered on"
        if e.filter_out is not None:
            text += (f" (state_out_axes {_filter(None, e.filter_out)} does not unbatch a "
                     "batched State)")
        return text
    if rule is Rule.DECLARED:
        text = f"state_out_axes {_filter(e.axis_out, e.filter_out)} matched"
        return text if e.axis_out is not None else text + ": written back as is"
    if rule is Rule.LEADING_SIZE:
        return (f"written back on axis 0: written only, and its leading size equals the "
                f"batch size {axis_size}")
    if rule is Rule.POLICY:
        return f"policy '{e.policy}': its per-lane values are scattered on a new axis 0"
    raise ValueError(f"no wording for output rule {rule!r}")


def reason(e: AxisRecord, axis_size: int) -> str:
    """Both reasons of an entry, ``'; '``-joined (the tables' Reason column)."""
    return "; ".join(r for r in (reason_in(e, axis_size), reason_out(e, axis_size)) if r)


# ------------------------------------------------------------ axis diagram


def diagram_in(e: AxisRecord, axis_size: int = 0) -> str:
    """The caption of the arrow into the map."""
    if e.random:
        return f"split into {axis_size + 1}: key i+1 to lane i"
    if e.axis_in is None:
        return "None: broadcast"
    return f"in_axes {e.axis_in}" if e.kind is Kind.ARGUMENT else f"state axis {e.axis_in}"


def diagram_out(e: AxisRecord) -> str:
    """The caption of the arrow out of the map."""
    if e.kind is Kind.OUTPUT:
        if e.batched is False:
            return f"out_axes {axis_text(e.axis_out)}: same in every lane"
        if e.axis_out:
            return f"out_axes {e.axis_out}: batch axis inserted at {e.axis_out}"
        return f"out_axes {axis_text(e.axis_out)}"
    if e.random:
        return "keeps key 0"
    if e.axis_out is None:
        return "written back unbatched"
    if e.axis_in is None:
        return f"lanes stacked on a new axis {e.axis_out}"
    if e.axis_out != e.axis_in:
        return f"written back on axis {e.axis_out} (moved)"
    return f"written back on axis {e.axis_out}"


# ------------------------------------------------------------------ lanes


def lane_index(type_: str, axis: int | None, lane: int) -> str:
    """``f32[4,3]`` sliced at ``lane`` on ``axis`` 1: ``[:, 2] of f32[4,3]``."""
    if axis is None:
        return f"all of {type_} (broadcast)"
    return f"[{', '.join([':'] * axis + [str(lane)])}] of {type_}"


def lane_texts(e: AxisRecord, lane: int, key: Any = None, written: Any = None) -> list[str]:
    """What one lane reads and writes of an entry: ``[reads, writes]`` (``'-'``: nothing).

    ``key``: the entry's :class:`~vmapviz.records.KeyRecord` (RandomStates);
    ``written``: its :class:`~vmapviz.records.WriteRecord` (written States).
    """
    reads = writes = "-"
    if e.kind is Kind.ARGUMENT:
        reads = f"{lane_index(e.type, e.axis_in, lane)} -> {e.lane_type}"
    elif e.kind is Kind.OUTPUT:
        if e.batched is False:
            writes = f"{e.lane_type} -> {e.type} (same in every lane)"
        else:
            writes = f"{e.lane_type} -> {lane_index(e.type, e.axis_out, lane)}"
    elif key is not None:
        reads = (f"key {lane + 1} of split(key, {len(key.lane_keys) + 1}): "
                 + key_text(key.lane_keys[lane]))
        writes = f"keeps key 0: {key_text(key.key_after)}"
    else:
        if e.rule_in is not Rule.WRITTEN_ONLY:
            reads = f"{lane_index(e.type, e.axis_in, lane)} -> {e.lane_type}"
        if written is not None:
            writes = (f"{e.lane_type} -> {written.after} (written back unbatched)"
                      if e.axis_out is None
                      else f"{e.lane_type} -> {lane_index(written.after, e.axis_out, lane)}")
    return [reads, writes]


# ------------------------------------------------------------------ explain


def difference_text(d: Difference) -> str:
    """One difference behind a cache miss, as ``explain()`` and the records' readers say it."""
    if d.change is Change.FIRST_CALL:
        return "first call"
    if d.change is Change.STRUCTURE:
        return f"argument structure: now {d.now}, before {d.before}"
    if d.change is Change.STATIC:
        return f"static arguments: now {d.now}, before {d.before}"
    if d.change is Change.ARGUMENT:
        return f"{d.name}: now {d.now}, before {d.before}"
    if d.name is None:
        return "a State changed type"
    if d.change is Change.STATE_CLASS:
        return (f"state {d.name}: now a {d.now}, before a {d.before} (its batching is "
                "decided again)")
    if d.change is Change.STATE_FILTERS:
        return (f"state {d.name}: the state_in_axes / state_out_axes filters now answer "
                f"{d.now}, before {d.before} (tag {d.detail}); its batching is decided again")
    return f"state {d.name}: now {d.now}, before {d.before}"


def miss_reason(cache: Any) -> str | None:
    """Why a call missed the cache (None on a hit)."""
    if cache.hit:
        return None
    return "; ".join(difference_text(d) for d in cache.changes)


def cache_line(cache: Any) -> str:
    if cache.hit:
        return f"cache hit (signature {cache.key}), no retrace."
    why = "" if cache.first_call or not cache.changes else f" because {miss_reason(cache)}"
    return f"traced{why} (signature {cache.key}; {cache.traces} trace(s) so far)."


def argument_line(e: AxisRecord, n: int) -> str:
    if e.axis_in is None:
        return (f"{e.label} ({e.type}) is broadcast: every lane sees the whole value "
                f"({reason_in(e, n)}).")
    return (f"{e.label} ({e.type}) is batched on axis {e.axis_in} ({reason_in(e, n)}); "
            f"each lane sees {e.lane_type}.")


def _is_key_type(e: AxisRecord) -> bool:
    return e.type.startswith("key<") or (e.shapes == ((2,),) and e.dtypes == ("uint32",))


def argument_warnings(e: AxisRecord) -> list[str]:
    if e.axis_in is None and _is_key_type(e):
        return [(f"{e.label} looks like a PRNG key and is broadcast: every lane draws the "
                 "same random numbers. Split it into one key per lane and map it (in_axes 0).")]
    return []


def state_line(e: AxisRecord, state_type: str, n: int, head: str | None = None) -> str:
    """One State's line; ``head`` names a group of alike States instead of ``e`` alone."""
    head = head or f"{e.label} ({state_type} {e.type})"
    if e.rule_in is Rule.RANDOM_SPLIT:
        first = f"{head} is a RandomState: its key is split into one key per lane"
    elif e.rule_in is Rule.WRITTEN_ONLY:
        first = f"{head} is not read, only written"
    elif e.axis_in is None:
        first = f"{head} is broadcast: every lane reads the same value ({reason_in(e, n)})"
    else:
        first = (f"{head} is batched on axis {e.axis_in} because {reason_in(e, n)}; "
                 f"each lane sees {e.lane_type}")
    out = reason_out(e, n)
    if e.rule_out is Rule.NOT_WRITTEN:
        return first + "; not written."
    if e.rule_out is Rule.RANDOM_KEEP:
        return first + "; after the call it keeps the split key (lane keys are dropped)."
    if e.axis_out is None or e.rule_out in (Rule.SAME_AXIS, Rule.LEADING_SIZE):
        return first + f"; {out}."
    return first + f"; written back on axis {e.axis_out} ({out})."


def group_head(group: Any) -> str:
    """``layers.*.{0,1} (600 ParamStates f32[16,16] | f32[16])``: a group in one line."""
    return (f"{group.pattern} ({len(group.members)} {group.state_type}s "
            f"{types_text(group.types)})")


def state_warnings(e: AxisRecord, state_type: str) -> list[str]:
    if e.rule_out is not Rule.POLICY:
        return []
    out = [(f"{e.label} ({state_type}) was written with a per-lane value that no "
           f"state_out_axes filter declared; the policy '{e.policy}' scattered it onto a new "
           "axis 0. Declare it in state_out_axes to make this explicit.")]
    if e.axis_in is None and e.rule_in is not Rule.WRITTEN_ONLY:
        if e.policy == "auto":
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


def output_line(e: AxisRecord) -> str:
    if e.axis_out is None:
        return f"{e.label} ({e.type}) is the same in every lane and leaves unbatched."
    varies = "varies by lane" if e.batched else "is the same in every lane (broadcast)"
    return f"{e.label} ({e.type}) {varies}; its batch axis is axis {e.axis_out}."


def key_line(label: str, axis_size: int) -> str:
    return (f"Random keys: {label} split its key into {axis_size + 1}: "
            f"lane i draws from key i+1, and the State keeps key 0.")


def retrace_warning(cache: Any, mapping: str) -> str | None:
    if cache.traces >= 3 and not cache.hit:
        return (f"{mapping} has been traced {cache.traces} times: a new signature "
                "on every call retraces and recompiles. Keep shapes, dtypes and static "
                "arguments fixed between calls.")
    return None


_GROUPS = ((Kind.ARGUMENT, "Arguments"), (Kind.STATE, "States"), (Kind.OUTPUT, "Outputs"))


def explain_lines(report: Any) -> list[str]:
    """The lines of ``explain()``: header, one per argument, State and output, key
    splits, then warnings."""
    axes, n = report.axes, report.axes.axis_size
    state_types = {s.label: s.type for s in report.discovery.states}
    lines = [f"{title(axes)}: {cache_line(report.cache)}"]
    warnings: list[str] = []
    grouped = report.grouped
    for kind, heading in _GROUPS:
        items = [g for g in grouped if (g.first if isinstance(g, StateGroup) else g).kind == kind]
        if items:
            lines.append(f"{heading}:")
        for item in items:
            if isinstance(item, StateGroup):  # alike States: one line, said once
                lines.append("- " + state_line(item.first, item.state_type, n,
                                               group_head(item)))
                warnings.extend(state_warnings(item.first, item.state_type))
            elif kind is Kind.ARGUMENT:
                lines.append("- " + argument_line(item, n))
                warnings.extend(argument_warnings(item))
            elif kind is Kind.STATE:
                state_type = state_types.get(item.label, "State")
                lines.append("- " + state_line(item, state_type, n))
                warnings.extend(state_warnings(item, state_type))
            else:
                lines.append("- " + output_line(item))
    if report.keys is not None:
        lines.extend(key_line(k.label, report.keys.axis_size) for k in report.keys.entries)
    retrace = retrace_warning(report.cache, report.mapping)
    if retrace is not None:
        warnings.append(retrace)
    if warnings:
        lines.append("Watch out:")
        lines.extend("! " + w for w in warnings)
    return lines
