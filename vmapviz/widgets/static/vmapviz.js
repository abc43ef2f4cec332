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
export function laneView(entry, lane, drawn) {
  const lanes = (entry && entry.lanes) || [];
  if (lanes.length === 0) {
    return { lane: 0, count: 0, max: 0, svg: "", rows: [], caption: "no lanes", pending: false };
  }
  const size = Math.max(Number(entry.axis_size) || 0, lanes.length);
  const i = clampIndex(lane, size);
  let pic = lanes[i] || null;
  if (!pic && drawn && drawn.label === entry.label && drawn.lane === i) pic = drawn;
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

/** The graph view to show: the one asked for if present, else the first present one. */
export function graphView(entry, view) {
  const graphs = (entry && entry.graphs) || {};
  const name = graphs[view] ? view : VIEWS.find((v) => graphs[v]);
  if (!name) return null;
  const g = graphs[name];
  return {
    view: name,
    svg: g.svg || "",
    hasSvg: typeof g.svg === "string" && g.svg.length > 0,
    dot: g.dot || "",
    error: g.error || "",
    nodes: g.nodes || {},
    legend: Array.isArray(g.legend) ? g.legend : [],
  };
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
  if (info.primitive) {
    rows.push(["primitive", info.primitive]);
    rows.push(["equation", info.equation || ""]);
    rows.push(["inputs", (info.inputs || []).join(", ") || "(none)"]);
    rows.push(["outputs", (info.outputs || []).join(", ") || "(none)"]);
  } else {
    rows.push(["label", label.join(" ")]);
  }
  if (info.from && info.from.length) rows.push(["from", edgeText(info.from)]);
  if (info.to && info.to.length) rows.push(["to", edgeText(info.to)]);
  for (const [name, value] of info.params || []) rows.push([`param ${name}`, value]);
  return rows;
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

function tableEl(title, columns, rows) {
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
  for (const t of entry.tables || []) panel.appendChild(tableEl(t.title, t.columns, t.rows));
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
  const rowsHost = panel.appendChild(h("div", "vmapviz-lane-rows"));
  const svgHost = panel.appendChild(h("div", "vmapviz-svg vmapviz-axis-svg"));

  function draw() {
    const v = laneView(entry, model.get("lane"), model.get("lane_view"));
    slider.max = String(v.max);
    slider.disabled = v.count <= 1;
    if (slider.value !== String(v.lane)) slider.value = String(v.lane);
    caption.textContent = v.caption;
    panel.dataset.pending = String(v.pending);
    if (v.pending) return; // the kernel is drawing it: keep the last picture meanwhile
    panel.dataset.lane = String(v.lane);
    rowsHost.replaceChildren(
      tableEl(`What lane ${v.lane} reads and writes`,
        ["Kind", "Name", "Lane reads", "Lane writes"], v.rows));
    svgHost.replaceChildren(svgBox("vmapviz-svg-inner", v.svg));
  }
  slider.addEventListener("input", () => save(model, "lane", Number(slider.value)));
  draw();
  return { el: panel, events: { "change:lane": draw, "change:lane_view": draw } };
}

function graphPanel(model, entry) {
  const panel = h("div", "vmapviz-panel vmapviz-graph");
  const bar = panel.appendChild(h("div", "vmapviz-bar"));
  bar.appendChild(h("span", "vmapviz-bar-label", "Jaxpr:"));
  const buttons = {};
  for (const v of VIEWS) {
    const b = bar.appendChild(h("button", "vmapviz-toggle", VIEW_NAMES[v]));
    b.type = "button";
    b.dataset.view = v;
    b.addEventListener("click", () => save(model, "view", v));
    buttons[v] = b;
  }
  bar.appendChild(h("span", "vmapviz-hint", "click a node to see its equation"));
  const body = panel.appendChild(h("div", "vmapviz-graph-body"));
  const column = body.appendChild(h("div", "vmapviz-graph-column"));
  const svgHost = column.appendChild(h("div", "vmapviz-svg vmapviz-graph-svg"));
  const legend = column.appendChild(h("ul", "vmapviz-legend"));
  const info = body.appendChild(h("div", "vmapviz-node-info"));

  function drawNode() {
    const g = graphView(entry, model.get("view"));
    const id = model.get("node");
    for (const el of svgHost.querySelectorAll("g.node.vmapviz-node-selected")) {
      el.classList.remove("vmapviz-node-selected");
    }
    const rows = g ? nodeDetails(g.nodes[id]) : [];
    if (rows.length === 0) {
      info.replaceChildren(h("p", "vmapviz-hint", "No node selected."));
      return;
    }
    for (const el of svgHost.querySelectorAll("g.node[data-node]")) {
      if (el.getAttribute("data-node") === id) el.classList.add("vmapviz-node-selected");
    }
    info.replaceChildren(tableEl(`Node ${id}`, ["", ""], rows));
  }

  function draw() {
    const g = graphView(entry, model.get("view"));
    for (const v of VIEWS) {
      buttons[v].classList.toggle("vmapviz-active", g !== null && g.view === v);
      buttons[v].setAttribute("aria-pressed", String(g !== null && g.view === v));
    }
    legend.replaceChildren(...((g && g.legend) || []).map((line) => h("li", "", line)));
    if (g === null) {
      svgHost.replaceChildren(h("p", "vmapviz-hint", "No graph."));
    } else if (g.hasSvg) {
      svgHost.replaceChildren(svgBox("vmapviz-svg-inner", g.svg));
      panel.dataset.view = g.view;
    } else {
      // Graphviz `dot` is missing: show why, and the DOT source as text.
      svgHost.replaceChildren(h("p", "vmapviz-error", g.error), h("pre", "vmapviz-dot", g.dot));
      panel.dataset.view = g.view;
    }
    drawNode();
  }
  svgHost.addEventListener("click", (ev) => {
    const id = nodeIdOf(ev.target, svgHost);
    if (id) save(model, "node", id);
  });
  draw();
  return { el: panel, events: { "change:view": draw, "change:node": drawNode } };
}

function explainPanel(entry) {
  const panel = h("div", "vmapviz-panel vmapviz-explain");
  panel.appendChild(h("pre", "vmapviz-explain-text", entry.explain || ""));
  return panel;
}

// ------------------------------------------------------------------ widget

function render({ model, el }) {
  const root = h("div", "vmapviz-widget");
  // JupyterLab / Notebook 7 (Lumino) skip their keyboard shortcuts for events from inside
  // an element with this attribute: the lane slider keeps its arrow keys.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  // Some hosts (Notebook 7) still stop keys on their way down to the page, so the keys
  // of a slider inside this widget are handled here first, before anything else sees them.
  const onKey = (event) => {
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
        }
      }
    }
    if (tabBar) bind({ "change:tab": showTab });
    showTab();
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
