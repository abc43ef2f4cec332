// vmapviz widgets: one ES module for StateTable, AxisDiagram, JaxprGraph and Inspector.
//
// The named exports are pure functions over the widget's JSON (no DOM, no model);
// tests/browser/widget_logic.test.mjs runs them under `node --test`. The default
// export is anywidget's `render`, which only wires those functions to the DOM.
//
// Safety: every string that comes from the user (State names, labels, parameters) is
// put into the page with textContent. Only SVG produced by vmapviz's Python renderers
// (which escape their text) is inserted as markup.

// ------------------------------------------------------------------ pure logic

export const VIEWS = ["elementwise", "batched"];

export const VIEW_NAMES = {
  elementwise: "per-element",
  batched: "batched",
};

export const TAB_NAMES = {
  states: "States",
  axes: "Axes & lanes",
  graph: "Jaxpr graph",
  explain: "Explain",
};

/** The tabs a widget of this kind shows, in order. */
export function tabsFor(kind) {
  switch (kind) {
    case "inspector":
      return ["states", "axes", "graph", "explain"];
    case "table":
      return ["states"];
    case "axes":
      return ["axes"];
    case "graph":
      return ["graph"];
    default:
      return [];
  }
}

/** `value` as an integer in [0, count - 1] (0 when count < 1 or value is not a number). */
export function clampIndex(value, count) {
  const n = Math.floor(Number(value));
  if (!Number.isFinite(n) || count < 1) return 0;
  return Math.min(Math.max(n, 0), count - 1);
}

/**
 * A range slider's next value for a key: arrows step by one, PageUp / PageDown by ten,
 * Home / End to the ends; null for any other key (the browser keeps it).
 */
export function sliderStep(value, max, key) {
  const v = Math.floor(Number(value)) || 0;
  const top = Math.max(Math.floor(Number(max)) || 0, 0);
  const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
  if (key === "Home") return 0;
  if (key === "End") return top;
  if (!(key in steps)) return null;
  return Math.min(Math.max(v + steps[key], 0), top);
}

/** The entry shown: `entries[selected]`, clamped; null when there are none. */
export function entryAt(entries, selected) {
  if (!Array.isArray(entries) || entries.length === 0) return null;
  return entries[clampIndex(selected, entries.length)];
}

/**
 * What the lane panel shows for `lane`: clamped index, SVG, rows and a caption. Every
 * lane of the call can be chosen; the first ones are precomputed in `entry.lanes`, any
 * other comes from `drawn` (the widget's `lane_view`, drawn by the kernel on request).
 * Until it arrives, `pending` is true and `svg` / `rows` are null (keep the old picture).
 */
export function laneView(entry, lane, drawn, otherAxis) {
  const lanes = (entry && entry.lanes) || [];
  if (lanes.length === 0) {
    return { lane: 0, count: 0, max: 0, svg: "", rows: [], caption: "no lanes", pending: false };
  }
  const size = Math.max(Number(entry.axis_size) || 0, lanes.length);
  const i = clampIndex(lane, size);
  const other = otherAxis === undefined ? null : otherAxis;
  let pic = other === null ? lanes[i] || null : null;
  if (!pic && drawn && drawn.label === entry.label && drawn.lane === i
      && (drawn.other_axis === undefined ? null : drawn.other_axis) === other) pic = drawn;
  let caption = `lane ${i} of ${size} (0 to ${size - 1})`;
  if (!pic) caption += "; drawing this lane...";
  return {
    lane: i,
    count: size,
    max: size - 1,
    svg: pic ? pic.svg : null,
    rows: pic ? pic.rows : null,
    caption,
    pending: !pic,
  };
}

/** The choices of the "axis beside the batch axis" menu: [value, text]; null = last. */
export function otherAxisChoices(maxRank) {
  const out = [[null, "last axis"]];
  for (let a = -2; a >= -Math.floor(Number(maxRank) || 0); a--) out.push([a, `axis ${a}`]);
  return out;
}

export const DEFAULT_OPTIONS = {
  expand: [],
  collapse: [],
  fold_library: true,
  fold_repeats: true,
  group_states: false,
};

/** Graph options with every key, lists sorted and without repeats (as Python keeps them). */
export function normalOptions(options) {
  const o = { ...DEFAULT_OPTIONS, ...(options || {}) };
  const list = (xs) => [...new Set((xs || []).map(String))].sort();
  return {
    expand: list(o.expand),
    collapse: list(o.collapse),
    fold_library: Boolean(o.fold_library),
    fold_repeats: Boolean(o.fold_repeats),
    group_states: Boolean(o.group_states),
  };
}

export function sameOptions(a, b) {
  return JSON.stringify(normalOptions(a)) === JSON.stringify(normalOptions(b));
}

/**
 * Options after a click asks for `[action, path]`: 'expand' / 'unfold' open the place
 * (or undo a collapse of it), 'collapse' folds it (or undoes an expand of it).
 */
export function toggleOptions(options, toggle) {
  const o = normalOptions(options);
  if (!Array.isArray(toggle) || toggle.length !== 2) return o;
  const [action, path] = toggle;
  const without = (xs) => xs.filter((x) => x !== path);
  if (action === "collapse") {
    if (o.expand.includes(path)) o.expand = without(o.expand);
    else o.collapse = [...o.collapse, path];
  } else if (o.collapse.includes(path)) {
    o.collapse = without(o.collapse);
  } else {
    o.expand = [...o.expand, path];
  }
  return normalOptions(o);
}

/**
 * The graph view to show: the one asked for if present, else the first present one.
 * With other than the default `options` it is `drawn` (the kernel's `graph_drawn`) when
 * that was drawn for this entry, view and options; until then `pending` is true.
 */
