"""Exercises that check themselves: questions about a mapped call, built from its Report.

:func:`make_questions` reads a :class:`~vmapviz.inspection.Report` (a dry run's, so
nothing runs) and asks what the records decide: which States are batched, the shape of
an output, the type of a State after the call, which key a lane draws from, whether the
call retraces. Each :class:`Question` knows its answer and checks one with
:meth:`Question.check`, which returns a :class:`Verdict` whose explanation cites the
record that decides it. No widgets here: ``vmapviz.widgets`` shows the questions.

>>> from vmapviz import examples
>>> mapping, args, kwargs = examples.get('1.5_counter').build()
>>> report = mapping.inspect(*args, dry_run=True, **kwargs)
>>> [q.id for q in make_questions(report)]
['batched_states', 'output_shape:output 0', 'state_shape_after:count', 'retraces']
>>> q = make_questions(report, ask='batched_states')[0]
>>> q.check([]).explanation
'Not quite. count is batched: state_in_axes {0: OfType(ShortTermState)} matched (axes record).'
>>> q.check(['count']).correct
True
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..records import Kind
from . import _exercise_words as ew

__all__ = ["KINDS", "Ask", "Question", "Verdict", "check_answers", "make_questions",
           "parse_shape"]

#: The question kinds, in the order a default exercise asks them.
KINDS = tuple(ew.KINDS_TEXT)
#: The fields of :class:`Ask` each kind takes.
_FIELDS = {"batched_states": (), "output_shape": ("output",), "state_shape_after": ("state",),
           "lane_key": ("lane", "state"), "retraces": ()}
#: A default exercise asks at most this many questions of one kind.
MOST_PER_KIND = 3
#: A default exercise asks which States are batched only up to this many States.
MOST_STATES = 12
#: Lanes whose key question lists every key (more: key 0, keys around the answer, the last).
ALL_KEYS_UP_TO = 8


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What checking one answer found: right or not, and why (citing a record)."""

    correct: bool
    explanation: str

    def to_json(self) -> dict:
        return {"correct": self.correct, "explanation": self.explanation}


@dataclasses.dataclass(frozen=True)
class Ask:
    """One question to ask, by kind and (optionally) what it is about.

    ``output``: an output's index or label (``output_shape``); ``state``: a State's label
    (``state_shape_after``; ``lane_key``: which RandomState); ``lane``: the lane
    (``lane_key``). Left out: a default exercise's choice.

    >>> Ask('lane_key', lane=2)
    Ask(kind='lane_key', output=None, state=None, lane=2)
    >>> Ask('shapes')
    Traceback (most recent call last):
    ...
    ValueError: exercise: cannot ask 'shapes'. The questions are 'batched_states' (which States are batched), 'output_shape' (the shape of an output), 'state_shape_after' (the type of a State after the call), 'lane_key' (which key a lane draws from), 'retraces' (whether the call retraces).
    """

    kind: str
    output: int | str | None = None
    state: str | None = None
    lane: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _FIELDS:
            raise ValueError(ew.bad_ask(self.kind))
        given = [f for f in ("output", "state", "lane") if getattr(self, f) is not None]
        extra = [f for f in given if f not in _FIELDS[self.kind]]
        if extra:
            raise ValueError(ew.bad_ask(self.kind, ew.field_not_for(self.kind, extra,
                                                                    _FIELDS[self.kind])))

    @classmethod
    def of(cls, item: Any) -> Ask:
        """An ``ask=`` item as an Ask: a kind's name, a dict of Ask's fields, or an Ask."""
        if isinstance(item, Ask):
            return item
        if isinstance(item, str):
            return cls(item)
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"kind", "output", "state", "lane"})
            if "kind" not in item or unknown:
                raise ValueError(ew.bad_ask(item, "a dict needs 'kind' and only 'output', "
                                                  "'state' or 'lane' besides"))
            return cls(**item)
        raise ValueError(ew.bad_ask(item))


