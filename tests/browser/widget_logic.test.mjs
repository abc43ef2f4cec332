// The pure functions of vmapviz/widgets/static/vmapviz.js, under `node --test`.
// Run from pytest by tests/test_widgets.py::test_widget_js_logic.
import assert from "node:assert/strict";
import test from "node:test";

import widget, {
  clampIndex,
  entryAt,
  entryOptions,
  graphView,
  laneView,
  sliderStep,
  nodeDetails,
  nodeIdOf,
  tabsFor,
} from "../../vmapviz/widgets/static/vmapviz.js";

const entry = {
  label: "step(f32[4])",
  axis_size: 4,
  lanes: [0, 1, 2, 3].map((i) => ({ lane: i, svg: `<svg>${i}</svg>`, rows: [["argument", "d", `[${i}]`, "-"]] })),
  graphs: {
    elementwise: { svg: "<svg>e</svg>", dot: "digraph e {}", error: null, nodes: { e1: { id: "e1" } },
                   legend: ["orange: batched", "x300"] },
    batched: { svg: null, dot: "digraph b {}", error: "no dot", nodes: {} },
  },
};

test("the default export is anywidget's render", () => {
  assert.equal(typeof widget.render, "function");
});

test("tabsFor: the Inspector has four tabs, single widgets one", () => {
  assert.deepEqual(tabsFor("inspector"), ["states", "axes", "graph", "explain"]);
  assert.deepEqual(tabsFor("table"), ["states"]);
  assert.deepEqual(tabsFor("axes"), ["axes"]);
  assert.deepEqual(tabsFor("graph"), ["graph"]);
  assert.deepEqual(tabsFor("other"), []);
});

test("clampIndex keeps indexes in range", () => {
  const cases = [[2, 4, 2], [-1, 4, 0], [9, 4, 3], [2.7, 4, 2], ["3", 4, 3], [NaN, 4, 0], [1, 0, 0], [undefined, 3, 0]];
  for (const [value, count, want] of cases) assert.equal(clampIndex(value, count), want, `${value}/${count}`);
});

test("entryAt clamps the selection and handles no entries", () => {
  assert.equal(entryAt([], 0), null);
  assert.equal(entryAt(undefined, 0), null);
  assert.equal(entryAt(["a", "b"], 5), "b");
  assert.equal(entryAt(["a", "b"], 0), "a");
});

test("laneView swaps the precomputed SVG and rows per lane", () => {
  const v = laneView(entry, 2);
  assert.equal(v.lane, 2);
  assert.equal(v.svg, "<svg>2</svg>");
  assert.deepEqual(v.rows, [["argument", "d", "[2]", "-"]]);
  assert.equal(v.max, 3);
  assert.equal(v.pending, false);
  assert.equal(v.caption, "lane 2 of 4 (0 to 3)");
  assert.equal(laneView(entry, 99).lane, 3);
});

test("laneView reaches every lane: others are drawn on request", () => {
  const big = { ...entry, axis_size: 100 };
  const asked = laneView(big, 57);
  assert.equal(asked.lane, 57);
  assert.equal(asked.max, 99);
  assert.equal(asked.pending, true);
  assert.equal(asked.svg, null);
  assert.equal(asked.caption, "lane 57 of 100 (0 to 99); drawing this lane...");
  const drawn = { label: entry.label, lane: 57, svg: "<svg>57</svg>", rows: [] };
  const shown = laneView(big, 57, drawn);
  assert.equal(shown.pending, false);
  assert.equal(shown.svg, "<svg>57</svg>");
  // a drawing of another lane, or of another entry, is not shown
  assert.equal(laneView(big, 58, drawn).pending, true);
  assert.equal(laneView({ ...big, label: "other" }, 57, drawn).pending, true);
  assert.equal(laneView({ lanes: [] }, 0).count, 0);
});

test("graphView picks the view, and shows DOT text when there is no SVG", () => {
  const e = graphView(entry, "elementwise");
  assert.equal(e.view, "elementwise");
  assert.deepEqual(e.legend, ["orange: batched", "x300"]);
  assert.deepEqual(graphView(entry, "batched").legend, []);
  assert.equal(e.hasSvg, true);
  const b = graphView(entry, "batched");
  assert.equal(b.view, "batched");
  assert.equal(b.hasSvg, false);
  assert.equal(b.dot, "digraph b {}");
  assert.equal(b.error, "no dot");
  assert.equal(graphView({ graphs: { batched: entry.graphs.batched } }, "elementwise").view, "batched");
  assert.equal(graphView({}, "elementwise"), null);
});

test("nodeIdOf walks up to the element with data-node, stopping at the container", () => {
  const stop = { getAttribute: () => "outside", parentNode: null };
  const g = { getAttribute: (k) => (k === "data-node" ? "e3" : null), parentNode: stop };
  const text = { getAttribute: () => null, parentNode: g };
  const textNode = { parentNode: text }; // a DOM Text node has no getAttribute
  assert.equal(nodeIdOf(textNode, stop), "e3");
  assert.equal(nodeIdOf(text, stop), "e3");
  assert.equal(nodeIdOf(stop, stop), "");
  const loose = { getAttribute: () => null, parentNode: stop };
  assert.equal(nodeIdOf(loose, stop), "");
  assert.equal(nodeIdOf(null, stop), "");
});

test("nodeDetails of an equation: primitive, equation, types, edges, parameters", () => {
  const info = {
    id: "e4", kind: "eqn", batched: true, label: "mul\n(_, 2.0)", primitive: "mul",
    equation: "a:f32[] = mul b 2.0:f32[]", inputs: ["f32[]", "2.0"], outputs: ["f32[]"],
    from: [["e3", "f32[]"]], to: [["e5", "f32[]"]], params: [["out_dtype", "None"]],
  };
  assert.deepEqual(nodeDetails(info), [
    ["node", "e4 (eqn, batched)"],
    ["primitive", "mul"],
    ["equation", "a:f32[] = mul b 2.0:f32[]"],
    ["inputs", "f32[], 2.0"],
    ["outputs", "f32[]"],
    ["from", "e3 (f32[])"],
    ["to", "e5 (f32[])"],
    ["param out_dtype", "None"],
  ]);
});

test("nodeDetails of an input node shows its label; unknown ids show nothing", () => {
  const info = { id: "e1", kind: "input", batched: false, label: "<script>x</script>\nf32[]", from: [], to: [["e3", "f32[]"]] };
  assert.deepEqual(nodeDetails(info), [
    ["node", "e1 (input)"],
    ["label", "<script>x</script> f32[]"],
    ["to", "e3 (f32[])"],
  ]);
  assert.deepEqual(nodeDetails(undefined), []);
});

test("entryOptions numbers the cache entries", () => {
  assert.deepEqual(entryOptions([{ label: "f(f32[4])" }, { label: "f(f32[3])" }]), [
    { value: "0", text: "0: f(f32[4])" },
    { value: "1", text: "1: f(f32[3])" },
  ]);
  assert.deepEqual(entryOptions(undefined), []);
});

test("sliderStep: arrows, pages, ends; other keys are left alone", () => {
  assert.equal(sliderStep("2", "3", "ArrowRight"), 3);
  assert.equal(sliderStep("3", "3", "ArrowRight"), 3);
  assert.equal(sliderStep("0", "3", "ArrowLeft"), 0);
  assert.equal(sliderStep("5", "99", "PageUp"), 15);
  assert.equal(sliderStep("5", "99", "End"), 99);
  assert.equal(sliderStep("5", "99", "Home"), 0);
  assert.equal(sliderStep("5", "99", "a"), null);
});
