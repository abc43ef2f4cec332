"""Every phrase of an exercise (``vmapviz.exercise``): prompts, hints, verdicts, buttons.

The one place the exercise's words are made, from the records' fields (as
:mod:`vmapviz.inspection.words` is for every other view, whose reasons it reuses), so
a verdict cites the same reason ``explain()`` gives.

>>> from vmapviz.records import AxisRecord, Kind, Rule
>>> count = AxisRecord(Kind.STATE, 'count', 'f32[4]', 'f32[]', ((4,),), ((),), ('float32',),
...                    (False,), 0, 0, Rule.FILTER, Rule.SAME_AXIS, True,
...                    filter_in="OfType(<class 'vmapviz.ShortTermState'>)")
>>> state_batched_text(count, 4)
'count is batched: state_in_axes {0: OfType(ShortTermState)} matched (axes record).'
"""

from __future__ import annotations

from typing import Any

from . import words

__all__ = [
    "KINDS_TEXT",
    "UI_TEXT",
    "bad_ask",
    "batched_states_prompt",
    "cannot_run",
    "exercise_title",
    "failed_call",
    "field_not_for",
    "key_choice",
    "lane_key_prompt",
    "lane_key_text",
    "lane_range",
    "no_output",
    "no_random_state",
    "no_state",
    "no_such",
    "no_written_state",
    "nothing_asked",
    "output_shape_prompt",
    "output_shape_text",
    "retraces_prompt",
    "retraces_text",
    "shape_text",
    "state_after_prompt",
    "state_after_text",
    "state_batched_text",
    "static_note",
    "unknown_choices",
    "unreadable",
    "verdict_text",
]

#: What each question kind asks, for error messages and the docs.
KINDS_TEXT = {
    "batched_states": "which States are batched",
    "output_shape": "the shape of an output",
    "state_shape_after": "the type of a State after the call",
    "lane_key": "which key a lane draws from",
    "retraces": "whether the call retraces",
}

#: The words of the exercise widget's controls (sent to the browser as one dict).
UI_TEXT = {
    "heading": "Predict, then check",
    "intro": ("Answer before you look: Check (or Enter) tells you whether you are right, "
              "and why. Show the call when you are done."),
    "check": "Check",
    "reveal": "Show the call",
    "revealed": "The call is shown below.",
    "run": "Run it for real (changes States)",
    "ran": "Ran the call for real; its report is the Inspector's last entry.",
    "right": "Right.",
    "wrong": "Not quite.",
    "reads_as": "reads as {shape}",
    "unreadable": "not a shape yet",
    "progress": "{checked} of {total} checked, {right} right",
    "pick_one": "Pick one first.",
    "type_first": "Type a shape first.",
}

_SHAPE_HINT = "Type a shape: (a, b), a,b or f32[a,b]."


def exercise_title(title: str) -> str:
    """``Predict, then check: vmap2 of Counter over 4 lanes``."""
    return f"{UI_TEXT['heading']}: {title}"


def static_note() -> str:
    """What the static page (no kernel) says under the questions."""
    return ("Run this notebook with a kernel to answer: the answers are checked there and "
            "are not stored in this page.")


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python prints a tuple: ``(4, 3)``, ``(4,)``, ``()``."""
    return repr(tuple(shape))


def key_choice(i: int) -> str:
    """``key 3``: one key of a split, as a choice."""
    return f"key {i}"


# ------------------------------------------------------------------ prompts


def batched_states_prompt() -> tuple[str, str]:
    """The prompt and hint of the batched-States question."""
    prompt = ("Which States are batched, that is, enter the map on an axis so that each lane "
              "reads its own slice? Tick every one that is.")
    return prompt, "Check with none ticked if you think no State is batched."


def output_shape_prompt(label: str) -> tuple[str, str]:
    """The prompt and hint of an output's shape question."""
    return f"What is the shape of {label} after the call?", _SHAPE_HINT


def state_after_prompt(label: str, before: str) -> tuple[str, str]:
    """The prompt and hint of a State's type-after question."""
    return (f"State {label} is {before} before the call. What is its shape after the call?",
            _SHAPE_HINT)


def lane_key_prompt(label: str, lane: int, axis_size: int) -> str:
    return (f"The RandomState {label} splits its key with split(key, {axis_size + 1}) into "
            f"keys 0 to {axis_size}. Which key does lane {lane} draw from?")


def retraces_prompt(key: str, entries: int) -> str:
    cached = "nothing cached yet" if entries == 0 else (
        f"{entries} signature{'s' if entries != 1 else ''} cached so far")
    return (f"This call has the signature {key} ({cached}). Does it trace the function again "
            "(a retrace), instead of reusing a cached trace?")


# ------------------------------------------------------------------ verdicts


