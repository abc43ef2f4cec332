// vmapviz exercise widget: questions about a mapped call, asked before the call is shown.
//
// The named exports are pure functions (no DOM, no model); tests/browser/
// exercise_logic.test.mjs runs them under `node --test`. The default export is
// anywidget's `render`, which wires them to the DOM.
//
// The kernel checks answers: the browser sets `answers` when the student presses Check
// (or Enter) and draws the `verdicts` the kernel sends back. The questions carry no
// answers. Every string (prompts, choices, State names, verdicts) goes into the page
// with textContent; the words come from the kernel (`texts`, `questions`, `verdicts`).

// ------------------------------------------------------------------ pure logic

const TYPED = /^[A-Za-z_][\w<>]*\s*\[([\s\S]*)\]$/;
const SPLIT = /[\s,x\u00d7*]+/;

/**
 * A typed shape, read leniently: "(4, 3)", "4,3", "4 x 3", "[4, 3]", "f32[4,3]", "()",
 * "f32[]", "scalar", or an array of ints. An array of ints, or null when it is not a
 * shape. The same rules as Python's `vmapviz.inspection._exercise.parse_shape`.
 */
export function parseShape(value) {
  if (Array.isArray(value)) {
    return value.every((d) => Number.isInteger(d) && d >= 0) ? value.slice() : null;
  }
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? [value] : null;
  if (typeof value !== "string") return null;
  let text = value.trim();
  if (text.toLowerCase() === "scalar") return [];
  const typed = TYPED.exec(text);
  if (typed) {
    text = typed[1];
  } else if (text.length >= 2 && ((text[0] === "(" && text.endsWith(")"))
                                  || (text[0] === "[" && text.endsWith("]")))) {
    text = text.slice(1, -1);
  } else if (!text) {
    return null;
  }
  const parts = text.trim().split(SPLIT).filter((p) => p);
  if (parts.length === 0 && text.trim()) return null; // only separators: "x", ","
  if (!parts.every((p) => /^[0-9]+$/.test(p))) return null;
  return parts.map(Number);
}