export function graphView(entry, view, drawn, options) {
  const graphs = (entry && entry.graphs) || {};
  const name = graphs[view] ? view : VIEWS.find((v) => graphs[v]);
  if (!name) return null;
  let g = graphs[name];
  let pending = false;
  if (!sameOptions(options, DEFAULT_OPTIONS)) {
    const fits = drawn && drawn.label === entry.label && drawn.view === name
      && sameOptions(drawn.options, options);
    if (fits) g = drawn;
    else pending = true;
  }
  return {
    view: name,
    pending,
    svg: g.svg || "",
    hasSvg: typeof g.svg === "string" && g.svg.length > 0,
    dot: g.dot || "",
    error: g.error || "",
    nodes: g.nodes || {},
    clusters: g.clusters || {},
    legend: Array.isArray(g.legend) ? g.legend : [],
  };
}

/**
 * Ids of the nodes whose label or equation contains `query` (any case), in drawing
 * order (e1, e2, ..., e10); [] for an empty query.
 */
export function searchNodes(nodes, query) {
  const q = String(query || "").trim().toLowerCase();
  if (!q) return [];
  const number = (id) => Number(String(id).replace(/^\D+/, "")) || 0;
  return Object.values(nodes || {})
    .filter((n) => `${n.label || ""}\n${n.equation || ""}`.toLowerCase().includes(q))
    .map((n) => n.id)
    .sort((a, b) => number(a) - number(b));
}

export const ZOOM_LEVELS = [0.1, 0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4];

/** The next zoom level up (`direction` > 0) or down from `scale`. */
export function zoomStep(scale, direction) {
  const s = Number(scale) || 1;
  if (direction > 0) return ZOOM_LEVELS.find((z) => z > s * 1.001) || ZOOM_LEVELS.at(-1);
  return [...ZOOM_LEVELS].reverse().find((z) => z < s * 0.999) || ZOOM_LEVELS[0];
}

/** An SVG length ("919pt", "300px", "300") in CSS pixels; 0 when unreadable. */
export function svgLengthPx(text) {
  const m = /^\s*([0-9.]+)\s*(pt|px)?\s*$/.exec(String(text || ""));
  if (!m) return 0;
  return Number(m[1]) * (m[2] === "pt" ? 4 / 3 : 1);
}

/**
 * The graph node id of a clicked element: the `data-node` attribute of it or its
 * nearest ancestor, stopping at `stop` (the graph's container). Works on any object
 * with `getAttribute` and `parentNode`.
 */
export function nodeIdOf(target, stop) {
  for (let el = target; el && el !== stop; el = el.parentNode) {
    if (typeof el.getAttribute === "function") {
      const id = el.getAttribute("data-node");
      if (id) return id;
    }
  }
  return "";
}

function edgeText(edges) {
  return edges.map(([id, type]) => `${id} (${type})`).join(", ");
}

/**
 * Rows `[name, value]` describing one graph node: what it is, its equation, the
 * types in and out, the nodes it connects to, then one row per parameter.
 */
export function nodeDetails(info) {
  if (!info) return [];
  const label = String(info.label || "").split("\n");
  const rows = [["node", `${info.id} (${info.kind}${info.batched ? ", batched" : ""})`]];
  if (info.warning) rows.push(["warning", info.warning]);
  if (info.batching) rows.push(["vmap did", info.batching]);
  if (info.primitive) {
    rows.push(["primitive", info.primitive]);
    rows.push(["equation", info.equation || ""]);
    rows.push(["inputs", (info.inputs || []).join(", ") || "(none)"]);
    rows.push(["outputs", (info.outputs || []).join(", ") || "(none)"]);
  } else {
    rows.push(["label", label.join(" ")]);
  }
  if (Array.isArray(info.toggle)) {
    rows.push(["folded", `click the node to draw it open (path ${info.toggle[1]})`]);
  }
  if (info.from && info.from.length) rows.push(["from", edgeText(info.from)]);
  if (info.to && info.to.length) rows.push(["to", edgeText(info.to)]);
  for (const [name, value] of info.params || []) rows.push([`param ${name}`, value]);
  return rows;
}

// ------------------------------------------------------------------ keyboard

/**
 * WAI-ARIA tabs: the tab to go to from tab `index` of `count` for a key. ArrowRight /
 * ArrowLeft go to the next / previous tab, wrapping around; Home / End to the first /
 * last; null for any other key (the browser keeps it).
 */
export function tabStep(index, count, key) {
  const n = Math.max(Math.floor(Number(count)) || 0, 0);
  if (n === 0) return null;
  const i = clampIndex(index, n);
  switch (key) {
    case "ArrowRight":
      return (i + 1) % n;
    case "ArrowLeft":
      return (i - 1 + n) % n;
    case "Home":
      return 0;
    case "End":
      return n - 1;
    default:
      return null;
  }
}

/**
 * The next item focused among `count` items of a graph (nodes and foldable clusters, in
 * drawing order) for a key: ArrowRight / ArrowDown the next, ArrowLeft / ArrowUp the
 * previous (staying at the ends), Home / End the first / last; from none (`index` -1)
 * an arrow goes to the first. null for any other key.
 */
export function itemStep(index, count, key) {
  const n = Math.max(Math.floor(Number(count)) || 0, 0);
  if (n === 0) return null;
  const i = Math.floor(Number(index));
  const on = Number.isFinite(i) && i >= 0 && i < n;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return on ? Math.min(i + 1, n - 1) : 0;
    case "ArrowLeft":
    case "ArrowUp":
      return on ? Math.max(i - 1, 0) : 0;
    case "Home":
      return 0;
    case "End":
      return n - 1;
    default:
      return null;
  }
}

/**
 * Graph items (`n:<node id>`, `c:<cluster id>`) in the order the keyboard visits them:
 * nodes by number, as the jaxpr lists them (not as Graphviz writes them), then the
 * foldable clusters by number.
 */
export function drawingOrder(keys) {
  const number = (k) => Number(String(k).replace(/^\D+/, "")) || 0;
  const rank = (k) => (String(k).startsWith("n:") ? 0 : 1);
  return [...(keys || [])].sort((a, b) => rank(a) - rank(b) || number(a) - number(b));
}