def verdict_text(correct: bool, lines: list[str], given: str | None = None) -> str:
    """``Right. <why>`` or ``Not quite (you answered (4, 3)). <why>``."""
    head = UI_TEXT["right"] if correct else UI_TEXT["wrong"]
    if given is not None and not correct:
        head = f"{head[:-1]} (you answered {given})."
    return " ".join([head, *lines])


def state_batched_text(e: Any, axis_size: int) -> str:
    """Why a State is or is not batched, citing the axes record."""
    batched = e.axis_in is not None and not e.random
    verb = "is batched" if batched else "is not batched"
    return f"{e.label} {verb}: {words.reason_in(e, axis_size)} (axes record)."


def unknown_choices(given: list[str], known: list[str]) -> str:
    names = ", ".join(repr(g) for g in given)
    return (f"{names} {'is' if len(given) == 1 else 'are'} not a State of this call; its "
            f"States are {words.names_text(known, most=len(known))}.")


def output_shape_text(e: Any, axis_size: int) -> str:
    """An output's type and where its batch axis comes from, citing the axes record."""
    if e.axis_out is None:
        return (f"{e.label} is {e.type}: it is the same in every lane and leaves unbatched, "
                "as one lane computes it (axes record).")
    return (f"{e.label} is {e.type}: each lane computes {e.lane_type}, and the {axis_size} "
            f"lanes are stacked on axis {e.axis_out} ({words.reason_out(e, axis_size)}; "
            "axes record).")


def state_after_text(w: Any, e: Any, axis_size: int) -> str:
    """A State's type after the call, citing the write-back record (and the axes record's
    reason for the axis it is written back on)."""
    why = words.reason_out(e, axis_size) if e is not None else ""
    if w.after == w.before:
        head = f"{w.label} stays {w.after}"
    else:
        head = f"{w.label} becomes {w.after} (it was {w.before})"
    return f"{head}: {why} (write-back record)." if why else f"{head} (write-back record)."


def lane_key_text(k: Any, lane: int, axis_size: int) -> str:
    """Which key a lane draws from, with its raw data, citing the keys record."""
    return (f"Lane {lane} draws from key {lane + 1}: {words.key_text(k.lane_keys[lane])}. "
            f"{words.key_line(k.label, axis_size).removeprefix('Random keys: ')[:-1]} "
            "(keys record).")


def retraces_text(cache: Any) -> str:
    """Whether the call retraces and why, citing the cache record."""
    if cache.hit:
        return (f"No retrace: the signature {cache.key} is in the cache, so the cached trace "
                "is reused (cache record).")
    if cache.first_call:
        return "It retraces: it is the first call, nothing is cached yet (cache record)."
    return f"It retraces: {words.miss_reason(cache)} (cache record)."


def unreadable(text: str, what: str) -> str:
    """An answer that could not be read."""
    if what == "shape":
        return f"Could not read {text!r} as a shape. {_SHAPE_HINT}"
    return f"Could not read {text!r}: pick one of {what}."


# ------------------------------------------------------------------ errors


def bad_ask(what: Any, detail: str = "") -> str:
    """The ValueError for an ``ask=`` item that is not a question kind (or not for this
    call), naming the valid kinds."""
    kinds = ", ".join(f"{k!r} ({v})" for k, v in KINDS_TEXT.items())
    head = f"exercise: cannot ask {what!r}" + (f": {detail}" if detail else "")
    return f"{head}. The questions are {kinds}."


def no_such(what: str, name: Any, known: list) -> str:
    """``no output 'out 7'; this call has output 0, output 1``."""
    shown = ", ".join(str(k) for k in known) or "none"
    return f"this call has no {what} {name!r} (it has: {shown})"


def no_output() -> str:
    return "this call returns no output"


def no_random_state() -> str:
    return "this call splits no random key (no RandomState is used)"


def no_written_state() -> str:
    return "this call writes no State"


def no_state() -> str:
    return "this call reads or writes no State"


def lane_range(lane: Any, axis_size: int) -> str:
    return f"lane {lane!r} is not a lane of this call (0 to {axis_size - 1})"


def field_not_for(kind: str, fields: list[str], allowed: tuple[str, ...]) -> str:
    takes = ", ".join(allowed) if allowed else "nothing"
    return f"{kind!r} takes {takes}, not {', '.join(fields)}"


def nothing_asked() -> str:
    return "ask for at least one question, or leave ask out for the default set"


def failed_call(title: str) -> str:
    return f"{title}: the call failed, so there is nothing to ask about"


def cannot_run() -> str:
    return ("exercise: this exercise cannot run its call for real (made with allow_run=False, "
            "or an argument is a jax.ShapeDtypeStruct, which has no values).")