@dataclasses.dataclass(frozen=True)
class Question:
    """One question: what the student sees (``prompt``, ``input``, ``choices``, ``hint``)
    and what checks it (``answer``, the records it was built from).

    ``input``: ``'many'`` (tick any of ``choices``), ``'one'`` (pick one of ``choices``)
    or ``'text'`` (type a shape). ``answer``: the right answer (a tuple of choices, a
    choice, or a shape tuple).
    """

    id: str
    kind: str
    prompt: str
    input: str
    choices: tuple[str, ...]
    answer: Any
    hint: str = ""
    records: tuple = dataclasses.field(default=(), repr=False, compare=False)
    axis_size: int = 0
    _judge: Callable[[Question, Any], Verdict] | None = dataclasses.field(
        default=None, repr=False, compare=False)

    def check(self, answer: Any) -> Verdict:
        """Check ``answer`` (a list of choices, a choice, or a typed shape such as
        ``'4,3'``, ``'(4, 3)'``, ``'f32[4,3]'`` or a tuple of ints)."""
        return self._judge(self, answer)

    def to_public(self) -> dict:
        """What the browser may see before the student answers: no answer, no records."""
        return {"id": self.id, "kind": self.kind, "prompt": self.prompt, "input": self.input,
                "choices": list(self.choices), "hint": self.hint}


# ------------------------------------------------------------------ reading answers

_TYPED = re.compile(r"^[A-Za-z_][\w<>]*\s*\[(.*)\]$", re.DOTALL)
_SPLIT = re.compile(r"[\s,x\u00d7*]+")


def parse_shape(answer: Any) -> tuple[int, ...] | None:
    """A typed shape, read leniently: ``(4, 3)``, ``4,3``, ``4 x 3``, ``[4, 3]``,
    ``f32[4,3]``, ``()``, ``f32[]``, ``scalar``, or a tuple / list of ints; None when it
    is not a shape (``tests/browser/exercise_logic.test.mjs`` checks the JavaScript
    twin, ``parseShape``, on the same cases).

    >>> parse_shape('f32[4,3]'), parse_shape('(4,)'), parse_shape('4 x 3'), parse_shape('()')
    ((4, 3), (4,), (4, 3), ())
    >>> parse_shape('four') is None
    True
    """
    if isinstance(answer, (tuple, list)):
        ok = all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in answer)
        return tuple(answer) if ok else None
    if isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0:
        return (answer,)
    if not isinstance(answer, str):
        return None
    text = answer.strip()
    if text.lower() == "scalar":
        return ()
    typed = _TYPED.match(text)
    if typed:
        text = typed.group(1)
    elif len(text) >= 2 and (text[0], text[-1]) in (("(", ")"), ("[", "]")):
        text = text[1:-1]
    elif not text:
        return None
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if (not parts and text.strip()) or not all(p.isascii() and p.isdigit() for p in parts):
        return None  # only separators ("x", ","), or not a count
    return tuple(int(p) for p in parts)


def _choice_of(q: Question, answer: Any) -> str | None:
    """A one-of answer as one of ``q.choices`` (``'key 1'``, ``'key1'``, ``1`` and ``'1'``
    alike; for yes / no also booleans, ``'y'``, ``'true'``); None when it is none of them."""
    if isinstance(answer, bool):
        answer = "yes" if answer else "no"
    text = str(answer).strip().lower()
    if "yes" in q.choices:
        text = {"y": "yes", "true": "yes", "n": "no", "false": "no"}.get(text, text)
    for c in q.choices:
        low = c.lower()
        if text in (low, low.removeprefix("key "), low.replace(" ", "")):
            return c
    return None


# ------------------------------------------------------------------ judges


def _judge_batched(q: Question, answer: Any) -> Verdict:
    if isinstance(answer, str):
        answer = [a for a in (s.strip() for s in answer.split(",")) if a]
    elif not isinstance(answer, (list, tuple, set, frozenset)):
        answer = [] if answer is None else [answer]
    given = list(dict.fromkeys(answer))
    known = [e.label for e in q.records]
    unknown = [g for g in given if g not in known]
    right = set(q.answer)
    wrong = [e for e in q.records if (e.label in given) != (e.label in right)]
    correct = not wrong and not unknown
    told = wrong if wrong else q.records[:MOST_PER_KIND + 1]
    lines = [ew.state_batched_text(e, q.axis_size) for e in told]
    if unknown:
        lines.append(ew.unknown_choices(unknown, known))
    return Verdict(correct, ew.verdict_text(correct, lines))


