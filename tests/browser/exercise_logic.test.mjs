// The pure functions of vmapviz/widgets/static/exercise.js, under `node --test`.
// Run from pytest by tests/test_exercise.py::test_exercise_js_logic.
import assert from "node:assert/strict";
import test from "node:test";

import widget, {
  actionsView,
  answerOf,
  choiceStep,
  fill,
  missing,
  parseShape,
  progress,
  readsAs,
  sameAnswer,
  shapeText,
  verdictView,
  withAnswer,
} from "../../vmapviz/widgets/static/exercise.js";

// The same cases as tests/test_exercise.py::SHAPE_CASES: Python's parse_shape agrees.
const SHAPE_CASES = [
  ["(4, 3)", [4, 3]], ["4,3", [4, 3]], ["f32[4,3]", [4, 3]], [" 4 x 3 ", [4, 3]],
  ["[4, 3]", [4, 3]], ["4\u00d73", [4, 3]], ["(4,)", [4]], ["4", [4]], ["f32[4]", [4]],
  ["()", []], ["f32[]", []], ["scalar", []], ["key<fry>[]", []], ["float32[2, 5]", [2, 5]],
  ["", null], ["   ", null], ["x", null], [",", null], ["four", null], ["(4, -3)", null],
  ["4.5", null], ["f32[4,a]", null], ["(4, 3", null],
];

test("the default export is anywidget's render", () => {
  assert.equal(typeof widget.render, "function");
});

test("parseShape reads typed shapes leniently, and nothing else", () => {
  for (const [text, want] of SHAPE_CASES) assert.deepEqual(parseShape(text), want, JSON.stringify(text));
  assert.deepEqual(parseShape([4, 3]), [4, 3]);
  assert.equal(parseShape([4, -1]), null);
  assert.deepEqual(parseShape(7), [7]);
  assert.equal(parseShape(true), null);
  assert.equal(parseShape(null), null);
});

test("shapeText prints a shape as Python prints a tuple", () => {
  assert.equal(shapeText([4, 3]), "(4, 3)");
  assert.equal(shapeText([4]), "(4,)");
  assert.equal(shapeText([]), "()");
});

test("readsAs says how a typed answer is read, live", () => {
  const texts = { reads_as: "reads as {shape}", unreadable: "not a shape yet" };
  assert.equal(readsAs("f32[4,3]", texts), "reads as (4, 3)");
  assert.equal(readsAs("4", texts), "reads as (4,)");
  assert.equal(readsAs("4, a", texts), "not a shape yet");
  assert.equal(readsAs("  ", texts), "");
});

test("fill replaces known names only", () => {
  assert.equal(fill("{a} of {b} {c}", { a: 1, b: "x" }), "1 of x {c}");
  assert.equal(fill(undefined, {}), "");
});

test("answerOf reads a form as the answer the kernel checks", () => {
  const many = { input: "many", choices: ["count", "weight", "bias"] };
  assert.deepEqual(answerOf(many, { checked: [true, false, true] }), ["count", "bias"]);
  assert.deepEqual(answerOf(many, { checked: [] }), []);
  const one = { input: "one", choices: ["yes", "no"] };
  assert.equal(answerOf(one, { chosen: 1 }), "no");
  assert.equal(answerOf(one, { chosen: -1 }), null);
  assert.equal(answerOf(one, { chosen: 5 }), null);
  assert.equal(answerOf({ input: "text", choices: [] }, { text: "  4,3 " }), "4,3");
});

test("missing: a one-of question needs a pick, a typed one some text; many may be empty", () => {
  assert.equal(missing({ input: "one" }, null), "pick_one");
  assert.equal(missing({ input: "one" }, "no"), null);
  assert.equal(missing({ input: "text" }, ""), "type_first");
  assert.equal(missing({ input: "text" }, "4"), null);
  assert.equal(missing({ input: "many" }, []), null);
});

test("withAnswer makes a new object; sameAnswer compares answers", () => {
  const before = { retraces: "yes" };
  const after = withAnswer(before, "batched_states", ["count"]);
  assert.notEqual(after, before);
  assert.deepEqual(after, { retraces: "yes", batched_states: ["count"] });
  assert.deepEqual(before, { retraces: "yes" });
  assert.ok(sameAnswer(["count"], ["count"]));
  assert.ok(!sameAnswer(["count"], []));
  assert.ok(!sameAnswer("4,3", "4, 3"));
  assert.ok(sameAnswer(undefined, null));
});

test("verdictView: open until checked; right and wrong carry a mark, not colour alone", () => {
  assert.deepEqual(verdictView(undefined), { state: "open", mark: "", text: "" });
  assert.deepEqual(verdictView({}), { state: "open", mark: "", text: "" });
  const right = verdictView({ correct: true, explanation: "Right. count is batched" });
  assert.equal(right.state, "right");
  assert.equal(right.mark, "\u2713");
  assert.equal(right.text, "Right. count is batched");
  const wrong = verdictView({ correct: false, explanation: "Not quite." });
  assert.equal(wrong.state, "wrong");
  assert.equal(wrong.mark, "\u2717");
});

test("choiceStep moves between radio buttons as browsers do, wrapping", () => {
  assert.equal(choiceStep(0, 3, "ArrowDown"), 1);
  assert.equal(choiceStep(2, 3, "ArrowRight"), 0);
  assert.equal(choiceStep(0, 3, "ArrowUp"), 2);
  assert.equal(choiceStep(1, 3, "ArrowLeft"), 0);
  assert.equal(choiceStep(1, 3, "Home"), 0);
  assert.equal(choiceStep(1, 3, "End"), 2);
  assert.equal(choiceStep(1, 3, "a"), null);
  assert.equal(choiceStep(-1, 3, "ArrowDown"), 1);
  assert.equal(choiceStep(0, 0, "ArrowDown"), null);
});

test("progress counts checked and right answers", () => {
  const qs = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const texts = { progress: "{checked} of {total} checked, {right} right" };
  assert.equal(progress(qs, {}, texts), "0 of 3 checked, 0 right");
  const verdicts = { a: { correct: true }, c: { correct: false }, zzz: { correct: true } };
  assert.equal(progress(qs, verdicts, texts), "2 of 3 checked, 1 right");
});

test("actionsView: run is offered only once revealed, and only once", () => {
  const texts = { reveal: "Show the call", revealed: "Shown below.", ran: "Ran." };
  const before = actionsView(false, true, false, false, texts);
  assert.deepEqual(before, { revealLabel: "Show the call", revealDisabled: false, runHidden: true,
                             runDisabled: false, status: "" });
  const shown = actionsView(true, true, false, false, texts);
  assert.equal(shown.revealLabel, "Shown below.");
  assert.ok(shown.revealDisabled && !shown.runHidden && !shown.runDisabled);
  assert.ok(actionsView(true, true, false, true, texts).runDisabled); // running
  const ran = actionsView(true, true, true, false, texts);
  assert.ok(ran.runDisabled);
  assert.equal(ran.status, "Ran.");
  assert.ok(actionsView(true, false, false, false, texts).runHidden); // cannot run
});