const KIND_WORDS = { eqn: "equation", input: "input", output: "output", collapsed: "folded block" };

/**
 * What a screen reader says of a graph node: its label, what it is, and what its colour
 * and border say (batched, a random pitfall), then what Enter does.
 */
export function nodeLabel(info) {
  if (!info) return "";
  const parts = [String(info.label || info.id || "").split("\n").join(" ")];
  parts.push(KIND_WORDS[info.kind] || String(info.kind || "node"));
  if (info.batched) parts.push("carries the batch axis");
  if (info.warning) parts.push("random pitfall: the same draw in every lane");
  parts.push(Array.isArray(info.toggle) ? "Enter draws it open" : "Enter shows its details");
  return parts.join(", ");
}

// ------------------------------------------------------------------ stage stepper

/** What the stepper bar says while it is off. */
export const STAGE_HINT =
  "Step through the stages of this call: click a stage, or focus this bar and press \u2192 "
  + "(\u2190 \u2192 step, Home / End, Esc turns it off).";

/** The index of the stage called `name` in `stages` (-1: off, unknown or not in this call). */
export function stageIndex(stages, name) {
  const list = Array.isArray(stages) ? stages : [];
  const key = String(name ?? "").trim().replace(/-/g, "_");
  const i = key ? list.findIndex((s) => s && s.name === key) : -1;
  return i >= 0 && list[i].available !== false ? i : -1;
}

/**
 * The stage index after a key on the stepper bar (-1: off), or null for a key the bar
 * leaves alone. ArrowRight / ArrowLeft step to the next / previous stage the call has
 * (from off: the first / last), staying at the ends; Home / End go to the first / last;
 * Escape turns the stepper off; Enter or Space turn it on at the first stage.
 * `available[i] === false` marks a stage the call does not have (it is skipped).
 */
export function stageStep(index, count, key, available) {
  const n = Math.max(Math.floor(Number(count)) || 0, 0);
  const open = [...Array(n).keys()].filter((i) => !Array.isArray(available) || available[i] !== false);
  const i = Math.floor(Number(index));
  const on = Number.isFinite(i) && i >= 0 && i < n;
  if (key === "Escape") return on ? -1 : null;
  if (open.length === 0) return null;
  switch (key) {
    case "Home":
      return open[0];
    case "End":
      return open.at(-1);
    case "ArrowRight":
      return on ? open.find((j) => j > i) ?? i : open[0];
    case "ArrowLeft":
      return on ? [...open].reverse().find((j) => j < i) ?? i : open.at(-1);
    case "Enter":
    case " ":
      return on ? null : open[0];
    default:
      return null;
  }
}

/**
 * What the stepper bar shows: one button per stage (`name`, `title`, `available`,
 * `active`), the caption (the hint while off), and whether "previous" / "next" can move.
 */
export function stageBarView(entry, stage) {
  const stages = (entry && entry.stages) || [];
  const index = stageIndex(stages, stage);
  const open = stages.map((s, i) => (s.available !== false ? i : -1)).filter((i) => i >= 0);
  return {
    on: index >= 0,
    index,
    name: index >= 0 ? stages[index].name : "",
    caption: index >= 0 ? stages[index].caption : STAGE_HINT,
    buttons: stages.map((s, i) => ({
      name: s.name,
      title: s.title || s.name,
      available: s.available !== false,
      active: i === index,
    })),
    canPrev: open.length > 0 && (index < 0 || open[0] < index),
    canNext: open.length > 0 && (index < 0 || open.at(-1) > index),
  };
}

/**
 * What to highlight for `stage` (a name; null when the stepper is off): the States tab's
 * table rows (`labels`: first column), the lane table rows (`rows`: Name column), and
 * the graph nodes of the view shown (`nodes`). With other than the default graph
 * `options` the graph shown is `drawn` (the kernel's `graph_drawn`), whose own
 * `stages` name its nodes; none while it is being drawn.
 */
export function stageHighlights(entry, stage, view, drawn, options) {
  const stages = (entry && entry.stages) || [];
  const i = stageIndex(stages, stage);
  if (i < 0) return null;
  const s = stages[i];
  const g = graphView(entry, view, drawn, options);
  let nodes = [];
  if (g && !g.pending) {
    const source = sameOptions(options, DEFAULT_OPTIONS) ? s.nodes || {} : { [g.view]: (drawn.stages || {})[s.name] };
    nodes = source[g.view] || [];
  }
  return {
    index: i,
    name: s.name,
    title: s.title || s.name,
    caption: s.caption || "",
    tab: s.tab || "",
    labels: s.labels || [],
    rows: s.rows || [],
    nodes,
  };
}

/** Text of the entry selector: one option per cache entry. */
export function entryOptions(entries) {
  return (entries || []).map((e, i) => ({ value: String(i), text: `${i}: ${e.label}` }));
}

// ------------------------------------------------------------------ DOM helpers

function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A table of strings; each row tagged `data-label` with its cell `labelColumn` (if given). */
function tableEl(title, columns, rows, labelColumn) {
  const table = h("table", "vmapviz-table");
  if (title) table.appendChild(h("caption", "", title));
  if (columns.some((c) => c)) {
    const head = table.appendChild(h("thead")).appendChild(h("tr"));
    for (const c of columns) head.appendChild(h("th", "", c));
  }
  const body = table.appendChild(h("tbody"));
  if (rows.length === 0) {
    const td = body.appendChild(h("tr")).appendChild(h("td", "vmapviz-empty", "(none)"));
    td.colSpan = columns.length;
  }
  for (const row of rows) {
    const tr = body.appendChild(h("tr"));
    if (labelColumn !== undefined && row[labelColumn] !== undefined) tr.dataset.label = String(row[labelColumn]);
    row.forEach((cell, i) => {
      const cls = columns[i] === "Reason" ? "vmapviz-reason" : "";
      tr.appendChild(h("td", cls, cell));
    });
  }
  return table;
}