/** A shape as Python prints a tuple: "(4, 3)", "(4,)", "()". */
export function shapeText(shape) {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/** `template` with each "{name}" replaced by `values[name]`. */
export function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** What a typed answer reads as, shown live beside the field ("" while it is empty). */
export function readsAs(text, texts) {
  if (!String(text || "").trim()) return "";
  const shape = parseShape(text);
  if (shape === null) return fill(texts.unreadable || "not a shape yet", {});
  return fill(texts.reads_as || "reads as {shape}", { shape: shapeText(shape) });
}

/**
 * The answer the browser sends for `question` from what its form holds:
 * `form.checked` (one bool per choice), `form.chosen` (the index picked, -1: none),
 * `form.text` (the typed text). "many": the ticked choices, in order; "one": the choice
 * picked, or null; "text": the trimmed text.
 */
export function answerOf(question, form) {
  const choices = question.choices || [];
  if (question.input === "many") return choices.filter((c, i) => Boolean((form.checked || [])[i]));
  if (question.input === "one") {
    const i = Number.isInteger(form.chosen) ? form.chosen : -1;
    return i >= 0 && i < choices.length ? choices[i] : null;
  }
  return String(form.text || "").trim();
}

/** Null when `answer` can be checked, else the key of `texts` saying what is missing. */
export function missing(question, answer) {
  if (question.input === "one" && answer === null) return "pick_one";
  if (question.input === "text" && !answer) return "type_first";
  return null;
}

/** Whether two answers are the same (so that checking again changes nothing). */
export function sameAnswer(a, b) {
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

/** `answers` with `answer` for question `id` (a new object: the model sees a change). */
export function withAnswer(answers, id, answer) {
  return { ...(answers || {}), [id]: answer };
}

/**
 * How a question shows its verdict: `state` "open" (not checked yet), "right" or
 * "wrong"; a mark that does not rely on colour; the kernel's explanation.
 */
export function verdictView(verdict) {
  if (!verdict || typeof verdict.correct !== "boolean") return { state: "open", mark: "", text: "" };
  return {
    state: verdict.correct ? "right" : "wrong",
    mark: verdict.correct ? "\u2713" : "\u2717",
    text: String(verdict.explanation || ""),
  };
}

/** The next radio index for an arrow key (wrapping, as browsers do), or null. */
export function choiceStep(index, count, key) {
  if (count < 1) return null;
  const i = Number.isInteger(index) && index >= 0 ? index : 0;
  if (key === "ArrowDown" || key === "ArrowRight") return (i + 1) % count;
  if (key === "ArrowUp" || key === "ArrowLeft") return (i - 1 + count) % count;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return null;
}

/** "2 of 4 checked, 1 right". */
export function progress(questions, verdicts, texts) {
  const ids = (questions || []).map((q) => q.id);
  const checked = ids.filter((id) => verdicts && verdicts[id]);
  const right = checked.filter((id) => verdicts[id].correct === true);
  return fill(texts.progress || "{checked} of {total} checked, {right} right",
    { checked: checked.length, total: ids.length, right: right.length });
}

/** What the reveal / run controls show: `{revealLabel, revealDisabled, runHidden, runDisabled, status}`. */
export function actionsView(revealed, canRun, ran, running, texts) {
  return {
    revealLabel: revealed ? texts.revealed : texts.reveal,
    revealDisabled: Boolean(revealed),
    runHidden: !(revealed && canRun),
    runDisabled: Boolean(ran || running),
    status: ran ? texts.ran : "",
  };
}

// ------------------------------------------------------------------ DOM helpers

function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function button(className, text) {
  const b = h("button", `vmapviz-ex-button ${className}`, text);
  b.type = "button";
  return b;
}

let views = 0; // numbers each view, so ids and radio names are unique in the page

function choicesEl(q, prefix) {
  const box = h("div", "vmapviz-ex-choices");
  box.setAttribute("role", q.input === "one" ? "radiogroup" : "group");
  const inputs = q.choices.map((c, i) => {
    const label = box.appendChild(h("label", "vmapviz-ex-choice"));
    const input = label.appendChild(h("input", "vmapviz-ex-input"));
    input.type = q.input === "one" ? "radio" : "checkbox";
    input.name = prefix;
    input.value = String(i);
    label.appendChild(h("span", "", c));
    return input;
  });
  return { box, inputs };
}

function questionEl(q, prefix, texts) {
  const item = h("li", "vmapviz-ex-question");
  item.dataset.id = q.id;
  item.dataset.kind = q.kind;
  item.dataset.input = q.input;
  item.dataset.state = "open";
  const set = item.appendChild(h("fieldset", "vmapviz-ex-fieldset"));
  const legend = set.appendChild(h("legend", "vmapviz-ex-prompt", q.prompt));
  legend.id = `${prefix}-prompt`;
  const form = { q, item, inputs: [], text: null, reads: null };
  if (q.input === "text") {
    const row = set.appendChild(h("div", "vmapviz-ex-typed"));
    form.text = row.appendChild(h("input", "vmapviz-ex-text vmapviz-ex-input"));
    form.text.type = "text";
    form.text.autocomplete = "off";
    form.text.spellcheck = false;
    form.text.setAttribute("aria-labelledby", legend.id);
    form.reads = row.appendChild(h("span", "vmapviz-ex-reads"));
    form.text.addEventListener("input", () => { form.reads.textContent = readsAs(form.text.value, texts); });
  } else {
    const { box, inputs } = choicesEl(q, prefix);
    set.appendChild(box);
    form.inputs = inputs;
  }
  if (q.hint) {
    const hint = set.appendChild(h("p", "vmapviz-ex-hint", q.hint));
    hint.id = `${prefix}-hint`;
    if (form.text) form.text.setAttribute("aria-describedby", hint.id);
  }
  const row = set.appendChild(h("div", "vmapviz-ex-row"));
  form.check = row.appendChild(button("vmapviz-ex-check", texts.check || "Check"));
  form.check.setAttribute("aria-describedby", legend.id);
  form.verdict = set.appendChild(h("p", "vmapviz-ex-verdict"));
  form.verdict.setAttribute("role", "status");
  form.verdict.setAttribute("aria-live", "polite");
  return form;
}

function readForm(form) {
  if (form.text) return { text: form.text.value };
  return { checked: form.inputs.map((i) => i.checked), chosen: form.inputs.findIndex((i) => i.checked) };
}

// ------------------------------------------------------------------ widget

function render({ model, el }) {
  const view = ++views;
  const root = h("div", "vmapviz-exercise");
  // JupyterLab / Notebook 7 (Lumino) skip their shortcuts for keys from inside this.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  el.appendChild(root);
  const texts = () => model.get("texts") || {};
  let forms = {};
  let running = false;
  let parts = null;

  function check(id) {
    const form = forms[id];
    if (!form) return;
    const answer = answerOf(form.q, readForm(form));
    const lack = missing(form.q, answer);
    if (lack) {
      form.item.dataset.state = "open";
      form.verdict.textContent = texts()[lack] || "";
      return;
    }
    const answers = model.get("answers") || {};
    if (id in answers && sameAnswer(answers[id], answer)) {
      drawVerdicts(); // the same answer: its verdict again (and the note of a missing one gone)
      return;
    }
    model.set("answers", withAnswer(answers, id, answer));
    model.save_changes();
  }

  function drawVerdicts() {
    const verdicts = model.get("verdicts") || {};
    for (const [id, form] of Object.entries(forms)) {
      const v = verdictView(verdicts[id]);
      form.item.dataset.state = v.state;
      form.verdict.replaceChildren();
      if (v.mark) form.verdict.appendChild(h("span", "vmapviz-ex-mark", `${v.mark} `));
      if (v.text) form.verdict.appendChild(document.createTextNode(v.text));
    }
    if (parts) parts.progress.textContent = progress(model.get("questions"), verdicts, texts());
  }

  function drawActions() {
    if (!parts) return;
    const a = actionsView(model.get("revealed"), model.get("can_run"), model.get("ran"), running, texts());
    parts.reveal.textContent = a.revealLabel;
    parts.reveal.disabled = a.revealDisabled;
    parts.run.hidden = a.runHidden;
    parts.run.disabled = a.runDisabled;
    parts.status.textContent = a.status;
    root.dataset.revealed = String(Boolean(model.get("revealed")));
  }

  function draw() {
    const t = texts();
    root.replaceChildren();
    forms = {};
    const head = root.appendChild(h("div", "vmapviz-ex-head"));
    head.appendChild(h("span", "vmapviz-ex-title", t.heading || ""));
    head.appendChild(h("span", "vmapviz-ex-call", model.get("title")));
    const prog = head.appendChild(h("span", "vmapviz-ex-progress"));
    prog.setAttribute("aria-live", "polite");
    root.appendChild(h("p", "vmapviz-ex-intro", t.intro || ""));
    const list = root.appendChild(h("ol", "vmapviz-ex-questions"));
    (model.get("questions") || []).forEach((q, i) => {
      const form = questionEl(q, `vmapviz-ex-${view}-${i}`, t);
      list.appendChild(form.item);
      form.check.addEventListener("click", () => check(q.id));
      forms[q.id] = form;
    });
    const actions = root.appendChild(h("div", "vmapviz-ex-actions"));
    const reveal = actions.appendChild(button("vmapviz-ex-reveal", t.reveal || ""));
    reveal.addEventListener("click", () => { model.set("revealed", true); model.save_changes(); });
    const run = actions.appendChild(button("vmapviz-ex-run", t.run || ""));
    run.addEventListener("click", () => { running = true; drawActions(); model.send({ type: "run" }); });
    const status = actions.appendChild(h("span", "vmapviz-ex-status"));
    status.setAttribute("role", "status");
    parts = { progress: prog, reveal, run, status };
    drawVerdicts();
    drawActions();
  }

  // Keys inside the widget are its own: Enter checks the question it is in (or presses
  // the focused button), arrows move between a question's radio buttons, and no other key
  // reaches the notebook's shortcuts (some hosts stop keys on their way down, so this
  // listens first, on the window). Tab, Escape and keys with modifiers pass.
  const onKey = (event) => {
    const target = event.target;
    if (!root.contains(target) || event.key === "Tab" || event.key === "Escape") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const item = target.closest(".vmapviz-ex-question");
    let handled = false;
    if (event.key === "Enter") {
      if (target.matches("button")) target.click();
      else if (item && target.matches("input")) check(item.dataset.id);
      handled = target.matches("button, input");
    } else if (item && target.matches("input[type=radio]")) {
      const radios = [...item.querySelectorAll("input[type=radio]")];
      const next = choiceStep(radios.indexOf(target), radios.length, event.key);
      if (next !== null) {
        radios[next].checked = true;
        radios[next].focus();
        handled = true;
      }
    }
    event.stopPropagation();
    if (handled) event.preventDefault();
  };
  window.addEventListener("keydown", onKey, true);

  const onRan = () => { running = false; drawActions(); };
  model.on("change:questions", draw);
  model.on("change:verdicts", drawVerdicts);
  model.on("change:revealed", drawActions);
  model.on("change:ran", onRan);
  model.on("change:can_run", drawActions);
  draw();
  return () => {
    window.removeEventListener("keydown", onKey, true);
    model.off("change:questions", draw);
    model.off("change:verdicts", drawVerdicts);
    model.off("change:revealed", drawActions);
    model.off("change:ran", onRan);
    model.off("change:can_run", drawActions);
  };
}

export default { render };
