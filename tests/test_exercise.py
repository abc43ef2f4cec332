"""Exercises (``vmapviz.exercise``): questions built from a dry run's records, checked
answers whose explanations cite the record that decides them, the widget's traits and
its static HTML (no answers), reveal and the explicit real run, and the JS logic."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapviz
from vmapviz import examples
from vmapviz.inspection._exercise import KINDS, Ask, Question, make_questions, parse_shape
from vmapviz.render._escape import html_escape
from vmapviz.transform import vmap2
from vmapviz.widgets import Exercise, Inspector, exercise

REPO = Path(__file__).parent.parent

# The same cases as tests/browser/exercise_logic.test.mjs: the JS parseShape agrees.
SHAPE_CASES = [
    ("(4, 3)", (4, 3)), ("4,3", (4, 3)), ("f32[4,3]", (4, 3)), (" 4 x 3 ", (4, 3)),
    ("[4, 3]", (4, 3)), ("4\u00d73", (4, 3)), ("(4,)", (4,)), ("4", (4,)), ("f32[4]", (4,)),
    ("()", ()), ("f32[]", ()), ("scalar", ()), ("key<fry>[]", ()), ("float32[2, 5]", (2, 5)),
    ("", None), ("   ", None), ("x", None), (",", None), ("four", None), ("(4, -3)", None),
    ("4.5", None), ("f32[4,a]", None), ("(4, 3", None),
]


def dry(name: str):
    """A catalogue example built afresh: ``(mapping, args, dry-run report)``."""
    mapping, args, kwargs = examples.get(name).build()
    assert not kwargs
    return mapping, args, mapping.inspect(*args, dry_run=True)


def by_id(questions) -> dict[str, Question]:
    return {q.id: q for q in questions}


# ------------------------------------------------------------------ reading answers


@pytest.mark.parametrize("text, want", SHAPE_CASES)
def test_parse_shape_reads_typed_shapes_leniently(text, want):
    assert parse_shape(text) == want


def test_parse_shape_takes_ints_and_tuples_but_not_bools():
    assert parse_shape((4, 3)) == (4, 3)
    assert parse_shape([2]) == (2,)
    assert parse_shape(5) == (5,)
    assert parse_shape((4, -1)) is None
    assert parse_shape(True) is None
    assert parse_shape((True, 2)) is None
    assert parse_shape(None) is None


# ------------------------------------------------------------------ which questions


def test_default_questions_fit_each_call():
    assert [q.id for q in make_questions(dry("1.5_counter")[2])] == [
        "batched_states", "output_shape:output 0", "state_shape_after:count", "retraces"]
    assert [q.id for q in make_questions(dry("2.1_sample_normal")[2])] == [
        "batched_states", "output_shape:output 0", "lane_key:random.DEFAULT:0", "retraces"]
    # both States change type: both are asked about; no State, no batched_states question
    assert [q.id for q in make_questions(dry("1.7_ignore")[2])] == [
        "batched_states", "output_shape:output 0", "state_shape_after:temp_state2",
        "state_shape_after:write_state2", "retraces"]
    assert [q.id for q in make_questions(dry("1.2_out_axes")[2])] == [
        "output_shape:output 0", "retraces"]


def test_questions_say_how_to_answer_and_hold_the_right_answer():
    qs = by_id(make_questions(dry("1.7_ignore")[2]))
    batched = qs["batched_states"]
    assert (batched.input, batched.choices, batched.answer) == (
        "many", ("temp_state2", "write_state2"), ())
    after = qs["state_shape_after:temp_state2"]
    assert (after.input, after.choices, after.answer) == ("text", (), (3,))
    assert "temp_state2 is f32[] before the call" in after.prompt
    retraces = qs["retraces"]
    assert (retraces.input, retraces.choices, retraces.answer) == ("one", ("yes", "no"), "yes")


def test_ask_takes_names_specs_and_dicts_in_order_without_duplicates():
    _, _, report = dry("1.7_ignore")
    qs = make_questions(report, ask=["retraces", Ask("state_shape_after", state="write_state2"),
                                     {"kind": "output_shape", "output": 0}, "retraces"])
    assert [q.id for q in qs] == ["retraces", "state_shape_after:write_state2",
                                  "output_shape:output 0"]
    assert [q.id for q in make_questions(report, ask="retraces")] == ["retraces"]
    outs = vmap2(lambda x: (x, x.sum(), x * 2)).inspect(jnp.ones((3, 2)), dry_run=True)
    assert [q.id for q in make_questions(outs, ask={"kind": "output_shape",
                                                    "output": "output 1"})] == [
        "output_shape:output 1"]
    assert [q.answer for q in make_questions(outs, ask="output_shape")] == [
        (3, 2), (3,), (3, 2)]


@pytest.mark.parametrize("ask, says", [
    ("shapes", "cannot ask 'shapes'"),
    (["retraces", "lane"], "cannot ask 'lane'"),
    (42, "cannot ask 42"),
    ([], "ask for at least one question"),
    ({"kind": "retraces", "lanes": 2}, "a dict needs 'kind'"),
    ({"state": "count"}, "a dict needs 'kind'"),
    ("lane_key", "this call splits no random key"),
    ({"kind": "output_shape", "output": 3}, "no output 3 (it has: output 0)"),
    ({"kind": "state_shape_after", "state": "nope"}, "no written State 'nope' (it has: count)"),
])
def test_bad_ask_is_a_value_error_listing_the_kinds(ask, says):
    _, _, report = dry("1.5_counter")
    with pytest.raises(ValueError) as err:
        make_questions(report, ask=ask)
    message = str(err.value)
    assert says in message
    for kind in KINDS:
        assert repr(kind) in message


def test_ask_fields_must_fit_the_kind():
    with pytest.raises(ValueError, match="'retraces' takes nothing, not lane"):
        Ask("retraces", lane=1)
    with pytest.raises(ValueError, match="'output_shape' takes output, not state"):
        Ask("output_shape", state="count")
    _, _, report = dry("2.1_sample_normal")
    with pytest.raises(ValueError, match=r"lane 4 is not a lane of this call \(0 to 3\)"):
        make_questions(report, ask=Ask("lane_key", lane=4))


def test_a_call_without_output_asks_no_output_question():
    s = vmapviz.ShortTermState(jnp.zeros(3), name="s")

    def accumulate(x):
        s.value = s.value + x

    report = vmap2(accumulate, state_in_axes={0: vmapviz.ShortTermState}).inspect(
        jnp.ones(3), dry_run=True)
    assert [q.id for q in make_questions(report)] == [
        "batched_states", "state_shape_after:s", "retraces"]
    with pytest.raises(ValueError, match="cannot ask 'output_shape': this call returns no "
                                         "output"):
        make_questions(report, ask="output_shape")


def test_a_failed_call_has_nothing_to_ask():
    total = vmapviz.ShortTermState(jnp.zeros(()), name="total")

    def grow(x):
        total.value = total.value + x
        return x

    mapping = vmap2(grow, unexpected_out_state_mapping="raise")
    with pytest.raises(vmapviz.BatchAxisError) as err:
        mapping.inspect(jnp.arange(3.0), dry_run=True)
    with pytest.raises(ValueError, match="the call failed, so there is nothing to ask about"):
        make_questions(err.value.report)


# ------------------------------------------------------------------ batched States


def test_batched_states_counter():
    q = make_questions(dry("1.5_counter")[2], ask="batched_states")[0]
    right = q.check(["count"])
    assert right.correct
    assert right.explanation == ("Right. count is batched: state_in_axes "
                                 "{0: OfType(ShortTermState)} matched (axes record).")
    wrong = q.check([])
    assert not wrong.correct
    assert wrong.explanation == ("Not quite. count is batched: state_in_axes "
                                 "{0: OfType(ShortTermState)} matched (axes record).")
    assert q.check("count").correct  # a comma-separated string works too
    assert q.check({"count"}).correct
    assert not q.check(None).correct and not q.check(5).correct  # odd answers: wrong, no error
    unknown = q.check(["count", "counts"])
    assert not unknown.correct
    assert "'counts' is not a State of this call; its States are count." in unknown.explanation


def test_batched_states_a_random_state_is_split_not_batched():
    q = make_questions(dry("2.1_sample_normal")[2], ask="batched_states")[0]
    assert q.choices == ("random.DEFAULT",) and q.answer == ()
    assert q.check([]).correct
    wrong = q.check(["random.DEFAULT"])
    assert not wrong.correct
    assert wrong.explanation == ("Not quite. random.DEFAULT is not batched: RandomState: its "
                                 "key is split into one key per lane (axes record).")


def test_batched_states_wrong_answers_cite_only_the_states_answered_wrong():
    q = make_questions(dry("1.7_ignore")[2], ask="batched_states")[0]
    wrong = q.check(["temp_state2"])
    assert not wrong.correct
    assert ("temp_state2 is not batched: no state_in_axes filter matched: shared by every lane "
            "(axes record).") in wrong.explanation
    assert "write_state2" not in wrong.explanation
    both = q.check(["temp_state2", "write_state2"])
    assert "write_state2 is not batched: not read: written only (axes record)." in both.explanation


# ------------------------------------------------------------------ shapes


@pytest.mark.parametrize("answer", ["(4,)", "4", "f32[4]", (4,), 4, " [4] "])
def test_output_shape_right_in_any_spelling(answer):
    q = make_questions(dry("1.5_counter")[2], ask="output_shape")[0]
    verdict = q.check(answer)
    assert verdict.correct
    assert verdict.explanation.startswith("Right. output 0 is f32[4]: each lane computes f32[]")


def test_output_shape_wrong_explains_out_axes():
    q = make_questions(dry("1.2_out_axes")[2], ask="output_shape")[0]
    assert q.answer == (3, 2)
    assert q.check("f32[3,2]").correct
    wrong = q.check("2,3")  # the batch axis first: out_axes=1 puts it second
    assert not wrong.correct
    assert wrong.explanation == (
        "Not quite (you answered (2, 3)). output 0 is f32[3,2]: each lane computes f32[3], and "
        "the 2 lanes are stacked on axis 1 (out_axes: 1; varies by lane; axes record).")
    unread = q.check("three by two")
    assert not unread.correct
    assert unread.explanation.startswith("Could not read 'three by two' as a shape.")


def test_state_shape_after_a_state_that_grows_an_axis():
    qs = by_id(make_questions(dry("1.7_ignore")[2]))
    q = qs["state_shape_after:temp_state2"]
    assert q.check("f32[3]").correct
    assert q.check("3").correct
    wrong = q.check("()")
    assert not wrong.correct
    assert wrong.explanation == (
        "Not quite (you answered ()). temp_state2 becomes f32[3] (it was f32[]): policy "
        "'ignore': its per-lane values are scattered on a new axis 0 (write-back record).")
    assert qs["state_shape_after:write_state2"].check((3,)).correct


def test_state_shape_after_a_state_that_keeps_its_shape():
    q = make_questions(dry("1.5_counter")[2], ask="state_shape_after")[0]
    assert q.answer == (4,)
    wrong = q.check("()")  # each lane sees f32[], but the State is written back whole
    assert not wrong.correct
    assert wrong.explanation.endswith("count stays f32[4]: written back on axis 0, the axis it "
                                      "entered on (write-back record).")


# ------------------------------------------------------------------ keys


def test_lane_key_is_key_lane_plus_one_and_the_real_call_draws_from_it():
    mapping, args, report = dry("2.1_sample_normal")
    q = make_questions(report, ask="lane_key")[0]
    assert q.choices == ("key 0", "key 1", "key 2", "key 3", "key 4")
    assert q.answer == "key 1"
    for answer in ("key 1", "key1", "1", 1, " KEY 1 "):
        assert q.check(answer).correct, answer
    wrong = q.check("key 0")
    assert not wrong.correct
    key = report.keys.entries[0].lane_keys[0]
    assert wrong.explanation == (
        f"Not quite (you answered key 0). Lane 0 draws from key 1: [{key[0]} {key[1]}]. "
        "random.DEFAULT split its key into 5: lane i draws from key i+1, and the State keeps "
        "key 0 (keys record).")
    assert not q.check("key 9").correct
    assert q.check("key 9").explanation.startswith("Could not read 'key 9': pick one of key 0")
    # the key the dry run names is the one the real call uses
    assert mapping.inspect(*args).keys.entries[0].lane_keys == report.keys.entries[0].lane_keys


def test_lane_key_for_another_lane_and_many_lanes():
    _, _, report = dry("2.1_sample_normal")
    q = make_questions(report, ask=Ask("lane_key", lane=3, state="random.DEFAULT"))[0]
    assert q.answer == "key 4" and q.check(4).correct and not q.check(3).correct
    rng = vmapviz.random.RandomState(1, name="rng")
    wide = vmap2(lambda x: x + rng.normal()).inspect(jnp.zeros(20), dry_run=True)
    q = make_questions(wide, ask={"kind": "lane_key", "lane": 5})[0]
    assert q.choices == ("key 0", "key 5", "key 6", "key 7", "key 20")
    assert q.answer == "key 6"


# ------------------------------------------------------------------ retraces


def test_retraces_first_call_then_same_signature_then_another():
    mapping, args, _ = dry("1.2_out_axes")
    first = make_questions(mapping.inspect(*args, dry_run=True), ask="retraces")[0]
    assert first.answer == "yes"
    assert first.check("yes").explanation == (
        "Right. It retraces: it is the first call, nothing is cached yet (cache record).")
    mapping(*args)  # the real call: now cached
    same = exercise(mapping, jax.ShapeDtypeStruct((2,), jnp.float32), ask="retraces")
    q = same.questions[0]
    assert q.answer == "no" and "1 signature cached so far" in q.prompt
    verdict = same.answer("retraces", "yes")
    assert not verdict.correct
    assert verdict.explanation == (
        "Not quite (you answered yes). No retrace: the signature (f32[2]) is in the cache, so "
        "the cached trace is reused (cache record).")
    other = make_questions(mapping.inspect(jnp.ones(5), dry_run=True), ask="retraces")[0]
    assert other.answer == "yes"
    for answer in (True, "y", "YES", "true"):
        assert other.check(answer).correct
    assert other.check(False).explanation == (
        "Not quite (you answered no). It retraces: argument scalar: now f32[5], before f32[2] "
        "(cache record).")
    assert mapping.trace_count == 1  # no dry run traced for good


# ------------------------------------------------------------------ nothing changes


def _state_values(mapping) -> list:
    """The values of every State the mapped function holds (closure or Module), and the
    global random key."""
    fn = mapping.origin_fun
    found = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]
    found += list(vars(fn).values()) if isinstance(fn, vmapviz.nn.Module) else []
    states = [s for s in found if isinstance(s, vmapviz.State)] + [vmapviz.random.DEFAULT]
    assert len(states) >= 2 or mapping.name == "sample_normal"
    return [np.asarray(jax.random.key_data(s.value)) if jax.dtypes.issubdtype(
        s.value.dtype, jax.dtypes.prng_key) else np.asarray(s.value) for s in states]


@pytest.mark.parametrize("name", ["1.5_counter", "2.1_sample_normal", "1.7_ignore"])
def test_building_checking_and_revealing_change_no_state(name):
    mapping, args, kwargs = examples.get(name).build()
    before = _state_values(mapping)
    counts = (mapping.trace_count, mapping.call_count)
    ex = exercise(mapping, *args, **kwargs)
    for q in ex.questions:
        ex.answer(q.id, list(q.answer) if q.input == "many" else q.answer)
        ex.answer(q.id, "nonsense")
    ex.reveal()
    after = _state_values(mapping)
    assert all(b.shape == a.shape and (b == a).all() for b, a in zip(before, after))
    assert (mapping.trace_count, mapping.call_count) == counts
    assert ex.report.dry_run and ex.inspector.report is ex.report


# ------------------------------------------------------------------ the widget


def test_questions_reach_the_browser_without_answers():
    ex = exercise(*examples.get("2.1_sample_normal").build()[:2])
    public = ex.quiz.questions
    assert [q["id"] for q in public] == [q.id for q in ex.questions]
    assert all(set(q) == {"id", "kind", "prompt", "input", "choices", "hint"} for q in public)
    text = json.dumps(public)
    assert "answer" not in text and "record" not in text
    assert ex.quiz.answers == {} and ex.quiz.verdicts == {}


def test_answers_from_the_browser_get_verdicts_from_the_kernel():
    mapping, args, _ = examples.get("1.6_linear").build()
    ex = exercise(mapping, *args)
    ex.quiz.answers = {"output_shape:output 0": "4,2", "batched_states": ["weight"],
                       "not a question": "x"}
    verdicts = ex.quiz.verdicts
    assert set(verdicts) == {"output_shape:output 0", "batched_states"}
    assert verdicts["output_shape:output 0"]["correct"] is True
    assert verdicts["batched_states"] == {
        "correct": False,
        "explanation": ("Not quite. weight is not batched: no state_in_axes filter matched: "
                        "shared by every lane (axes record).")}
    assert ex.answer("batched_states", []).correct
    assert ex.quiz.answers["batched_states"] == []
    assert ex.answer(0, []).correct  # by index; by kind too
    with pytest.raises(KeyError, match="no question 'lane_key'"):
        ex.answer("lane_key", 1)


@pytest.mark.parametrize("name", ["1.6_linear", "1.7_ignore", "2.1_sample_normal"])
def test_static_html_has_every_prompt_and_no_answer(name):
    mapping, args, _ = examples.get(name).build()
    ex = exercise(mapping, *args)
    html = ex._repr_mimebundle_()["text/html"]
    assert "<script" not in html
    for q in ex.questions:
        assert html_escape(q.prompt) in html
        for c in q.choices:
            assert f"<li>{html_escape(c)}</li>" in html
        right = q.check(list(q.answer) if q.input == "many" else q.answer)
        wrong = q.check(_wrong_answer(q))
        assert right.correct and not wrong.correct
        for verdict in (right, wrong):
            body = verdict.explanation.split(". ", 1)[-1]
            assert html_escape(body) not in html and body not in html
        if q.input == "text":  # a shape's answer, as a verdict prints it
            assert repr(q.answer) not in html
    assert "Right." not in html and "Not quite" not in html and "record)" not in html
    assert "Run this notebook with a kernel to answer" in html


def _wrong_answer(q: Question):
    if q.input == "many":
        return [c for c in q.choices if c not in q.answer]
    if q.input == "one":
        return next(c for c in q.choices if c != q.answer)
    return "99,99"


def test_static_html_escapes_state_names():
    evil = vmapviz.ShortTermState(jnp.zeros(3), name="<b>evil</b>")

    def step(x):
        evil.value = evil.value + x
        return x

    ex = exercise(vmap2(step, state_in_axes={0: vmapviz.ShortTermState}), jnp.ones(3))
    html = ex.static_html()
    assert "<b>evil</b>" not in html
    assert "&lt;b&gt;evil&lt;/b&gt;" in html


def test_reveal_adds_the_interactive_inspector_of_the_dry_run_once():
    mapping, args, _ = examples.get("1.5_counter").build()
    ex = exercise(mapping, *args)
    assert isinstance(ex, Exercise) and ex.children == (ex.quiz,) and ex.inspector is None
    ins = ex.reveal()
    assert isinstance(ins, Inspector)
    assert ex.children == (ex.quiz, ins) and ex.quiz.revealed
    assert ins.report.dry_run and ins.entry["label"].endswith("(dry run)")
    ex.quiz.revealed = True  # again, as a second click would: nothing new
    assert ex.reveal() is ins and len(ex.children) == 2
    html = ex._repr_mimebundle_()["text/html"]
    assert html.startswith(ex.quiz.static_html()) and "vmapviz-static-inspector" in html


def test_run_is_explicit_and_changes_states():
    mapping, args, _ = examples.get("1.5_counter").build()
    count = mapping.origin_fun.count
    ex = exercise(mapping, *args)
    assert ex.quiz.can_run and not ex.quiz.ran
    ex.quiz._on_message(ex.quiz, {"type": "run"}, [])  # before reveal: ignored
    assert float(count.value.sum()) == 0.0 and ex.inspector is None
    ex.reveal()
    ex.quiz._on_message(ex.quiz, {"type": "run"}, [])  # the browser's button
    assert np.asarray(count.value).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ex.quiz.ran and len(ex.inspector.entries) == 2 and ex.inspector.selected == 1
    assert not ex.inspector.report.dry_run
    ex.quiz._on_message(ex.quiz, {"type": "run"}, [])  # once only
    assert np.asarray(count.value).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_shapes_only_or_allow_run_false_cannot_run():
    mapping, _, _ = examples.get("1.5_counter").build()
    ex = exercise(mapping, jax.ShapeDtypeStruct((4,), jnp.float32))
    assert not ex.quiz.can_run
    with pytest.raises(ValueError, match="cannot run its call for real"):
        ex.run()
    mapping, args, _ = examples.get("1.5_counter").build()
    assert not exercise(mapping, *args, allow_run=False).quiz.can_run


def test_repr_and_plain_functions():
    ex = exercise(lambda x: x * 2, jnp.ones((4, 3)))
    assert repr(ex) == ("Exercise(mapping='<lambda>', lanes=4, questions=['output_shape:output 0',"
                        " 'retraces'], revealed=False)")
    assert ex._repr_mimebundle_()["text/plain"] == repr(ex)
    assert repr(ex.quiz) == ("ExerciseQuestions(title='vmap2 of <lambda> over 4 lanes', "
                             "questions=['output_shape:output 0', 'retraces'])")
    with pytest.raises(TypeError, match="must be a function or a StatefulMapping"):
        exercise(3, jnp.ones(2))


def test_vmapviz_exercise_is_exported_lazily():
    assert vmapviz.exercise.__module__ == "vmapviz"
    ex = vmapviz.exercise(lambda x: x + 1, jnp.ones(2), ask="output_shape")
    assert isinstance(ex, Exercise)
    code = ("import sys, vmapviz; assert callable(vmapviz.exercise); "
            "assert 'anywidget' not in sys.modules and 'vmapviz.widgets' not in sys.modules; "
            "print('ok')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=REPO, env={"JAX_PLATFORMS": "cpu", "PATH": ""},
                         check=False)
    assert run.stdout.strip() == "ok", run.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_exercise_js_logic():
    """The pure functions of static/exercise.js, under ``node --test``."""
    test_file = REPO / "tests" / "browser" / "exercise_logic.test.mjs"
    run = subprocess.run(["node", "--test", str(test_file)], capture_output=True, text=True,
                         timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^# pass [1-9]\d*$", run.stdout, re.MULTILINE), run.stdout
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), run.stdout


def test_js_puts_no_markup_from_data():
    js = (REPO / "vmapviz" / "widgets" / "static" / "exercise.js").read_text()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "outerHTML" not in js