function svgBox(className, svg) {
  // SVG made by vmapviz's renderers (text escaped there); never user-supplied markup.
  const box = h("div", className);
  box.innerHTML = svg;
  return box;
}

function save(model, name, value) {
  if (model.get(name) === value) return;
  model.set(name, value);
  model.save_changes();
}

// ------------------------------------------------------------------ panels

function statesPanel(entry) {
  const panel = h("div", "vmapviz-panel vmapviz-states");
  for (const t of entry.tables || []) panel.appendChild(tableEl(t.title, t.columns, t.rows, 0));
  return panel;
}

function axesPanel(model, entry) {
  const panel = h("div", "vmapviz-panel vmapviz-axes");
  const bar = panel.appendChild(h("div", "vmapviz-bar"));
  bar.appendChild(h("span", "vmapviz-bar-label", "Lane"));
  const slider = bar.appendChild(h("input", "vmapviz-lane"));
  slider.type = "range";
  slider.min = "0";
  slider.step = "1";
  slider.setAttribute("aria-label", "lane");
  const caption = bar.appendChild(h("span", "vmapviz-lane-caption"));
  const choices = otherAxisChoices(entry.max_rank);
  const other = h("select", "vmapviz-other-axis");
  other.setAttribute("aria-label", "axis drawn beside the batch axis");
  choices.forEach(([value, text], i) => {
    const opt = other.appendChild(h("option", "", text));
    opt.value = String(i);
    opt.dataset.axis = value === null ? "" : String(value);
  });
  if (choices.length > 1) {
    const label = bar.appendChild(h("label", "vmapviz-other-label", "beside the batch axis: "));
    label.appendChild(other);
  }
  const rowsHost = panel.appendChild(h("div", "vmapviz-lane-rows"));
  const svgHost = panel.appendChild(h("div", "vmapviz-svg vmapviz-axis-svg"));

  function draw() {
    const otherAxis = model.get("other_axis");
    const v = laneView(entry, model.get("lane"), model.get("lane_view"), otherAxis);
    slider.max = String(v.max);
    slider.disabled = v.count <= 1;
    if (slider.value !== String(v.lane)) slider.value = String(v.lane);
    const at = choices.findIndex(([value]) => value === (otherAxis ?? null));
    other.value = String(Math.max(at, 0));
    caption.textContent = v.caption;
    panel.dataset.pending = String(v.pending);
    if (v.pending) return; // the kernel is drawing it: keep the last picture meanwhile
    panel.dataset.lane = String(v.lane);
    panel.dataset.otherAxis = otherAxis === null || otherAxis === undefined ? "" : String(otherAxis);
    rowsHost.replaceChildren(
      tableEl(`What lane ${v.lane} reads and writes`,
        ["Kind", "Name", "Lane reads", "Lane writes"], v.rows, 1));
    svgHost.replaceChildren(svgBox("vmapviz-svg-inner", v.svg));
  }
  slider.addEventListener("input", () => save(model, "lane", Number(slider.value)));
  other.addEventListener("change", () => {
    const value = choices[Number(other.value)];
    save(model, "other_axis", value ? value[0] : null);
  });
  draw();
  return {
    el: panel,
    events: { "change:lane": draw, "change:lane_view": draw, "change:other_axis": draw },
  };
}

function checkbox(bar, className, text, title) {
  const label = bar.appendChild(h("label", "vmapviz-check"));
  const box = label.appendChild(h("input", className));
  box.type = "checkbox";
  label.appendChild(document.createTextNode(` ${text}`));
  if (title) label.title = title;
  return box;
}

function button(bar, className, text, title) {
  const b = bar.appendChild(h("button", `vmapviz-toggle ${className}`, text));
  b.type = "button";
  if (title) b.title = title;
  return b;
}

/** Zoom and pan of the graph picture: "fit" (the panel's width) or a fixed scale. */
function zoomer(svgHost, zoomLabel) {
  let scale = null; // null: fit to the panel
  function natural() {
    const svg = svgHost.querySelector("svg");
    return svg ? svgLengthPx(svg.getAttribute("width")) : 0;
  }
  function apply() {
    const svg = svgHost.querySelector("svg");
    if (!svg) return;
    svgHost.classList.toggle("vmapviz-zoomed", scale !== null);
    svg.style.width = scale === null ? "" : `${Math.round(natural() * scale)}px`;
    zoomLabel.textContent = scale === null ? "fit" : `${Math.round(scale * 100)}%`;
  }
  function current() {
    if (scale !== null) return scale;
    const svg = svgHost.querySelector("svg");
    const width = natural();
    return svg && width ? svg.getBoundingClientRect().width / width : 1;
  }
  function zoom(direction) {
    scale = direction === 0 ? null : zoomStep(current(), direction);
    apply();
  }
  /** Before showing one node of a graph drawn too small to read: zoom to 100%. */
  function readable() {
    if (current() < 0.6) {
      scale = 1;
      apply();
    }
  }
  // Drag the background to pan a zoomed picture; Ctrl + wheel zooms.
  let drag = null;
  svgHost.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0 || nodeIdOf(ev.target, svgHost) || ev.target.closest("g.cluster")) return;
    drag = { x: ev.clientX, y: ev.clientY, left: svgHost.scrollLeft, top: svgHost.scrollTop };
  });
  svgHost.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    svgHost.scrollLeft = drag.left - (ev.clientX - drag.x);
    svgHost.scrollTop = drag.top - (ev.clientY - drag.y);
  });
  for (const name of ["pointerup", "pointerleave"]) svgHost.addEventListener(name, () => { drag = null; });
  svgHost.addEventListener("wheel", (ev) => {
    if (!ev.ctrlKey && !ev.metaKey) return;
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 1 : -1);
  }, { passive: false });
  return { zoom, apply, readable };
}

