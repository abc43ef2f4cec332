// The pure functions of vmapviz/widgets/static/vmapviz.js, under `node --test`.
// Run from pytest by tests/test_widgets.py::test_widget_js_logic.
import assert from "node:assert/strict";
import test from "node:test";

import widget, {
  DEFAULT_OPTIONS,
  clampIndex,
  entryAt,
  entryOptions,
  graphView,
  laneView,
  normalOptions,
  otherAxisChoices,
  sameOptions,
  searchNodes,
  svgLengthPx,
  toggleOptions,
  zoomStep,
  sliderStep,
  nodeDetails,
  nodeIdOf,
  tabsFor,
  STAGE_HINT,
  stageBarView,
  stageHighlights,
  stageIndex,
  stageStep,
  tabStep,
  itemStep,
  nodeLabel,
  drawingOrder,
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

test("laneView with another axis beside the batch axis waits for the kernel's drawing", () => {
  const asked = laneView(entry, 1, {}, -2);
  assert.equal(asked.pending, true, "precomputed lanes show the last axis only");
  const drawn = { label: entry.label, lane: 1, other_axis: -2, svg: "<svg>t</svg>", rows: [] };
  assert.equal(laneView(entry, 1, drawn, -2).svg, "<svg>t</svg>");
  assert.equal(laneView(entry, 1, drawn, -3).pending, true);
  assert.equal(laneView(entry, 1, drawn, null).svg, "<svg>1</svg>");
  assert.equal(laneView(entry, 1, { ...drawn, other_axis: null }, undefined).svg, "<svg>1</svg>");
});

test("otherAxisChoices: the last axis, then -2 down to the deepest rank", () => {
  assert.deepEqual(otherAxisChoices(3), [[null, "last axis"], [-2, "axis -2"], [-3, "axis -3"]]);
  assert.deepEqual(otherAxisChoices(1), [[null, "last axis"]]);
  assert.deepEqual(otherAxisChoices(undefined), [[null, "last axis"]]);
});

test("graph options: normalised, compared, and toggled by clicks", () => {
  assert.deepEqual(normalOptions({}), DEFAULT_OPTIONS);
  assert.deepEqual(normalOptions({ expand: ["3", "1", "3"] }).expand, ["1", "3"]);
  assert.ok(sameOptions({ expand: [] }, undefined));
  assert.ok(!sameOptions({ group_states: true }, {}));
  const open = toggleOptions({}, ["expand", "0/0/5"]);
  assert.deepEqual(open.expand, ["0/0/5"]);
  assert.deepEqual(toggleOptions(open, ["collapse", "0/0/5"]).expand, [], "undoes the expand");
  const shut = toggleOptions({}, ["collapse", "0"]);
  assert.deepEqual(shut.collapse, ["0"]);
  assert.deepEqual(toggleOptions(shut, ["expand", "0"]).collapse, [], "undoes the collapse");
  assert.deepEqual(toggleOptions({}, ["unfold", "4"]).expand, ["4"]);
  assert.deepEqual(toggleOptions({ expand: ["2"] }, "nonsense").expand, ["2"]);
});

test("graphView waits for a graph drawn with other options, then shows it", () => {
  const options = { expand: ["0"] };
  assert.equal(graphView(entry, "elementwise", {}, DEFAULT_OPTIONS).pending, false);
  const waiting = graphView(entry, "elementwise", {}, options);
  assert.equal(waiting.pending, true);
  const drawn = { label: entry.label, view: "elementwise", options: normalOptions(options),
                  svg: "<svg>open</svg>", nodes: { e1: { id: "e1" }, e2: { id: "e2" } },
                  clusters: { ec1: { label: "scan", toggle: ["collapse", "0"] } } };
  const g = graphView(entry, "elementwise", drawn, options);
  assert.equal(g.pending, false);
  assert.equal(g.svg, "<svg>open</svg>");
  assert.deepEqual(Object.keys(g.clusters), ["ec1"]);
  assert.equal(graphView(entry, "elementwise", drawn, { expand: ["1"] }).pending, true);
  assert.equal(graphView(entry, "elementwise", { ...drawn, label: "x" }, options).pending, true);
});

test("searchNodes finds States and variables by label or equation, in drawing order", () => {
  const nodes = {
    e10: { id: "e10", label: "layers.3.W\nf32[16,16]" },
    e2: { id: "e2", label: "dot_general", equation: "c:f32[16] = dot_general a b" },
    e1: { id: "e1", label: "layers.0.W\nf32[16,16]" },
  };
  assert.deepEqual(searchNodes(nodes, "LAYERS"), ["e1", "e10"]);
  assert.deepEqual(searchNodes(nodes, "c:f32"), ["e2"]);
  assert.deepEqual(searchNodes(nodes, "  "), []);
  assert.deepEqual(searchNodes(nodes, "nothing"), []);
});

test("zoomStep walks the zoom levels; svgLengthPx reads Graphviz sizes", () => {
  assert.equal(zoomStep(1, 1), 1.25);
  assert.equal(zoomStep(1, -1), 0.8);
  assert.equal(zoomStep(0.9, 1), 1);
  assert.equal(zoomStep(4, 1), 4);
  assert.equal(zoomStep(0.1, -1), 0.1);
  assert.equal(svgLengthPx("918pt"), 1224);
  assert.equal(svgLengthPx("300px"), 300);
  assert.equal(svgLengthPx("300"), 300);
  assert.equal(svgLengthPx("100%"), 0);
});

// ------------------------------------------------------------------ stage stepper

const NAMES = ["cache", "discovery", "axes", "keys", "execution", "write_back"];
const staged = {
  ...entry,
  stages: NAMES.map((name) => ({
    name,
    title: name.replace("_", "-"),
    available: name !== "keys",
    caption: `${name.replace("_", "-")}: what it decided`,
    tab: { cache: "states", discovery: "states", execution: "graph" }[name] || "axes",
    labels: name === "write_back" ? ["count"] : [],
    rows: name === "write_back" ? ["count"] : [],
    nodes: name === "write_back" ? { elementwise: ["e5"], batched: ["b5"] } : { elementwise: [], batched: [] },
  })),
};
const NO_KEYS = NAMES.map((n) => n !== "keys");

test("stageStep: arrows step over a missing stage and stop at the ends", () => {
  assert.equal(stageStep(2, 6, "ArrowRight", NO_KEYS), 4, "axes -> execution: keys skipped");
  assert.equal(stageStep(4, 6, "ArrowLeft", NO_KEYS), 2, "execution -> axes: keys skipped");
  assert.equal(stageStep(2, 6, "ArrowRight"), 3, "with keys: axes -> keys");
  assert.equal(stageStep(5, 6, "ArrowRight", NO_KEYS), 5, "stays at the last stage");
  assert.equal(stageStep(0, 6, "ArrowLeft", NO_KEYS), 0, "stays at the first stage");
});

test("stageStep: from off, arrows and Enter turn the stepper on; Escape turns it off", () => {
  assert.equal(stageStep(-1, 6, "ArrowRight", NO_KEYS), 0);
  assert.equal(stageStep(-1, 6, "ArrowLeft", NO_KEYS), 5);
  assert.equal(stageStep(-1, 6, "Enter", NO_KEYS), 0);
  assert.equal(stageStep(-1, 6, " ", NO_KEYS), 0);
  assert.equal(stageStep(3, 6, "Enter"), null, "Enter on a stage is the button's click");
  assert.equal(stageStep(3, 6, "Escape"), -1);
  assert.equal(stageStep(-1, 6, "Escape"), null, "Escape while off is left to the page");
  assert.equal(stageStep(3, 6, "Home", [false, true, true, true, true, true]), 1);
  assert.equal(stageStep(0, 6, "End", [true, true, true, true, true, false]), 4);
  assert.equal(stageStep(1, 6, "a"), null);
  assert.equal(stageStep(-1, 0, "ArrowRight"), null, "no stages: nothing to step");
  assert.equal(stageStep(undefined, 6, "ArrowRight"), 0);
});

test("stageIndex: names (write-back too), off, unknown and missing stages", () => {
  assert.equal(stageIndex(staged.stages, "axes"), 2);
  assert.equal(stageIndex(staged.stages, "write-back"), 5);
  assert.equal(stageIndex(staged.stages, "write_back"), 5);
  assert.equal(stageIndex(staged.stages, ""), -1);
  assert.equal(stageIndex(staged.stages, "sort"), -1);
  assert.equal(stageIndex(staged.stages, "keys"), -1, "the call split no key");
  assert.equal(stageIndex(undefined, "axes"), -1);
});

test("stageBarView: buttons, caption, and whether previous / next can move", () => {
  const off = stageBarView(staged, "");
  assert.equal(off.on, false);
  assert.equal(off.caption, STAGE_HINT);
  assert.deepEqual(off.buttons.map((b) => b.available), NO_KEYS);
  assert.deepEqual(off.buttons.map((b) => b.title), ["cache", "discovery", "axes", "keys", "execution", "write-back"]);
  assert.equal(off.canPrev && off.canNext, true, "from off both turn it on");
  const first = stageBarView(staged, "cache");
  assert.equal(first.caption, "cache: what it decided");
  assert.deepEqual(first.buttons.map((b) => b.active), [true, false, false, false, false, false]);
  assert.equal(first.canPrev, false);
  assert.equal(first.canNext, true);
  const last = stageBarView(staged, "write_back");
  assert.equal(last.canNext, false);
  assert.equal(last.name, "write_back");
  assert.equal(stageBarView({}, "axes").buttons.length, 0);
});

test("stageHighlights: rows and the nodes of the view shown; none while off", () => {
  assert.equal(stageHighlights(staged, "", "elementwise"), null);
  const wb = stageHighlights(staged, "write_back", "elementwise", {}, DEFAULT_OPTIONS);
  assert.deepEqual(wb.labels, ["count"]);
  assert.deepEqual(wb.rows, ["count"]);
  assert.deepEqual(wb.nodes, ["e5"]);
  assert.equal(wb.tab, "axes");
  assert.equal(wb.caption, "write-back: what it decided");
  // the batched view has no SVG here but still has nodes (shown as DOT text)
  assert.deepEqual(stageHighlights(staged, "write_back", "batched").nodes, ["b5"]);
  assert.deepEqual(stageHighlights(staged, "axes", "elementwise").nodes, []);
});

test("stageHighlights on a graph drawn with other options uses that drawing's ids", () => {
  const options = { group_states: true };
  assert.deepEqual(stageHighlights(staged, "write_back", "elementwise", {}, options).nodes, [],
    "nothing while the kernel draws it");
  const drawn = { label: staged.label, view: "elementwise", options: normalOptions(options), svg: "<svg/>",
                  nodes: {}, stages: { write_back: ["e9"] } };
  assert.deepEqual(stageHighlights(staged, "write_back", "elementwise", drawn, options).nodes, ["e9"]);
  assert.deepEqual(stageHighlights(staged, "cache", "elementwise", drawn, options).nodes, []);
});

test("tabStep: arrows move between tabs and wrap around, Home / End, other keys left alone", () => {
  assert.equal(tabStep(0, 4, "ArrowRight"), 1);
  assert.equal(tabStep(3, 4, "ArrowRight"), 0, "wraps to the first");
  assert.equal(tabStep(0, 4, "ArrowLeft"), 3, "wraps to the last");
  assert.equal(tabStep(2, 4, "ArrowLeft"), 1);
  assert.equal(tabStep(2, 4, "Home"), 0);
  assert.equal(tabStep(1, 4, "End"), 3);
  assert.equal(tabStep(1, 4, "ArrowDown"), null, "a horizontal tab list leaves up / down");
  assert.equal(tabStep(1, 4, "Enter"), null, "Enter clicks the button itself");
  assert.equal(tabStep(0, 0, "ArrowRight"), null);
  assert.equal(tabStep(9, 4, "ArrowRight"), 0, "an index out of range is clamped first");
});

test("itemStep: graph nodes in order, stopping at the ends; from none the first", () => {
  assert.equal(itemStep(0, 3, "ArrowRight"), 1);
  assert.equal(itemStep(1, 3, "ArrowDown"), 2);
  assert.equal(itemStep(2, 3, "ArrowDown"), 2, "stays at the last");
  assert.equal(itemStep(2, 3, "ArrowUp"), 1);
  assert.equal(itemStep(0, 3, "ArrowLeft"), 0, "stays at the first");
  assert.equal(itemStep(-1, 3, "ArrowLeft"), 0);
  assert.equal(itemStep(1, 3, "Home"), 0);
  assert.equal(itemStep(0, 3, "End"), 2);
  assert.equal(itemStep(0, 3, "Tab"), null, "Tab leaves the graph");
  assert.equal(itemStep(0, 0, "ArrowDown"), null);
});

test("nodeLabel: what a screen reader says of a node, batched and pitfalls in words", () => {
  assert.equal(nodeLabel({ id: "e1", kind: "input", label: "argument d\nf32[]", batched: true }),
    "argument d f32[], input, carries the batch axis, Enter shows its details");
  assert.equal(nodeLabel({ id: "e3", kind: "eqn", label: "add", batched: false }),
    "add, equation, Enter shows its details");
  assert.equal(nodeLabel({ id: "e4", kind: "collapsed", label: "\u26a0 normal(key)", batched: true,
    warning: "normal(key) draws ...", toggle: ["expand", "2"] }),
  "\u26a0 normal(key), folded block, carries the batch axis, random pitfall: the same draw in "
    + "every lane, Enter draws it open");
  assert.equal(nodeLabel(undefined), "");
});

test("drawingOrder: nodes by number (e2 before e10), then foldable clusters", () => {
  assert.deepEqual(drawingOrder(["c:ec2", "n:e10", "n:e2", "c:ec1", "n:e1"]),
    ["n:e1", "n:e2", "n:e10", "c:ec1", "c:ec2"]);
  assert.deepEqual(drawingOrder([]), []);
  assert.deepEqual(drawingOrder(undefined), []);
});
