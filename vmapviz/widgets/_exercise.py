"""Exercises: questions about a mapped call, asked before the call is shown.

``exercise(mapping, *args, ask=...)`` dry-runs the call (nothing runs, no State
changes), asks questions about it (:mod:`vmapviz.inspection._exercise`), checks each
answer in the kernel, and on "Show the call" adds the call's
:class:`~vmapviz.widgets.Inspector` below the questions.

The questions travel to the browser without their answers (the ``questions`` trait:
prompt, input kind, choices, hint). The browser sets ``answers`` when the student
presses Check (or Enter); the kernel checks them and sets ``verdicts`` (right or not,
and the explanation citing the record that decides it). Without a kernel the widget
shows the questions as static HTML, with no answer.

>>> from vmapviz import examples
>>> mapping, args, kwargs = examples.get('1.5_counter').build()
>>> ex = exercise(mapping, *args, ask=['batched_states', 'retraces'], **kwargs)
>>> ex
Exercise(mapping='Counter', lanes=4, questions=['batched_states', 'retraces'], revealed=False)
>>> ex.answer('batched_states', ['count']).correct
True
>>> ex.answer('retraces', 'no').explanation
'Not quite (you answered no). It retraces: it is the first call, nothing is cached yet (cache record).'
>>> ex.reveal()
Inspector(mapping='Counter', lanes=4, states=['count'])
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import ipywidgets
import jax
import traitlets

from ..inspection import _exercise_words as ew
from ..inspection._exercise import Question, Verdict, check_answers, make_questions
from ..render._escape import html_escape
from ._widgets import STATIC_STYLE, Inspector

__all__ = ["Exercise", "ExerciseQuestions", "exercise"]

STATIC = pathlib.Path(__file__).parent / "static"


class ExerciseQuestions(anywidget.AnyWidget):
    """The questions of an exercise (no answers in the browser until it checks one).

    Traits: ``questions`` (prompt, kind, input, choices, hint of each question),
    ``answers`` (``{question id: answer}``, set by the browser on Check), ``verdicts``
    (``{question id: {'correct', 'explanation'}}``, set here for each answer),
    ``revealed`` (the call is shown), ``can_run`` / ``ran`` (the "run it for real"
    button), ``texts`` (the words of the controls).
    """

    _esm = STATIC / "exercise.js"
    _css = STATIC / "exercise.css"

    title = traitlets.Unicode("").tag(sync=True)
    questions = traitlets.List(traitlets.Dict()).tag(sync=True)
    answers = traitlets.Dict({}).tag(sync=True)
    verdicts = traitlets.Dict({}).tag(sync=True)
    revealed = traitlets.Bool(False).tag(sync=True)
    can_run = traitlets.Bool(False).tag(sync=True)
    ran = traitlets.Bool(False).tag(sync=True)
    texts = traitlets.Dict({}).tag(sync=True)

    def __init__(self, questions: Any, title: str = "", *, runner: Any = None,
                 **kwargs: Any):
        self._questions = tuple(questions)
        self._runner = runner
        super().__init__(questions=[q.to_public() for q in self._questions], title=title,
                         can_run=runner is not None, texts=dict(ew.UI_TEXT), **kwargs)
        self.on_msg(self._on_message)

    @property
    def question_objects(self) -> tuple[Question, ...]:
        """The :class:`~vmapviz.inspection._exercise.Question` objects (with answers)."""
        return self._questions

    @traitlets.observe("answers")
    def _check(self, change: Any) -> None:
        found = check_answers(self._questions, dict(self.answers))
        self.verdicts = {qid: v.to_json() for qid, v in found.items()}

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        """The browser's "run it for real" button: ``{'type': 'run'}``."""
        run = isinstance(content, dict) and content.get("type") == "run"
        if run and self._runner is not None and self.revealed and not self.ran:
            self._runner()

    def static_html(self) -> str:
        """The questions as static HTML (no script, no answer, no verdict)."""
        parts = ['<div class="vmapviz-static vmapviz-static-exercise">', STATIC_STYLE,
                 f"<h4>{html_escape(ew.exercise_title(self.title))}</h4>", "<ol>"]
        for q in self.questions:
            parts.append(f"<li><p>{html_escape(q['prompt'])}</p>")
            if q["choices"]:
                items = "".join(f"<li>{html_escape(c)}</li>" for c in q["choices"])
                parts.append(f"<ul>{items}</ul>")
            if q["hint"]:
                parts.append(f"<p><em>{html_escape(q['hint'])}</em></p>")
            parts.append("</li>")
        parts += ["</ol>", f"<p><em>{html_escape(ew.static_note())}</em></p>", "</div>"]
        return "\n".join(parts) + "\n"

    def __repr__(self) -> str:
        ids = [q.id for q in self._questions]
        return f"ExerciseQuestions(title={self.title!r}, questions={ids!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/plain": repr(self), "text/html": self.static_html()}, metadata