const FOCUSABLE = "g.node[data-node], g.cluster.vmapviz-foldable[data-cluster]";

/**
 * Keyboard access to the graph picture: its nodes and foldable clusters become buttons
 * with a name (`nodeLabel`) behind one tab stop (a roving tabindex: Tab enters at the
 * selected node, else the first); arrows move between them, Enter or Space acts as a
 * click (`act(element)`).
 */
function graphKeys(svgHost, act) {
  let current = ""; // "n:<node id>" or "c:<cluster id>": the item holding the tab stop
  const keyOf = (el) => (el.hasAttribute("data-node") ? `n:${el.getAttribute("data-node")}`
    : `c:${el.getAttribute("data-cluster")}`);
  const items = () => {
    const found = new Map([...svgHost.querySelectorAll(FOCUSABLE)].map((el) => [keyOf(el), el]));
    return drawingOrder([...found.keys()]).map((k) => found.get(k));
  };
  function hold(el) {
    for (const x of items()) x.setAttribute("tabindex", x === el ? "0" : "-1");
    current = keyOf(el);
  }
  function prepare(g, selected, focus) {
    const svg = svgHost.querySelector("svg");
    if (svg) svg.setAttribute("role", "group"); // its nodes are controls, not one image
    const list = items();
    for (const el of list) {
      el.setAttribute("role", "button");
      const id = el.getAttribute("data-node");
      const c = id ? null : g.clusters[el.getAttribute("data-cluster")];
      el.setAttribute("aria-label", id ? nodeLabel(g.nodes[id])
        : `cluster ${(c && c.label) || ""}, Enter folds or unfolds it`);
    }
    const first = list.find((el) => keyOf(el) === current)
      || list.find((el) => el.getAttribute("data-node") === selected)
      || list.find((el) => el.hasAttribute("data-node")) || list[0];
    if (!first) return;
    hold(first);
    if (focus) first.focus({ preventScroll: true });
  }
  function key(event) {
    const el = event.target && event.target.closest ? event.target.closest(FOCUSABLE) : null;
    if (!el || !svgHost.contains(el)) return false;
    if (event.key === "Enter" || event.key === " ") {
      hold(el);
      act(el);
      return true;
    }
    const list = items();
    const next = itemStep(list.indexOf(el), list.length, event.key);
    if (next === null) return false;
    hold(list[next]);
    list[next].focus();
    return true;
  }
  const holdsFocus = () => svgHost.contains(document.activeElement);
  return { prepare, key, holdsFocus };
}