def _judge_shape(q: Question, answer: Any) -> Verdict:
    shape = parse_shape(answer)
    if shape is None:
        return Verdict(False, ew.unreadable(str(answer), "shape"))
    correct = shape == q.answer
    if q.kind == "output_shape":
        why = ew.output_shape_text(q.records[0], q.axis_size)
    else:
        why = ew.state_after_text(q.records[0], q.records[1], q.axis_size)
    return Verdict(correct, ew.verdict_text(correct, [why], ew.shape_text(shape)))


def _judge_one(q: Question, answer: Any) -> Verdict:
    choice = _choice_of(q, answer)
    if choice is None:
        return Verdict(False, ew.unreadable(str(answer), " / ".join(q.choices)))
    correct = choice == q.answer
    if q.kind == "lane_key":
        lane = int(q.id.rsplit(":", 1)[1])
        why = ew.lane_key_text(q.records[0], lane, q.axis_size)
    else:
        why = ew.retraces_text(q.records[0])
    return Verdict(correct, ew.verdict_text(correct, [why], choice))


def check_answers(questions: Iterable[Question], answers: dict) -> dict[str, Verdict]:
    """Check every answered question: ``{question id: Verdict}`` for the ids in
    ``answers`` (other ids are ignored)."""
    return {q.id: q.check(answers[q.id]) for q in questions if q.id in answers}


# ------------------------------------------------------------------ questions


def make_questions(report: Any, ask: Any = None) -> tuple[Question, ...]:
    """The questions of an exercise on ``report`` (best a dry run's:
    ``mapping.inspect(*args, dry_run=True)``).

    Args:
      ask: None (a sensible set for the call: every kind that applies), or one item or
        a list of items, each a kind's name (:data:`KINDS`), an :class:`Ask`, or a dict
        of Ask's fields (``{'kind': 'lane_key', 'lane': 2}``).

    Raises:
      ValueError: an item that is no question kind, or one this call cannot answer
        (``'lane_key'`` for a call that splits no key); the message lists the kinds.
    """
    if report.axes is None:
        raise ValueError(ew.bad_ask(ask, ew.failed_call(report.title)))
    asks = _default_asks(report) if ask is None else _asks_of(ask)
    found: dict[str, Question] = {}
    for a in asks:
        for q in _BUILDERS[a.kind](report, a):
            found.setdefault(q.id, q)
    return tuple(found.values())


def _asks_of(ask: Any) -> list[Ask]:
    if isinstance(ask, (str, Ask, dict)):
        ask = [ask]
    try:
        items = list(ask)
    except TypeError:
        raise ValueError(ew.bad_ask(ask)) from None
    if not items:
        raise ValueError(ew.bad_ask(ask, ew.nothing_asked()))
    return [Ask.of(item) for item in items]


def _default_asks(report: Any) -> list[Ask]:
    asks = []
    if 0 < len(report.axes.of(Kind.STATE)) <= MOST_STATES:
        asks.append(Ask("batched_states"))
    if report.axes.of(Kind.OUTPUT):
        asks.append(Ask("output_shape"))
    if _plain_writes(report):
        asks.append(Ask("state_shape_after"))
    if report.keys is not None and report.keys.entries:
        asks.append(Ask("lane_key"))
    asks.append(Ask("retraces"))
    return asks


def _plain_writes(report: Any) -> list:
    """The States written back, RandomStates (which keep a key) aside."""
    random = {e.label for e in report.axes.of(Kind.STATE) if e.random}
    writes = report.write_back.entries if report.write_back is not None else ()
    return [w for w in writes if w.label not in random]