class Exercise(ipywidgets.VBox):
    """An exercise on one mapped call: its questions, then (revealed) its Inspector.

    Made by :func:`exercise`. ``quiz`` is the questions widget; :meth:`answer` checks
    an answer from Python, :meth:`reveal` shows the Inspector of the dry run, and
    :meth:`run` makes the real call (it changes States) and adds its report to the
    Inspector.
    """

    def __init__(self, mapping: Any, args: tuple, kwargs: dict, report: Any,
                 questions: Any, allow_run: bool = True):
        self._mapping, self._args, self._kwargs = mapping, tuple(args), dict(kwargs)
        self._report = report
        self._inspector: Inspector | None = None
        runnable = allow_run and not _has_shapes_only(self._args, self._kwargs)
        self.quiz = ExerciseQuestions(questions, report.title,
                                      runner=self.run if runnable else None)
        super().__init__(children=[self.quiz])
        self.quiz.observe(self._on_revealed, names="revealed")

    @property
    def report(self) -> Any:
        """The dry run's :class:`~vmapviz.inspection.Report` the answers come from."""
        return self._report

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.quiz.question_objects

    @property
    def inspector(self) -> Inspector | None:
        """The Inspector of the call, once revealed (None before)."""
        return self._inspector

    @property
    def revealed(self) -> bool:
        return self.quiz.revealed

    def question(self, which: int | str) -> Question:
        """A question by index, id (``'output_shape:output 0'``) or kind (its first)."""
        qs = self.questions
        if isinstance(which, int) and 0 <= which < len(qs):
            return qs[which]
        found = [q for q in qs if which in (q.id, q.kind)]
        if not found:
            raise KeyError(f"no question {which!r}; the questions are "
                           f"{', '.join(q.id for q in qs)}")
        return found[0]

    def answer(self, which: int | str, value: Any) -> Verdict:
        """Answer one question as the browser does (Check) and return its verdict."""
        q = self.question(which)
        self.quiz.answers = {**self.quiz.answers, q.id: value}
        return Verdict(**self.quiz.verdicts[q.id])

    def reveal(self) -> Inspector:
        """Show the call: the Inspector of the dry run, below the questions."""
        self.quiz.revealed = True
        return self._inspector

    def _on_revealed(self, change: Any) -> None:
        if change["new"] and self._inspector is None:
            self._inspector = Inspector([self._report], mapping=self._mapping)
            self.children = (*self.children, self._inspector)

    def run(self) -> Any:
        """Make the real call (States change, as with ``mapping(*args)``); its report is
        added to the Inspector and selected. Returns that report."""
        if not self.quiz.can_run:
            raise ValueError(ew.cannot_run())
        inspector = self.reveal()
        report = self._mapping.inspect(*self._args, **self._kwargs)
        inspector.add(report)
        self.quiz.ran = True
        return report

    def __repr__(self) -> str:
        axes = self._report.axes
        return (f"Exercise(mapping={self._report.mapping!r}, lanes={axes.axis_size}, "
                f"questions={[q.id for q in self.questions]!r}, revealed={self.revealed})")

    def static_html(self) -> str:
        """What the exercise shows without a kernel: its questions (no answers), and the
        Inspector's static view once revealed."""
        html = self.quiz.static_html()
        return html + (self._inspector.static_html() if self._inspector is not None else "")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        data = super()._repr_mimebundle_(**kwargs)
        return {**data, "text/plain": repr(self), "text/html": self.static_html()}


def _has_shapes_only(args: tuple, kwargs: dict) -> bool:
    """Some argument is a ``jax.ShapeDtypeStruct``: the call can be dry-run only."""
    return any(isinstance(x, jax.ShapeDtypeStruct)
               for x in jax.tree.leaves((args, kwargs)))


def exercise(mapped: Any, *args: Any, ask: Any = None, allow_run: bool = True,
             **kwargs: Any) -> Exercise:
    """Questions about ``mapped(*args, **kwargs)``, asked before the call is shown.

    The answers come from a dry run (``mapped.inspect(*args, dry_run=True)``): nothing
    runs and no State changes while the exercise is built, answered or revealed;
    arguments may be ``jax.ShapeDtypeStruct``.

    Args:
      mapped: a :class:`~vmapviz.transform.StatefulMapping`, or a function (mapped with
        ``vmap2``'s defaults).
      ask: which questions (default: every kind that applies to the call): a kind's
        name, a dict or :class:`~vmapviz.widgets.Ask`, or a list of them.
        The kinds: ``'batched_states'``, ``'output_shape'``, ``'state_shape_after'``,
        ``'lane_key'``, ``'retraces'``.
      allow_run: offer a button that makes the real call once revealed (it changes
        States, and only when no argument is a ShapeDtypeStruct).

    Raises:
      ValueError: an ``ask`` item that is no question kind or does not apply.

    >>> import jax.numpy as jnp
    >>> ex = exercise(lambda x: x * 2, jnp.ones((4, 3)), ask='output_shape')
    >>> ex.answer(0, '4,3').correct, ex.answer(0, 'f32[3]').correct
    (True, False)
    """
    from . import _as_mapping

    mapping = _as_mapping(mapped)
    report = mapping.inspect(*args, dry_run=True, **kwargs)
    questions = make_questions(report, ask)
    return Exercise(mapping, args, kwargs, report, questions, allow_run=allow_run)