function graphPanel(model, entry) {
  const panel = h("div", "vmapviz-panel vmapviz-graph");
  const bar = panel.appendChild(h("div", "vmapviz-bar"));
  bar.appendChild(h("span", "vmapviz-bar-label", "Jaxpr:"));
  const buttons = {};
  for (const v of VIEWS) {
    const b = button(bar, "vmapviz-view", VIEW_NAMES[v]);
    b.dataset.view = v;
    b.addEventListener("click", () => save(model, "view", v));
    buttons[v] = b;
  }
  const search = bar.appendChild(h("input", "vmapviz-search"));
  search.type = "search";
  search.placeholder = "find State, variable";
  search.setAttribute("aria-label", "find a State or variable among the nodes");
  const found = bar.appendChild(h("span", "vmapviz-found"));
  const options = panel.appendChild(h("div", "vmapviz-bar vmapviz-graph-options"));
  const zoomBox = options.appendChild(h("span", "vmapviz-zoom"));
  const zoomOut = button(zoomBox, "vmapviz-zoom-out", "\u2212", "zoom out (Ctrl + wheel)");
  const zoomLabel = button(zoomBox, "vmapviz-zoom-fit", "fit", "fit the panel's width");
  const zoomIn = button(zoomBox, "vmapviz-zoom-in", "+", "zoom in (Ctrl + wheel)");
  zoomOut.setAttribute("aria-label", "zoom out");
  zoomIn.setAttribute("aria-label", "zoom in");
  const group = checkbox(options, "vmapviz-group-states", "group by State path",
    "one cluster per State path (layers.3.*)");
  const plumbing = checkbox(options, "vmapviz-show-random", "draw random plumbing",
    "draw the insides of jax.random calls and key splitting");
  const repeats = checkbox(options, "vmapviz-fold-repeats", "fold repeated blocks",
    "draw a block repeated back to back once (x300)");
  const reset = button(options, "vmapviz-reset", "reset folding");
  panel.appendChild(h("div", "vmapviz-hint",
    "Click a node for its equation, a 3-D node to open it, an underlined cluster title to "
    + "fold or unfold it; drag to pan. Keyboard: Tab to the graph, arrows move between "
    + "nodes, Enter acts as a click."));
  const body = panel.appendChild(h("div", "vmapviz-graph-body"));
  const column = body.appendChild(h("div", "vmapviz-graph-column"));
  const svgHost = column.appendChild(h("div", "vmapviz-svg vmapviz-graph-svg"));
  const legend = column.appendChild(h("ul", "vmapviz-legend"));
  const info = body.appendChild(h("div", "vmapviz-node-info"));
  const zoom = zoomer(svgHost, zoomLabel);
  const keys = graphKeys(svgHost, (el) => act(el.getAttribute("data-node") || "",
    el.getAttribute("data-cluster") || ""));
  zoomOut.addEventListener("click", () => zoom.zoom(-1));
  zoomIn.addEventListener("click", () => zoom.zoom(1));
  zoomLabel.addEventListener("click", () => zoom.zoom(0));
  let matches = [];
  let at = -1;

  const shown = () => graphView(entry, model.get("view"), model.get("graph_drawn"),
    model.get("graph_options"));
  const setOptions = (next) => save(model, "graph_options", normalOptions(next));

  function mark(className, ids) {
    for (const el of svgHost.querySelectorAll(`g.node.${className}`)) el.classList.remove(className);
    const want = new Set(ids);
    for (const el of svgHost.querySelectorAll("g.node[data-node]")) {
      if (want.has(el.getAttribute("data-node"))) el.classList.add(className);
    }
  }

  function drawNode() {
    const g = shown();
    const id = model.get("node");
    const rows = g && !g.pending ? nodeDetails(g.nodes[id]) : [];
    mark("vmapviz-node-selected", rows.length ? [id] : []);
    if (rows.length === 0) {
      info.replaceChildren(h("p", "vmapviz-hint", "No node selected."));
      return;
    }
    info.replaceChildren(tableEl(`Node ${id}`, ["", ""], rows));
    const el = svgHost.querySelector(`g.node[data-node="${id}"]`);
    if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest", inline: "nearest" });
    if (info.scrollIntoView) info.scrollIntoView({ block: "nearest" });
  }

  function find() {
    const g = shown();
    matches = g && !g.pending ? searchNodes(g.nodes, search.value) : [];
    at = -1;
    mark("vmapviz-node-match", matches);
    found.textContent = search.value.trim() ? `${matches.length} found` : "";
  }

  function draw() {
    const g = shown();
    const opts = normalOptions(model.get("graph_options"));
    group.checked = opts.group_states;
    plumbing.checked = !opts.fold_library;
    repeats.checked = opts.fold_repeats;
    reset.disabled = sameOptions(opts, DEFAULT_OPTIONS);
    for (const v of VIEWS) {
      buttons[v].classList.toggle("vmapviz-active", g !== null && g.view === v);
      buttons[v].setAttribute("aria-pressed", String(g !== null && g.view === v));
    }
    panel.dataset.pending = String(Boolean(g && g.pending));
    if (g && g.pending) return; // the kernel is drawing it: keep the last picture meanwhile
    legend.replaceChildren(...((g && g.legend) || []).map((line) => h("li", "", line)));
    if (g === null) {
      svgHost.replaceChildren(h("p", "vmapviz-hint", "No graph."));
    } else if (g.hasSvg) {
      const focused = keys.holdsFocus();
      svgHost.replaceChildren(svgBox("vmapviz-svg-inner", g.svg));
      for (const el of svgHost.querySelectorAll("g.cluster[data-cluster]")) {
        const c = g.clusters[el.getAttribute("data-cluster")];
        if (c) el.classList.add("vmapviz-foldable");
      }
      keys.prepare(g, model.get("node"), focused);
      panel.dataset.view = g.view;
      zoom.apply();
    } else {
      // Graphviz `dot` is missing: show why, and the DOT source as text.
      svgHost.replaceChildren(h("p", "vmapviz-error", g.error), h("pre", "vmapviz-dot", g.dot));
      panel.dataset.view = g.view;
    }
    panel.dataset.nodes = String(Object.keys((g && g.nodes) || {}).length);
    find();
    drawNode();
  }
  /** A click (or Enter) on node `id` or cluster `clusterId`: open, fold or select it. */
  function act(id, clusterId) {
    const g = shown();
    if (!g || g.pending) return;
    const node = id ? g.nodes[id] : null;
    if (node && Array.isArray(node.toggle)) {
      setOptions(toggleOptions(model.get("graph_options"), node.toggle));
      return;
    }
    if (id) {
      save(model, "node", id);
      return;
    }
    const c = clusterId ? g.clusters[clusterId] : null;
    if (c) setOptions(toggleOptions(model.get("graph_options"), c.toggle));
  }
  svgHost.addEventListener("click", (ev) => {
    const cluster = ev.target.closest && ev.target.closest("g.cluster[data-cluster]");
    act(nodeIdOf(ev.target, svgHost), cluster ? cluster.getAttribute("data-cluster") : "");
  });
  search.addEventListener("input", find);
  search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || matches.length === 0) return;
    ev.preventDefault();
    at = (at + 1) % matches.length;
    found.textContent = `${at + 1} of ${matches.length}`;
    zoom.readable();
    save(model, "node", matches[at]);
    drawNode();
  });
  group.addEventListener("change", () => setOptions(
    { ...normalOptions(model.get("graph_options")), group_states: group.checked }));
  plumbing.addEventListener("change", () => setOptions(
    { ...normalOptions(model.get("graph_options")), fold_library: !plumbing.checked }));
  repeats.addEventListener("change", () => setOptions(
    { ...normalOptions(model.get("graph_options")), fold_repeats: repeats.checked }));
  reset.addEventListener("click", () => setOptions(DEFAULT_OPTIONS));
  draw();
  return {
    el: panel,
    events: {
      "change:view": draw, "change:node": drawNode, "change:graph_drawn": draw,
      "change:graph_options": draw,
    },
    key: keys.key,
  };
}

function explainPanel(entry) {
  const panel = h("div", "vmapviz-panel vmapviz-explain");
  panel.appendChild(h("pre", "vmapviz-explain-text", entry.explain || ""));
  return panel;
}

// ------------------------------------------------------------------ stage stepper (DOM)

const SVG_NS = "http://www.w3.org/2000/svg";

/** Tag the rows of `container`'s tables whose `data-label` is in `labels`. */
function markRows(container, labels) {
  if (!container) return;
  const want = new Set(labels || []);
  for (const tr of container.querySelectorAll("tr[data-label]")) {
    tr.classList.toggle("vmapviz-stage-hit", want.has(tr.dataset.label));
  }
}

