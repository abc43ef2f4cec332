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

import re
from typing import Any

from ..records import (
    AxisRecord,
    BatchingKind,
    Change,
    Delta,
    Difference,
    KeySource,
    Kind,
    Rule,
)
from ._groups import StateGroup, state_pattern

__all__ = [
    "axis_text",
    "batching_head",
    "batching_lines",
    "batching_text",
    "comparison_lines",
    "diagram_in",
    "diagram_out",
    "difference_text",
    "entry_title",
    "explain_lines",
    "failed_heading",
    "failed_title",
    "filter_text",
    "group_head",
    "key_text",
    "lane_texts",
    "miss_reason",
    "pitfall_badge",
    "pitfall_text",
    "reason",
    "reason_in",
    "reason_out",
    "sample_text",
    "stage_caption",
    "stage_title",
    "title",
    "types_text",
    "values_line",
    "with_values",
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


_CLASS_REPR = re.compile(r"<class '(?:[\w.]*\.)?(\w+)'>")


def filter_text(flt: str | None) -> str:
    """A filter's repr as it reads in a sentence: classes by their name.

    >>> filter_text("OfType(<class 'vmapviz.ShortTermState'>)")
    'OfType(ShortTermState)'
    """
    return _CLASS_REPR.sub(r"\1", flt or "")


def _filter(axis: Any, flt: str | None) -> str:
    return f"{{{axis}: {filter_text(flt)}}}"


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


def number_text(v: Any) -> str:
    """One recorded number as numpy prints it: ``1.``, ``0.5``, ``3``, ``True``."""
    if isinstance(v, (bool, int)):
        return str(v)
    text = f"{v:.6g}"
    return text + "." if text.lstrip("-").isdigit() else text


def sample_text(samples: tuple) -> str:
    """A lane's recorded value(s): ``[0. 1. 2.]``, ``1.5``, ``[0. 1. ... (64 of 300)]``."""
    parts = []
    for s in samples:
        nums = " ".join(number_text(v) for v in s.values)
        if not s.shape:
            parts.append(nums)
        elif s.truncated:
            parts.append(f"[{nums} ... ({len(s.values)} of {s.total})]")
        else:
            parts.append(f"[{nums}]")
    return ", ".join(parts)


def values_line(values: Any, lane: int, random: bool = False, lanes: int | None = None) -> str:
    """What lane ``lane`` read and produced of one entry: ``lane 2 reads 1., writes 2.``
    (``random``: a RandomState, whose lane draws from a key and which keeps another;
    ``lanes``: how many lanes were recorded)."""
    if lanes is not None and lane >= lanes:
        return f"lane {lane}: values not recorded (only the first {lanes} lanes)"
    parts = []
    if values.read(lane):
        parts.append(f"{'draws from key' if random else 'reads'} {sample_text(values.read(lane))}")
    if values.wrote(lane):
        parts.append(f"{'the State keeps key' if random else 'writes'} "
                     f"{sample_text(values.wrote(lane))}")
    return f"lane {lane} " + ", ".join(parts) if parts else f"lane {lane}: -"


def with_values(texts: list[str], values: Any, lane: int, lanes: int) -> list[str]:
    """``lane_texts`` with the lane's recorded values appended (``= [0. 1.]``)."""
    if values is None or lane >= lanes:
        return texts
    reads, writes = texts
    if values.read(lane) and reads != "-":
        reads += f" = {sample_text(values.read(lane))}"
    if values.wrote(lane) and writes != "-":
        writes += f" = {sample_text(values.wrote(lane))}"
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


def cache_line(cache: Any, dry_run: bool = False) -> str:
    if dry_run:
        would = ("hit the cache, no retrace" if cache.hit
                 else f"trace it ({miss_reason(cache)})")
        return (f"dry run: nothing ran and no State changed (signature {cache.key}); a real "
                f"call would {would}.")
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


_KEY_FROM = {
    KeySource.CAPTURED: "a key captured from outside the function",
    KeySource.ARGUMENT: "{label}, which is broadcast (in_axes None)",
    KeySource.STATE: ("the key in State {label}, which no state_in_axes filter batches (every "
                      "lane reads the same key)"),
    KeySource.SAME_IN_LANES: "{label}, which is mapped, but every lane got the same key",
    KeySource.FIXED_SEED: "a key made inside the function from a fixed seed",
    KeySource.OTHER: "a key that is the same in every lane",
}

_KEY_FIX = {
    KeySource.ARGUMENT: ("Pass one key per lane (jax.random.split(key, n), mapped with "
                         "in_axes 0), use a RandomState, or fold in jax.lax.axis_index."),
    KeySource.STATE: ("Keep the key in a RandomState (split into one key per lane for you), "
                      "or fold in jax.lax.axis_index."),
    KeySource.SAME_IN_LANES: ("Split the key (jax.random.split(key, n)) instead of repeating "
                              "one key in every lane."),
}


def pitfall_text(p: Any) -> str:
    """A :class:`~vmapviz.records.Pitfall` as one warning: the draw, where its key comes
    from, the per-lane values it reaches, and what to do.

    >>> from vmapviz.records import KeySource, Pitfall
    >>> print(pitfall_text(Pitfall('0', 'normal(key)', 'jit', KeySource.ARGUMENT,
    ...                            'argument key', 0, ('output 0',))))
    normal(key) draws from argument key, which is broadcast (in_axes None): every lane draws the same numbers, and they reach output 0, which varies by lane. Pass one key per lane (jax.random.split(key, n), mapped with in_axes 0), use a RandomState, or fold in jax.lax.axis_index.
    """
    where = _KEY_FROM[p.source].format(label=p.label)
    if p.source is KeySource.OTHER and p.label is not None:
        where += f" ({p.label})"
    reached = [*p.outputs, *(f"State {s}" for s in p.states)]
    names = reached[0] if len(reached) == 1 else (
        ", ".join(reached[:-1]) + " and " + reached[-1])
    varies = "varies" if len(reached) == 1 else "vary"
    fix = _KEY_FIX.get(p.source, "Pass one key per lane (split it and map it), use a "
                                 "RandomState, or fold in jax.lax.axis_index.")
    return (f"{p.name} draws from {where}: every lane draws the same numbers, and they reach "
            f"{names}, which {varies} by lane. {fix}")


def pitfall_badge() -> str:
    """The badge the axis diagram puts on the argument or State a pitfall's key comes from."""
    return "\u26a0 same key in every lane"


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


def state_warnings(e: AxisRecord, state_type: str, dry_run: bool = False) -> list[str]:
    """What to watch out for in a State's write-back (``dry_run``: said of a call that
    would run)."""
    if e.rule_out is not Rule.POLICY:
        return []
    was, scattered, gained = (("would be", "would scatter", "would gain") if dry_run
                              else ("was", "scattered", "gained"))
    out = [(f"{e.label} ({state_type}) {was} written with a per-lane value that no "
           f"state_out_axes filter declared; the policy '{e.policy}' {scattered} it onto a "
           "new axis 0. Declare it in state_out_axes to make this explicit.")]
    if e.axis_in is None and e.rule_in is not Rule.WRITTEN_ONLY:
        if e.policy == "auto":
            out.append(
                f"{e.label} is read and written: it {gained} the batch axis on this call. "
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
    if report.error is not None:
        return failed_lines(report)
    axes, n = report.axes, report.axes.axis_size
    state_types = {s.label: s.type for s in report.discovery.states}
    lines = [f"{title(axes)}: {cache_line(report.cache, report.dry_run)}"]
    after = {w.label: w for w in report.write_back.entries}
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
                warnings.extend(state_warnings(item.first, item.state_type, report.dry_run))
            elif kind is Kind.ARGUMENT:
                lines.append("- " + argument_line(item, n))
            elif kind is Kind.STATE:
                state_type = state_types.get(item.label, "State")
                lines.append("- " + state_line(item, state_type, n)
                             + becomes_text(after.get(item.label), report.dry_run))
                warnings.extend(state_warnings(item, state_type, report.dry_run))
            else:
                lines.append("- " + output_line(item))
    lines.extend(batching_lines(report))
    if report.keys is not None:
        lines.extend(key_line(k.label, report.keys.axis_size) for k in report.keys.entries)
    warnings.extend(pitfall_text(p) for p in getattr(report, "pitfalls", ()))
    retrace = retrace_warning(report.cache, report.mapping)
    if retrace is not None:
        warnings.append(retrace)
    if warnings:
        lines.append("Watch out:")
        lines.extend("! " + w for w in warnings)
    return lines


def becomes_text(written: Any, dry_run: bool = False) -> str:
    """`` It becomes f32[5].`` when a State's type changes at write-back (``''`` if not)."""
    if written is None or written.after == written.before:
        return ""
    return f" It {'would become' if dry_run else 'becomes'} {written.after}."


_STAGE_NAMES = {"cache": "the cache lookup", "trace": "tracing (State discovery and axes)",
                "execution": "execution", "write_back": "write-back"}


def failed_lines(report: Any) -> list[str]:
    """``explain()`` of a call that raised: where, why, and what the stages found."""
    err = report.error
    stage = _STAGE_NAMES.get(err.failed_stage, err.failed_stage)
    lines = [(f"{report.mapping}: the call failed during {stage} with {err.error_type}; "
              "every State keeps its value from before the call.")]
    if report.cache is not None:
        lines.append(f"Cache: {cache_line(report.cache)}")
    if report.discovery is not None and report.discovery.states:
        lines.append("States found:")
        lines.extend(f"- {s.label} ({s.type} {state_type_text(s)}, "
                     f"{_touched(s)})" for s in report.discovery.states)
    lines.append("Error:")
    lines.extend("! " + line for line in err.message.splitlines() if line.strip())
    return lines


def failed_title(report: Any) -> str:
    """The entry selector's name for a call that raised: ``call 2, failed: BatchAxisError``."""
    call = report.cache.call if report.cache is not None else 0
    head = f"call {call}, " if call > 0 else ""
    return f"{head}failed: {report.error.error_type}"


def failed_heading(report: Any) -> str:
    """The States table's title for a call that raised."""
    stage = _STAGE_NAMES.get(report.error.failed_stage, report.error.failed_stage)
    return f"States found before {report.error.error_type} (during {stage})"


def state_type_text(s: Any) -> str:
    """A discovered State's type: ``f32[3]``."""
    short = {"float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64",
             "uint32": "u32", "bool": "bool", "float16": "f16", "bfloat16": "bf16"}
    dtype = short.get(s.dtype, s.dtype)
    return f"{dtype}[{','.join(str(d) for d in s.shape)}]"


def _touched(s: Any) -> str:
    return "read and written" if s.read and s.written else ("read" if s.read else "written")


# ------------------------------------------------------------ what vmap did

#: Kinds of batching change in the order ``explain()`` lists them (most telling first).
_BATCHING_ORDER = (
    BatchingKind.LOOP_CARRIES_BATCH, BatchingKind.BRANCHES_SELECTED,
    BatchingKind.BATCH_DIM_ADDED, BatchingKind.BROADCAST_INSERTED,
    BatchingKind.PER_LANE_RANDOM, BatchingKind.COLLECTIVE, BatchingKind.AXIS_MOVED,
    BatchingKind.BODY_BATCHED, BatchingKind.INSERTED, BatchingKind.REPLACED,
    BatchingKind.FAILED, BatchingKind.PARAMS_CHANGED,
)
#: At most this many grouped changes are listed by ``explain()``; the rest are counted.
MAX_BATCHING_LINES = 6


def _names_text(names: tuple[str, ...]) -> str:
    """A few names as ``a, b``; many: State paths folded into a pattern (``layers.*.b``)."""
    names = tuple(dict.fromkeys(names))
    dotted = [n for n in names if "." in n]
    if len(names) > 3 and len(dotted) > 1 and len({n.count(".") for n in dotted}) == 1:
        names = (state_pattern(dotted), *(n for n in names if "." not in n))
    more = f", ... ({len(names) - 3} more)" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _primitives_text(names: tuple[str, ...]) -> str:
    return " and ".join(dict.fromkeys(names))


def _params_text(change: Any, example: bool = False) -> str:
    """``axes (1,) -> (2,)`` for the first two rewritten parameters (``e.g.`` when a group's
    values differ)."""
    changed = change.rewritten
    shown = "; ".join(f"{name} {before} -> {after}" for name, before, after in changed[:2])
    more = f"; and {len(changed) - 2} more" if len(changed) > 2 else ""
    return ("e.g. " if example else "") + shown + more


def batching_head(change: Any) -> str:
    """``add`` or, for a call, ``jit _normal``: what an equation is called in words."""
    return f"{change.primitive} {change.call}" if change.call else change.primitive


def batching_text(change: Any, times: int = 1, operands: str | None = None,
                  example: bool = False) -> str:
    """What ``jax.vmap`` did to one equation (a
    :class:`~vmapviz.records.BatchingChange`), in words; ``times`` alike equations say it
    once (``add x300: ...``), ``operands`` then names their inputs (a pattern), and
    ``example`` marks parameter values as one member's.

    >>> from vmapviz.records import BatchingChange, BatchingKind
    >>> batching_text(BatchingChange('1', 'add', BatchingKind.BROADCAST_INSERTED, ('bias',),
    ...                              ('broadcast_in_dim',)))
    'add: bias (shared by every lane) got a broadcast_in_dim to meet the batched operand'
    """
    ops = operands if operands is not None else _names_text(change.operands)
    head = batching_head(change) + (f" x{times}" if times > 1 else "")
    return f"{head}: {_batching_body(change, ops, example)}"


def _batching_body(c: Any, ops: str, example: bool) -> str:
    k, added, params = c.kind, _primitives_text(c.inserted), _params_text(c, example)
    also = f"; {added} added" if c.inserted else ""
    if k is BatchingKind.BROADCAST_INSERTED:
        return f"{ops} (shared by every lane) got a {added} to meet the batched operand"
    if k is BatchingKind.BATCH_DIM_ADDED:
        axis = c.out_axes[0] if c.out_axes else None
        who = "both operands vary by lane" if len(c.operands) == 2 else f"{ops} vary by lane"
        return f"gained batch dimension {axis} ({who}): {params}{also}"
    if k is BatchingKind.LOOP_CARRIES_BATCH:
        return f"the loop now carries the batch axis in its carry ({ops}){also}"
    if k is BatchingKind.BRANCHES_SELECTED:
        picks = "select_n" if "select_n" in c.inserted else added
        return (f"the branch taken differs by lane ({ops}), so every branch runs and {picks} "
                "picks each lane's result")
    if k is BatchingKind.PER_LANE_RANDOM:
        return f"works on per-lane keys ({ops}): every lane draws its own random numbers"
    if k is BatchingKind.COLLECTIVE:
        return (f"the collective over the mapped axis now works across lanes ({ops})"
                + (f": {params}" if c.rewritten else "") + also)
    if k is BatchingKind.AXIS_MOVED:
        return f"{added} moved the batch axis of {ops}"
    if k is BatchingKind.BODY_BATCHED:
        return f"its body runs on the batched operands ({ops}){also}"
    if k is BatchingKind.INSERTED:
        return f"{ops} got a {added} to line up its batch axis with the other operands"
    if k is BatchingKind.REPLACED and c.inserted.count(c.primitive) > 1:
        return (f"runs {c.inserted.count(c.primitive)} times, once per lane ({added}, on "
                f"{ops})")
    if k is BatchingKind.REPLACED:
        return f"replaced by {added} (on {ops})"
    if k is BatchingKind.PARAMS_CHANGED and c.primitive == "dot_general":
        return (f"the batch axis of its batched operand ({ops}) rides along as an extra free "
                f"dimension: {params}{also}")
    if k is BatchingKind.PARAMS_CHANGED:
        return f"rewritten for the batch axis ({ops}): {params}{also}"
    if k is BatchingKind.UNCHANGED:
        return f"runs as it is, on values with the batch axis ({ops})"
    if k is BatchingKind.FAILED:
        return f"could not be batched on its own ({c.error})"
    return "not analysed (past the analysis budget)"


def _batching_groups(changes: tuple) -> dict[tuple, list]:
    """Changes grouped by what the words say of them (the operands aside)."""
    groups: dict[tuple, list] = {}
    for c in changes:
        key = (c.primitive, c.call, c.kind, c.inserted, tuple(p[0] for p in c.rewritten))
        groups.setdefault(key, []).append(c)
    return groups


def batching_lines(report: Any) -> list[str]:
    """The "What vmap did:" section of ``explain()`` (``[]`` when nothing was batched):
    alike changes grouped (``dot_general x300: ...``), the most telling kinds first, at
    most :data:`MAX_BATCHING_LINES`, then the equations that run unchanged and those not
    analysed, counted."""
    changes = tuple(getattr(report, "batching", ()))
    if not changes:
        return []
    rank = {k: i for i, k in enumerate(_BATCHING_ORDER)}
    told = sorted((g for g in _batching_groups(changes).values() if g[0].kind in rank),
                  key=lambda g: (rank[g[0].kind], int(g[0].path)))
    lines = ["What vmap did:"]
    for g in told[:MAX_BATCHING_LINES]:
        ops = _names_text(tuple(o for c in g for o in c.operands))
        example = len({c.rewritten for c in g}) > 1
        lines.append("- " + batching_text(g[0], len(g), ops, example) + ".")
    rest = told[MAX_BATCHING_LINES:]
    if rest:
        counts = ", ".join(f"{batching_head(g[0])} x{len(g)}" for g in rest[:4])
        lines.append(f"- ... and {len(rest)} more ({counts}{', ...' if len(rest) > 4 else ''}).")
    for kind in (BatchingKind.UNCHANGED, BatchingKind.NOT_ANALYSED):
        mine = [c for c in changes if c.kind is kind]
        if mine:
            lines.append(_counted_line(mine, other=bool(told)))
    return lines


def _counted_line(mine: list, other: bool) -> str:
    """``- 600 other equations (tanh x300, mul x300) run as they are, ...``."""
    counts: dict[str, int] = {}
    for c in mine:
        counts[batching_head(c)] = counts.get(batching_head(c), 0) + 1
    names = ", ".join(f"{h} x{n}" if n > 1 else h for h, n in list(counts.items())[:5])
    names += ", ..." if len(counts) > 5 else ""
    noun = "equation" if len(mine) == 1 else "equations"
    if mine[0].kind is BatchingKind.NOT_ANALYSED:
        return f"- {len(mine)} {noun} ({names}) not analysed (past the analysis budget)."
    verb = "runs as it is" if len(mine) == 1 else "run as they are"
    noun = f"other {noun}" if other else noun
    return f"- {len(mine)} {noun} ({names}) {verb}, on values with the batch axis."


# ------------------------------------------------------------------ stages

#: The stages of a mapped call, in the order they run (the records' ``stage`` names).
STAGES = ("cache", "discovery", "axes", "keys", "execution", "write_back")

#: How each transform runs its lanes.
_RUNS_WITH = {"vmap2": "jax.vmap", "pmap2": "jax.pmap", "shard_map": "jax.shard_map"}

#: How an input entering on an axis got it, said after "by".
_BY = {Rule.IN_AXES: "in_axes", Rule.KEYWORD: "in_axes (keyword)",
       Rule.FILTER: "state_in_axes", Rule.AUTO_PER_LANE: "policy 'auto'"}


def stage_title(stage: str) -> str:
    """What the stage stepper calls a stage.

    >>> stage_title('write_back')
    'write-back'
    """
    if stage not in STAGES:
        raise ValueError(f"no stage {stage!r}; the stages are {', '.join(STAGES)}.")
    return stage.replace("_", "-")


def names_text(labels: Any, most: int = 3) -> str:
    """Labels joined with commas, at most ``most`` of them.

    >>> names_text(['count', 'W', 'b'])
    'count, W, b'
    >>> names_text([f'layers.{i}' for i in range(600)])
    'layers.0, layers.1, layers.2 and 597 more'
    """
    labels = list(labels)
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _cache_words(report: Any) -> str:
    cache = report.cache
    if cache.hit:
        return (f"hit, signature {cache.key} seen before; no retrace "
                f"({_plural(cache.traces, 'trace')} so far)")
    if cache.first_call:
        traced = "traced once" if cache.traces == 1 else f"traced ({cache.traces} traces so far)"
        return f"miss, first call; {traced} (signature {cache.key})"
    return (f"miss, {miss_reason(cache)}; traced again (signature {cache.key}; "
            f"{_plural(cache.traces, 'trace')} so far)")


def _discovery_words(report: Any) -> str:
    states = report.discovery.states
    if not states:
        return "no State read or written"
    read = sum(s.read for s in states)
    written = sum(s.written for s in states)
    return (f"{_plural(read, 'State')} read, {written} written: "
            f"{names_text([s.label for s in states])}")


def _axis_clause(e: AxisRecord) -> str:
    """What the map does with one input, after its name (the key that groups names)."""
    if e.random:
        return "split into one key per lane"
    if e.rule_in is Rule.WRITTEN_ONLY:
        return "not read (written only)"
    if e.axis_in is None:
        return "shared"
    return f"batched on axis {e.axis_in} by {_BY.get(e.rule_in, str(e.rule_in))}"


def _axes_words(report: Any) -> str:
    clauses: dict[str, list[str]] = {}
    for e in report.axes.entries:
        if e.kind is not Kind.OUTPUT:
            clauses.setdefault(_axis_clause(e), []).append(e.label)
    if not clauses:
        return "no argument or State enters the map"
    return "; ".join(f"{names_text(labels)} {clause}" for clause, labels in clauses.items())


def _keys_words(report: Any) -> str:
    keys = report.keys
    if keys is None:
        return "no RandomState used, no key split"
    labels = [k.label for k in keys.entries]
    each = " each" if len(labels) > 1 else ""
    keeps = "the States keep" if len(labels) > 1 else "the State keeps"
    return (f"{names_text(labels)} split into {keys.axis_size + 1}{each}: lane i draws from "
            f"key i+1, {keeps} key 0")


def _execution_words(report: Any) -> str:
    runs = _RUNS_WITH.get(report.transform, report.transform)
    n = report.axes.axis_size
    head = (f"compiled {runs} over {n} lanes" if report.execution.compiled
            else f"ran {runs} over {n} lanes (not wrapped in jax.jit)")
    total = len(report.elementwise_jaxpr.jaxpr.eqns)
    varying = sum(any(f.outs) for f in report.flags["elementwise"].eqns[:total])
    verb = "varies" if varying == 1 else "vary"
    text = f"{head}; {varying} of {_plural(total, 'equation')} {verb} by lane"
    outputs = report.execution.outputs
    return text + (f"; returned {names_text(outputs)}" if outputs else "")


def _write_words(w: Any, e: AxisRecord | None) -> str:
    if e is not None and e.rule_out is Rule.RANDOM_KEEP:
        return f"{w.label} keeps key 0, {w.before} -> {w.after}"
    if w.axis is None:
        return f"{w.label} written back unbatched, {w.before} -> {w.after}"
    return f"{w.label} written back on axis {w.axis}, {w.before} -> {w.after}"


def _write_back_words(report: Any, most: int = 3) -> str:
    writes = report.write_back.entries
    if not writes:
        return "no State written"
    entries = {e.label: e for e in report.axes.of(Kind.STATE)}
    text = "; ".join(_write_words(w, entries.get(w.label)) for w in writes[:most])
    return text + (f"; {len(writes) - most} more written back" if len(writes) > most else "")


_STAGE_WORDS = {"cache": _cache_words, "discovery": _discovery_words, "axes": _axes_words,
                "keys": _keys_words, "execution": _execution_words,
                "write_back": _write_back_words}


def stage_caption(report: Any, stage: str) -> str:
    """One line: what ``stage`` decided for this call, headed by the stage's title.

    >>> import jax.numpy as jnp
    >>> import vmapviz
    >>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
    >>> def step(d):
    ...     count.value = count.value + d
    ...     return count.value
    >>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
    >>> report = f.inspect(jnp.ones(4))
    >>> stage_caption(report, 'cache')
    'cache: miss, first call; traced once (signature (f32[4]))'
    >>> stage_caption(report, 'write_back')
    'write-back: count written back on axis 0, f32[4] -> f32[4]'
    """
    return f"{stage_title(stage)}: {_STAGE_WORDS[stage](report)}"


# ------------------------------------------------------------------ comparing two calls

#: Inspector entry labels are cut to about this many characters.
ENTRY_TITLE_WIDTH = 60
_WEAK = " (weak: a Python scalar)"
_TYPE_NOTE = re.compile(r" \([A-Za-z_][\w.]*\)")  # a static value's ``(int)``


def _short(text: str) -> str:
    return _TYPE_NOTE.sub("", text.replace(_WEAK, " weak"))


def short_difference(d: Difference) -> str:
    """One difference behind a cache miss in a few words (for entry labels).

    >>> short_difference(Difference(Change.ARGUMENT, 'argument x', 'f32[3]', 'f32[4]'))
    'x f32[4] -> f32[3]'
    >>> short_difference(Difference(Change.STATIC, None, '1=3 (int)', '1=2 (int)'))
    'static 1=2 -> 1=3'
    """
    if d.change is Change.FIRST_CALL:
        return "first call"
    if d.change is Change.STRUCTURE:
        return "argument structure"
    if d.change is Change.STATIC:
        return f"static {_short(d.before)} -> {_short(d.now)}"
    if d.name is None:
        return "a State's type"
    name = d.name.removeprefix("argument ")
    if d.change is Change.STATE_FILTERS:
        return f"{name} tag {d.detail}" if d.detail else f"{name} filters {d.before} -> {d.now}"
    return f"{name} {_short(d.before)} -> {_short(d.now)}"


def _clip(text: str, width: int) -> str:
    width = max(width, 8)
    return text if len(text) <= width else text[: width - 3] + "..."


def _fit(head: str, items: list[str], width: int) -> str:
    """``head`` and as many ``items`` as fit in ``width``, then ``+N more``."""
    shown: list[str] = []
    for i, item in enumerate(items):
        rest = len(items) - i - 1
        more = f", +{rest} more" if rest else ""
        if shown and len(head + ", ".join([*shown, item]) + more) > width:
            break
        shown.append(item)
    hidden = len(items) - len(shown)
    more = f", +{hidden} more" if hidden else ""
    return head + _clip(", ".join(shown), width - len(head) - len(more)) + more


def entry_title(cache: Any, mapping: str) -> str:
    """What the Inspector's entry selector calls a call: its number, hit or miss, and why.

    Without a call number (``cache.call`` 0): the mapping and its signature.

    >>> from vmapviz.records import CacheRecord
    >>> miss = (Difference(Change.ARGUMENT, 'argument x', 'f32[3]', 'f32[4]'),)
    >>> entry_title(CacheRecord('step', '(f32[3])', False, 2, 2, miss, call=3), 'step')
    'call 3, miss: x f32[4] -> f32[3]'
    >>> entry_title(CacheRecord('step', '(f32[3])', True, 2, 2, (), call=4), 'step')
    'call 4, hit: step(f32[3])'
    >>> entry_title(CacheRecord('step', '(f32[3])', True, 2, 2, ()), 'step')
    'step(f32[3])'
    """
    key = cache.key
    signature = f"{mapping}{key}" if key.startswith("(") else f"{mapping} {key}"
    if cache.call <= 0:
        return signature
    head = f"call {cache.call}, "
    if cache.hit:
        return _clip(f"{head}hit: {signature}", ENTRY_TITLE_WIDTH)
    if cache.first_call or not cache.changes:
        what = "first call" if cache.first_call else "miss"
        return _clip(f"{head}{what}: {signature}", ENTRY_TITLE_WIDTH)
    return _fit(f"{head}miss: ", [short_difference(d) for d in cache.changes],
                ENTRY_TITLE_WIDTH)


#: Table titles, column heads and row names of a comparison (``render.compare_html``).
COMPARE_WORDS = {
    "calls": "The two calls",
    "entries": "Arguments, States and outputs that changed",
    "jaxprs": "Jaxprs",
    "kind": "Kind",
    "name": "Name",
    "change": "Change",
    "what": "What",
    "mapping": "mapping",
    "call": "call",
    "lanes": "lanes",
    "signature": "signature",
    "cache": "cache lookup",
    "eqns": "equations (top level)",
    "total": "equations (nested ones too)",
    "nothing": "nothing changed",
}
_FIELDS = {"type": "type", "weak": "weak type", "state_class": "class", "axis_in": "axis in",
           "axis_out": "axis out", "rule_in": "rule in", "rule_out": "rule out",
           "filter_in": "state_in_axes filter", "filter_out": "state_out_axes filter",
           "policy": "policy", "batched": "varies by lane"}
_DELTAS = {Delta.ADDED: "only in b", Delta.REMOVED: "only in a", Delta.CHANGED: "changed"}
_JAXPRS = {"elementwise": "per-element jaxpr", "batched": "batched jaxpr"}


def field_word(field: str) -> str:
    """What a compared field is called: ``axis_in`` -> ``axis in``."""
    return _FIELDS.get(field, field)


def delta_word(delta: Delta) -> str:
    return _DELTAS[delta]


def jaxpr_word(which: str) -> str:
    return _JAXPRS.get(which, which)


def primitive_word(name: str) -> str:
    return f"primitive {name}"


def field_value(change: Any, field: str, side: str) -> str:
    """One compared field of an :class:`~vmapviz.records.EntryChange` on ``side`` ``'a'``
    or ``'b'``, as text (``'-'``: absent)."""
    e = change.a if side == "a" else change.b
    if e is None:
        return "-"
    if field == "state_class":
        value = change.class_a if side == "a" else change.class_b
    else:
        value = getattr(e, field)
    if field in ("axis_in", "axis_out"):
        return axis_text(value)
    if field == "weak":
        return ", ".join("weak" if w else "strong" for w in value) or "-"
    if field in ("filter_in", "filter_out"):
        return "none" if value is None else filter_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


def side_name(c: Any, side: str) -> str:
    """``a (call 1)``; ``a (f, call 1)`` when the two reports are of different mappings."""
    mapping, cache = (c.mapping_a, c.cache_a) if side == "a" else (c.mapping_b, c.cache_b)
    parts = [] if c.same_mapping else [mapping]
    if cache.call > 0:
        parts.append(f"call {cache.call}")
    return f"{side} ({', '.join(parts)})" if parts else side


def comparison_title(c: Any) -> str:
    """``step: a (call 1) vs b (call 3)``, or ``different mappings: a (f) vs b (g)``."""
    pair = f"{side_name(c, 'a')} vs {side_name(c, 'b')}"
    return f"{c.mapping_a}: {pair}" if c.same_mapping else f"different mappings: {pair}"


def cache_outcome(cache: Any) -> str:
    """A cache lookup, hit or miss and why: ``cache miss: traced because ...``."""
    if cache.hit:
        return cache_line(cache)
    return f"{'first call' if cache.first_call else 'cache miss'}: {cache_line(cache)}"


def count_pair(a: int, b: int) -> str:
    """``3`` when both are 3, else ``2 -> 3``."""
    return str(a) if a == b else f"{a} -> {b}"


def entry_change_lines(e: Any, c: Any) -> list[str]:
    """An :class:`~vmapviz.records.EntryChange` as ``- label: what a -> b`` (and, for a
    State whose batching was decided anew, why in each call)."""
    if e.delta is not Delta.CHANGED:
        side = "b" if e.delta is Delta.ADDED else "a"
        have = ", ".join(f"{field_word(f)} {field_value(e, f, side)}" for f in e.fields)
        return [f"- {e.label}: {delta_word(e.delta)} ({have})"]
    what = "; ".join(f"{field_word(f)} {field_value(e, f, 'a')} -> {field_value(e, f, 'b')}"
                     for f in e.fields)
    lines = [f"- {e.label}: {what}"]
    if e.kind is Kind.STATE and (e.batching_changed or e.decision_changed):
        lines.append(f"  why in a: {reason(e.a, c.axis_size_a)}")
        lines.append(f"  why in b: {reason(e.b, c.axis_size_b)}")
    return lines


def jaxpr_line(j: Any) -> str:
    """One jaxpr of a comparison in a line: its sizes, then the primitives whose counts differ.

    >>> from vmapviz.records import JaxprChange, PrimitiveCount
    >>> j = JaxprChange('elementwise', 1, 1, 1, 1, (PrimitiveCount('cos', 0, 1),), False)
    >>> jaxpr_line(j)
    'Per-element jaxpr: 1 equation (1 with nested ones); primitive counts changed: cos: 0 -> 1.'
    """
    name = jaxpr_word(j.which)
    name = name[0].upper() + name[1:]
    noun = "equation" if j.eqns_a == j.eqns_b == 1 else "equations"
    sizes = (f"{count_pair(j.eqns_a, j.eqns_b)} {noun} "
             f"({count_pair(j.total_a, j.total_b)} with nested ones)")
    if j.same_text:
        return f"{name}: the same, {sizes}."
    if not j.primitives:
        return f"{name}: {sizes}; the same primitives (other types or parameters)."
    prims = ", ".join(f"{p.name}: {p.a} -> {p.b}" for p in j.primitives)
    return f"{name}: {sizes}; primitive counts changed: {prims}."


def comparison_lines(c: Any) -> list[str]:
    """The lines of ``Comparison.text()``: the two calls, b's cache lookup, the signature,
    what changed per argument leaf, State and output, then the two jaxprs."""
    lines = [f"Comparing {comparison_title(c)}."]
    lines.append(f"Cache, {side_name(c, 'b')}: {cache_outcome(c.cache_b)}")
    key_a, key_b = c.cache_a.key, c.cache_b.key
    lines.append(f"Signature: the same, {key_a}." if key_a == key_b
                 else f"Signature: {key_a} -> {key_b}.")
    if not c.entries:
        lines.append("Arguments, States and outputs: nothing changed.")
    for kind, heading in _GROUPS:
        items = [e for e in c.entries if e.kind == kind]
        if items:
            lines.append(f"{heading}:")
        for e in items:
            lines.extend(entry_change_lines(e, c))
    lines.extend(jaxpr_line(j) for j in c.jaxprs)
    return lines


# ------------------------------------------------------------------ the saved page

#: Section headings and table columns of the page ``save_html`` writes (``render.page``).
PAGE_WORDS = {
    "contents": "Contents",
    "explain": "The call in words",
    "tables": "Tables",
    "axes": "Axis diagrams",
    "values": "Values per lane",
    "graphs": "Jaxpr graphs",
    "changes": "What changed",
    "kind": "Kind",
    "name": "Name",
    "reads": "Reads",
    "writes": "Writes",
    "same": "The same in every lane",
}
_GRAPH_HEADINGS = {"elementwise": "Per-element jaxpr: what one lane computes",
                   "batched": "Batched jaxpr: the whole mapped call"}


def page_title(report: Any) -> str:
    """The saved page's title: the report's, marked ``(dry run)`` when nothing ran."""
    return f"{report.title} (dry run)" if report.dry_run else report.title


def side_heading(c: Any, side: str, report: Any) -> str:
    """One call's part of a saved comparison: ``a (call 1): vmap2 of step over 4 lanes``."""
    return f"{side_name(c, side)}: {page_title(report)}"


def lane_heading(lane: int) -> str:
    return f"Lane {lane}"


def lanes_note(lanes: tuple[int, ...], axis_size: int) -> str:
    """Which lanes a saved page draws, when not all (``''`` when all).

    >>> lanes_note((0, 15), 16)
    'Drawn: lanes 0 and 15 of 16 (render.axis_svg(report, lane) draws any other).'
    """
    if len(lanes) >= axis_size:
        return ""
    if len(lanes) == 1:
        shown = f"lane {lanes[0]}"
    else:
        shown = "lanes " + ", ".join(str(x) for x in lanes[:-1]) + f" and {lanes[-1]}"
    return f"Drawn: {shown} of {axis_size} (render.axis_svg(report, lane) draws any other)."


def axis_label(title_text: str, lane: int) -> str:
    """What a screen reader says of an axis diagram."""
    return (f"Axis diagram of {title_text}, lane {lane} highlighted: each argument, State "
            "and output outside the map, in one lane, and after the map")


def graph_heading(which: str) -> str:
    return _GRAPH_HEADINGS.get(which, jaxpr_word(which))


def graph_label(which: str, title_text: str) -> str:
    """What a screen reader says of a jaxpr graph."""
    return (f"Graph of the {jaxpr_word(which)} of {title_text}; the values that carry the "
            "batch axis are orange, with a double border (nodes) or a thick line with a double "
            "arrowhead (edges)")


def graph_fallback(reason: str) -> str:
    """Said above a graph's DOT text when Graphviz could not draw it."""
    return (f"This graph is not drawn: {reason} Its Graphviz DOT text follows; any Graphviz "
            "viewer draws it.")


def values_note(values: Any, shown: int) -> str:
    """What a saved page's values tables hold: the cap, the lanes recorded and shown."""
    text = (f"Recorded with inspect(..., values=True): at most {values.cap} elements of each "
            f"array, in lanes 0 to {values.lanes - 1} of {values.axis_size}.")
    if shown < values.lanes:
        text += f" Shown here: lanes 0 to {shown - 1}."
    return text + " A value that is the same in every lane is listed once."


def lane_value_cells(values: Any, lane: int, random: bool = False) -> tuple[str, str]:
    """What lane ``lane`` read and wrote of one entry, as two table cells (``'-'``: nothing).

    >>> from vmapviz.records import LaneValues, Sample
    >>> one = lambda x: (Sample((), 'float32', (x,), 1),)
    >>> lane_value_cells(LaneValues('count', Kind.STATE, (one(0.0),), (one(1.0), one(2.0))), 1)
    ('0.', '2.')
    """
    read, wrote = values.read(lane), values.wrote(lane)
    reads = (("draws from key " if random else "") + sample_text(read)) if read else "-"
    writes = (("the State keeps key " if random else "") + sample_text(wrote)) if wrote else "-"
    return reads, writes