def _batched_states(report: Any, a: Ask) -> list[Question]:
    states = report.axes.of(Kind.STATE)
    if not states:
        raise ValueError(ew.bad_ask(a.kind, ew.no_state()))
    answer = tuple(e.label for e in states if e.axis_in is not None and not e.random)
    prompt, hint = ew.batched_states_prompt()
    return [Question("batched_states", a.kind, prompt, "many", tuple(e.label for e in states),
                     answer, hint, states, report.axes.axis_size, _judge_batched)]


def _output_shape(report: Any, a: Ask) -> list[Question]:
    outputs = report.axes.of(Kind.OUTPUT)
    if not outputs:
        raise ValueError(ew.bad_ask(a.kind, ew.no_output()))
    chosen = _pick(outputs, a.output, "output", lambda e: e.label, a.kind)[:MOST_PER_KIND]
    out = []
    for e in chosen:
        prompt, hint = ew.output_shape_prompt(e.label)
        out.append(Question(f"output_shape:{e.label}", a.kind, prompt, "text", (), e.shape,
                            hint, (e,), report.axes.axis_size, _judge_shape))
    return out


def _state_shape_after(report: Any, a: Ask) -> list[Question]:
    writes = report.write_back.entries if report.write_back is not None else ()
    if a.state is not None:
        chosen = _pick(writes, a.state, "written State", lambda w: w.label, a.kind)
    else:
        plain = _plain_writes(report)
        chosen = [w for w in plain if w.after != w.before][:MOST_PER_KIND] or plain[:1]
    if not chosen:
        raise ValueError(ew.bad_ask(a.kind, ew.no_written_state()))
    entries = {e.label: e for e in report.axes.of(Kind.STATE)}
    out = []
    for w in chosen:
        prompt, hint = ew.state_after_prompt(w.label, w.before)
        out.append(Question(f"state_shape_after:{w.label}", a.kind, prompt, "text", (),
                            tuple(w.shape), hint, (w, entries.get(w.label)),
                            report.axes.axis_size, _judge_shape))
    return out


def _lane_key(report: Any, a: Ask) -> list[Question]:
    keys = report.keys.entries if report.keys is not None else ()
    if not keys:
        raise ValueError(ew.bad_ask(a.kind, ew.no_random_state()))
    k = _pick(keys, a.state, "RandomState", lambda k: k.label, a.kind)[0] if a.state else keys[0]
    n = report.keys.axis_size
    lane = 0 if a.lane is None else a.lane
    if isinstance(lane, bool) or not isinstance(lane, int) or not 0 <= lane < n:
        raise ValueError(ew.bad_ask(a.kind, ew.lane_range(lane, n)))
    shown = range(n + 1) if n <= ALL_KEYS_UP_TO else sorted(
        {0, lane, lane + 1, min(lane + 2, n), n})
    return [Question(f"lane_key:{k.label}:{lane}", a.kind, ew.lane_key_prompt(k.label, lane, n),
                     "one", tuple(ew.key_choice(i) for i in shown), ew.key_choice(lane + 1),
                     records=(k,), axis_size=n, _judge=_judge_one)]


def _retraces(report: Any, a: Ask) -> list[Question]:
    cache = report.cache
    return [Question("retraces", a.kind, ew.retraces_prompt(cache.key, cache.entries), "one",
                     ("yes", "no"), "no" if cache.hit else "yes", records=(cache,),
                     _judge=_judge_one)]


def _pick(items: Any, which: Any, what: str, label: Callable[[Any], str], kind: str) -> list:
    """``items`` (None: all), the one at index ``which`` (an int), or the one labelled
    ``which``; ValueError naming the labels when there is no such item."""
    items = list(items)
    if which is None:
        return items
    if isinstance(which, int) and not isinstance(which, bool):
        if 0 <= which < len(items):
            return [items[which]]
    else:
        found = [x for x in items if label(x) == which]
        if found:
            return found
    raise ValueError(ew.bad_ask(kind, ew.no_such(what, which, [label(x) for x in items])))


_BUILDERS = {"batched_states": _batched_states, "output_shape": _output_shape,
             "state_shape_after": _state_shape_after, "lane_key": _lane_key,
             "retraces": _retraces}