/** A dashed ring and a star badge around one graph node (drawn only while it is shown). */
function ringNode(node) {
  let box = null;
  try {
    box = node.getBBox();
  } catch (err) {
    return; // not laid out (its panel is hidden): drawn when the panel is shown
  }
  if (!box || (box.width === 0 && box.height === 0)) return;
  const ring = document.createElementNS(SVG_NS, "g");
  ring.setAttribute("class", "vmapviz-stage-ring");
  const rect = ring.appendChild(document.createElementNS(SVG_NS, "rect"));
  const pad = 4;
  for (const [k, v] of [["x", box.x - pad], ["y", box.y - pad], ["width", box.width + 2 * pad],
    ["height", box.height + 2 * pad], ["rx", 6]]) rect.setAttribute(k, String(v));
  const badge = ring.appendChild(document.createElementNS(SVG_NS, "circle"));
  for (const [k, v] of [["cx", box.x - pad], ["cy", box.y - pad], ["r", 7]]) badge.setAttribute(k, String(v));
  const star = ring.appendChild(document.createElementNS(SVG_NS, "text"));
  for (const [k, v] of [["x", box.x - pad], ["y", box.y - pad + 3.5], ["text-anchor", "middle"]]) {
    star.setAttribute(k, String(v));
  }
  star.textContent = "\u2605";
  node.appendChild(ring);
}

/**
 * Tag the elements of `svgHost` matching `selector` whose `attr` is in `wanted`, and ring
 * them: the axis diagram's rows (`g.row[data-label]`), the graph's nodes (`g.node[data-node]`).
 */
function markAndRing(svgHost, selector, attr, wanted) {
  if (!svgHost) return;
  for (const el of svgHost.querySelectorAll(".vmapviz-stage-ring")) el.remove();
  const want = new Set(wanted || []);
  for (const g of svgHost.querySelectorAll(selector)) {
    const hit = want.has(g.getAttribute(attr));
    g.classList.toggle("vmapviz-stage-hit", hit);
    if (hit) ringNode(g);
  }
}

/**
 * The stepper bar above the tabs: "previous", one button per stage, "next", and the
 * caption of the stage shown. `highlight(hl)` marks the panels; `key(event)` handles the
 * bar's keys (true when it did).
 */
function stageBar(model, entry, highlight) {
  const stages = entry.stages || [];
  const bar = h("div", "vmapviz-stages");
  bar.tabIndex = 0;
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "stages of this call (arrow keys step, Escape turns off)");
  const row = bar.appendChild(h("div", "vmapviz-stage-row"));
  row.appendChild(h("span", "vmapviz-bar-label", "Stages:"));
  const prev = button(row, "vmapviz-stage-prev", "\u25C0 previous", "previous stage (\u2190)");
  const buttons = stages.map((s, i) => {
    const b = button(row, "vmapviz-stage", s.title || s.name, s.caption);
    b.dataset.stage = s.name;
    b.disabled = s.available === false;
    b.addEventListener("click", () => go(i));
    return b;
  });
  const next = button(row, "vmapviz-stage-next", "next \u25B6", "next stage (\u2192)");
  for (const b of [prev, ...buttons, next]) b.tabIndex = -1; // the bar takes the keys
  const caption = bar.appendChild(h("div", "vmapviz-stage-caption"));
  caption.setAttribute("aria-live", "polite");
  const available = stages.map((s) => s.available !== false);

  function current() {
    return stageIndex(stages, model.get("stage"));
  }
  function go(i) {
    const s = i >= 0 ? stages[i] : null;
    model.set("stage", s ? s.name : "");
    if (s && s.tab) model.set("tab", s.tab); // a step opens its tab; a tab click keeps the stage
    model.save_changes();
  }
  function step(key) {
    const i = stageStep(current(), stages.length, key, available);
    if (i !== null && i !== current()) go(i);
    return i !== null;
  }
  function draw() {
    const v = stageBarView(entry, model.get("stage"));
    bar.dataset.stage = v.name;
    caption.textContent = v.caption;
    v.buttons.forEach((b, i) => {
      buttons[i].classList.toggle("vmapviz-active", b.active);
      buttons[i].setAttribute("aria-pressed", String(b.active));
    });
    prev.disabled = !v.canPrev;
    next.disabled = !v.canNext;
    highlight();
  }
  prev.addEventListener("click", () => step("ArrowLeft"));
  next.addEventListener("click", () => step("ArrowRight"));
  // Pressing the bar itself (not one of its buttons) turns an off stepper on.
  bar.addEventListener("click", (ev) => {
    if (!ev.target.closest("button") && current() < 0) step("Enter");
  });
  function key(event) {
    if (!bar.contains(event.target)) return false;
    const onButton = event.target !== bar && event.target.closest("button");
    if ((event.key === "Enter" || event.key === " ") && onButton) return false; // a click
    if (!step(event.key)) return false;
    event.stopPropagation();
    event.preventDefault();
    return true;
  }
  draw();
  return { el: bar, draw, key };
}

// ------------------------------------------------------------------ widget

let widgets = 0; // numbers each widget drawn on the page: its tabs' and panels' ids

/** `panels` and their `buttons` as WAI-ARIA tabs: ids, roles, and who labels whom. */
function tabRoles(uid, tabs, panels, buttons) {
  for (const t of tabs) {
    const b = buttons[t];
    b.id = `vmapviz-${uid}-tab-${t}`;
    panels[t].id = `vmapviz-${uid}-panel-${t}`;
    b.setAttribute("aria-controls", panels[t].id);
    panels[t].setAttribute("role", "tabpanel");
    panels[t].setAttribute("aria-labelledby", b.id);
    // a panel of text only is a tab stop of its own (it can then scroll by keyboard)
    if (t === "states" || t === "explain") panels[t].tabIndex = 0;
  }
}

function render({ model, el }) {
  const root = h("div", "vmapviz-widget");
  // JupyterLab / Notebook 7 (Lumino) skip their keyboard shortcuts for events from inside
  // an element with this attribute: the lane slider keeps its arrow keys.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  // Some hosts (Notebook 7) still stop keys on their way down to the page, so the keys
  // of a slider inside this widget are handled here first, before anything else sees them.
  let stepper = null; // the Inspector's stage stepper, while one is drawn
  let keyed = []; // the tab bar's and the graph's key handlers: true when they took a key
  const uid = ++widgets;
  const onKey = (event) => {
    if (stepper && stepper.key(event)) return;
    const plain = !event.ctrlKey && !event.metaKey && !event.altKey; // Ctrl+Enter runs a cell
    if (plain && root.contains(event.target) && keyed.some((fn) => fn(event))) {
      event.stopPropagation();
      event.preventDefault();
      return;
    }
    const slider = event.target;
    if (!root.contains(slider) || !slider.matches || !slider.matches("input[type=range]")) return;
    const next = sliderStep(slider.value, slider.max, event.key);
    if (next === null) return;
    event.stopPropagation();
    event.preventDefault();
    slider.value = String(next);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  };
  window.addEventListener("keydown", onKey, true);
  el.appendChild(root);
  let bound = [];

  function unbind() {
    for (const [name, fn] of bound) model.off(name, fn);
    bound = [];
  }

  function bind(events) {
    for (const [name, fn] of Object.entries(events || {})) {
      model.on(name, fn);
      bound.push([name, fn]);
    }
  }

  function draw() {
    unbind();
    stepper = null;
    keyed = [];
    const kind = model.get("_kind");
    const entries = model.get("entries");
    const entry = entryAt(entries, model.get("selected"));
    root.className = `vmapviz-widget vmapviz-${kind}`;
    root.replaceChildren();
    if (entry === null) {
      root.appendChild(h("p", "vmapviz-hint", "Nothing inspected."));
      return;
    }
    const head = root.appendChild(h("div", "vmapviz-head"));
    head.appendChild(h("span", "vmapviz-title", entry.title));
    if (entries.length > 1) {
      const label = head.appendChild(h("label", "vmapviz-entry-label", "cache entry "));
      const select = label.appendChild(h("select", "vmapviz-entry"));
      for (const o of entryOptions(entries)) {
        const opt = select.appendChild(h("option", "", o.text));
        opt.value = o.value;
      }
      select.value = String(clampIndex(model.get("selected"), entries.length));
      select.addEventListener("change", () => save(model, "selected", Number(select.value)));
    }
    const tabs = tabsFor(kind);
    const stepHost = root.appendChild(h("div", "vmapviz-stepper"));
    const tabBar = tabs.length > 1 ? root.appendChild(h("div", "vmapviz-tabs")) : null;
    if (tabBar) tabBar.setAttribute("role", "tablist");
    const host = root.appendChild(h("div", "vmapviz-body"));
    const panels = {};
    const buttons = {};
    for (const t of tabs) {
      let panel;
      if (t === "states") panel = statesPanel(entry);
      else if (t === "axes") panel = axesPanel(model, entry);
      else if (t === "graph") panel = graphPanel(model, entry);
      else panel = explainPanel(entry);
      if (panel.events) {
        bind(panel.events);
        if (panel.key) keyed.push(panel.key);
        panel = panel.el;
      }
      panel.dataset.tab = t;
      panels[t] = host.appendChild(panel);
      if (tabBar) {
        const b = tabBar.appendChild(h("button", "vmapviz-tab", TAB_NAMES[t]));
        b.type = "button";
        b.dataset.tab = t;
        b.setAttribute("role", "tab");
        b.addEventListener("click", () => save(model, "tab", t));
        buttons[t] = b;
      }
    }
    function showTab() {
      const open = tabs.includes(model.get("tab")) ? model.get("tab") : tabs[0];
      for (const t of tabs) {
        panels[t].hidden = t !== open;
        if (buttons[t]) {
          buttons[t].classList.toggle("vmapviz-active", t === open);
          buttons[t].setAttribute("aria-selected", String(t === open));
          buttons[t].tabIndex = t === open ? 0 : -1; // one tab stop: arrows move between tabs
        }
      }
    }
    if (tabBar) {
      bind({ "change:tab": showTab });
      tabRoles(uid, tabs, panels, buttons);
      keyed.push((event) => {
        const i = tabBar.contains(event.target) ? tabs.indexOf(event.target.dataset.tab) : -1;
        const next = i < 0 ? null : tabStep(i, tabs.length, event.key);
        if (next === null) return false;
        save(model, "tab", tabs[next]); // automatic activation (WAI-ARIA tabs pattern)
        buttons[tabs[next]].focus();
        return true;
      });
    }
    showTab();
    if (kind === "inspector" && Array.isArray(entry.stages) && entry.stages.length) {
      const highlight = () => {
        const hl = stageHighlights(entry, model.get("stage"), model.get("view"),
          model.get("graph_drawn"), model.get("graph_options"));
        root.dataset.stage = hl ? hl.name : "";
        markRows(panels.states, hl ? hl.labels : []);
        markRows(panels.axes && panels.axes.querySelector(".vmapviz-lane-rows"), hl ? hl.rows : []);
        markAndRing(panels.axes && panels.axes.querySelector(".vmapviz-axis-svg"),
          "g.row[data-label]", "data-label", hl ? hl.rows : []);
        markAndRing(panels.graph && panels.graph.querySelector(".vmapviz-graph-svg"),
          "g.node[data-node]", "data-node", hl ? hl.nodes : []);
      };
      stepper = stageBar(model, entry, highlight);
      stepHost.appendChild(stepper.el);
      // Bound after the panels' own handlers: they redraw first, then the marks go on.
      const events = { "change:stage": stepper.draw };
      for (const name of ["tab", "lane", "lane_view", "other_axis", "view", "graph_drawn", "graph_options"]) {
        events[`change:${name}`] = highlight;
      }
      bind(events);
    } else {
      stepHost.remove();
    }
  }

  const redraw = ["change:entries", "change:selected"];
  for (const name of redraw) model.on(name, draw);
  draw();
  return () => {
    unbind();
    for (const name of redraw) model.off(name, draw);
    window.removeEventListener("keydown", onKey, true);
  };
}

export default { render };
