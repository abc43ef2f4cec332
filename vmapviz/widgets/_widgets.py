"""The widgets: StateTable, AxisDiagram, JaxprGraph, and the Inspector that holds all three.

Each is an ``anywidget.AnyWidget`` whose front end is ``static/vmapviz.js`` (one
ES module; the ``_kind`` trait says which view to draw). State travels only as
traitlets of JSON: ``entries`` (one dict per inspected call, see
:func:`~vmapviz.widgets._payload.entry_payload`) and small selection traits
(``selected``, ``lane``, ``view``, ``tab``, ``node``) that both sides may change.

Every widget also shows itself without a kernel: ``_repr_mimebundle_`` adds a
deterministic ``text/plain`` and a static ``text/html`` (the renderers' tables and
SVG, no script) to the widget view.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value * 2
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> Inspector([f.inspect(jnp.arange(4.0))])
Inspector(mapping='step', lanes=4, states=['count'])
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable
from typing import Any

import anywidget
import traitlets

from ..render._escape import html_escape
from ..render._options import GraphOptions
from ..render.html import to_html
from ._payload import GRAPH_VIEWS, PARTS, _plain, entry_payload, graph_payload, lane_payload
from ._stages import STAGE_TABS, check_stage, stage_nodes

__all__ = ["AxisDiagram", "Inspector", "JaxprGraph", "StateTable"]

STATIC = pathlib.Path(__file__).parent / "static"

_VIEW_NAMES = {"elementwise": "per-element jaxpr (one lane)", "batched": "batched jaxpr"}
TABS = ("states", "axes", "graph", "explain")
#: The static fallback's own style (headings); the renderers bring theirs.
STATIC_STYLE = ("<style>.vmapviz-static { font-family: system-ui, sans-serif; font-size: 13px; }"
                " .vmapviz-static h4 { margin: 0.8em 0 0.3em 0; }</style>")


class _ReportWidget(anywidget.AnyWidget):
    """Shared machinery: a list of inspected calls, one selected."""

    _esm = STATIC / "vmapviz.js"
    _css = STATIC / "vmapviz.css"

    _kind = traitlets.Unicode("").tag(sync=True)
    #: One JSON dict per inspected call (cache entry); see ``entry_payload``.
    entries = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: Index of the entry shown.
    selected = traitlets.Int(0).tag(sync=True)

    _parts: tuple[str, ...] = PARTS

    def __init__(self, reports: Any, labels: Iterable[str] | None = None, *,
                 mapping: Any = None, **kwargs: Any):
        reports = [reports] if hasattr(reports, "records") else list(reports)
        if not reports:
            raise ValueError(f"{type(self).__name__} needs at least one report, got none. "
                             "Make one with mapping.inspect(*args).")
        labels = [None] * len(reports) if labels is None else list(labels)
        if len(labels) != len(reports):
            raise ValueError(f"{type(self).__name__}: got {len(reports)} reports but "
                             f"{len(labels)} labels.")
        self._reports = reports
        self._mapping = mapping
        entries = [entry_payload(r, self._parts, lab) for r, lab in zip(reports, labels)]
        super().__init__(entries=entries, **kwargs)

    # ------------------------------------------------------------------ Python API

    @property
    def reports(self) -> tuple:
        """The :class:`~vmapviz.inspection.Report` of each entry."""
        return tuple(self._reports)

    @property
    def report(self) -> Any:
        """The report of the selected entry."""
        return self._reports[self.selected]

    @property
    def entry(self) -> dict:
        """The JSON of the selected entry."""
        return self.entries[self.selected]

    def add(self, report: Any, label: str | None = None, select: bool = True) -> int:
        """Append one report as a new entry; returns its index (and selects it)."""
        self._reports.append(report)
        self.entries = [*self.entries, entry_payload(report, self._parts, label)]
        index = len(self.entries) - 1
        if select:
            self.selected = index
        return index

    @traitlets.validate("selected")
    def _check_selected(self, proposal: Any) -> int:
        value = proposal["value"]
        if not 0 <= value < max(len(self.entries), 1):
            raise traitlets.TraitError(
                f"{type(self).__name__}.selected: expected an entry index in "
                f"[0, {len(self.entries)}), got {value}.")
        return value

    # ------------------------------------------------------------------ display

    def _summary(self) -> list[str]:
        e = self.entry
        return [f"mapping={e['mapping']!r}"]

    def __repr__(self) -> str:
        parts = self._summary()
        if len(self.entries) > 1:
            parts[1:1] = [f"entries={len(self.entries)}", f"selected={self.selected}"]
        return f"{type(self).__name__}({', '.join(parts)})"

    def _static_body(self) -> list[str]:
        raise NotImplementedError

    def static_html(self) -> str:
        """What the widget shows without a kernel: renderer HTML and SVG, no script."""
        parts = [f'<div class="vmapviz-static vmapviz-static-{self._kind}">', STATIC_STYLE]
        if len(self.entries) > 1:
            parts.append(f"<p>Cache entry {self.selected + 1} of {len(self.entries)}: "
                         f"<code>{html_escape(self.entry['label'])}</code></p>")
        parts += self._static_body()
        parts.append("</div>")
        return "\n".join(parts) + "\n"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data = {**data, "text/plain": repr(self), "text/html": self.static_html()}
        return data, metadata


def _lane_count(entry: dict) -> int:
    return max(entry.get("axis_size", 1), 1)


def _axes_html(entry: dict, lane: int, report: Any, other_axis: int | None) -> list[str]:
    lanes = entry["lanes"]
    lane = min(max(lane, 0), _lane_count(entry) - 1)
    if lane < len(lanes) and other_axis is None:
        svg = lanes[lane]["svg"]
    else:
        svg = _plain(lane_payload(report, lane, other_axis))["svg"]
    return [f"<h4>Axis diagram: lane {lane} of {entry['axis_size']}</h4>", svg]


def _graph_html(g: dict, view: str) -> list[str]:
    out = [f"<h4>Graph: {html_escape(_VIEW_NAMES[view])}</h4>"]
    if g["svg"] is not None:
        out.append(g["svg"])
    else:
        out += [f"<p>{html_escape(g['error'] or '')}</p>",
                f"<pre>{html_escape(g['dot'])}</pre>"]
    legend = "".join(f"<li>{html_escape(line)}</li>" for line in g.get("legend", ()))
    return out + ([f"<ul>{legend}</ul>"] if legend else [])


class StateTable(_ReportWidget):
    """The States, argument/output and random-key tables of a report.

    >>> import jax.numpy as jnp
    >>> from vmapviz.transform import vmap2
    >>> StateTable(vmap2(lambda x: x * 2).inspect(jnp.ones(3)))
    StateTable(mapping='<lambda>', states=[])
    """

    _kind = traitlets.Unicode("table").tag(sync=True)
    _parts = ("tables",)

    def _summary(self) -> list[str]:
        return [*super()._summary(), f"states={self.entry['states']!r}"]

    def _static_body(self) -> list[str]:
        return [to_html(self.report)]


class AxisDiagram(_ReportWidget):
    """Where every argument, State and output carries the batch axis, lane by lane.

    ``lane`` picks the highlighted lane (a slider in the view, any lane of the call);
    the first lanes' diagrams are precomputed, any other is drawn when it is selected
    and sent as ``lane_view``, so the widget's state stays small for many lanes.
    ``other_axis`` (None, or -2, -3, ...: counted from the end) picks the axis drawn
    beside the batch axis, such as a time axis; a menu in the view sets it.
    """

    _kind = traitlets.Unicode("axes").tag(sync=True)
    _parts = ("lanes",)
    #: The lane highlighted (clamped to the lanes of the selected call).
    lane = traitlets.Int(0).tag(sync=True)
    #: The axis drawn beside the batch axis, counted from the end; None: the last one.
    other_axis = traitlets.Int(None, allow_none=True).tag(sync=True)
    #: A lane drawn on request: ``{'label', 'lane', 'other_axis', 'svg', 'rows'}``.
    lane_view = traitlets.Dict({}).tag(sync=True)

    @traitlets.validate("lane")
    def _check_lane(self, proposal: Any) -> int:
        return min(max(int(proposal["value"]), 0), _lane_count(self.entry) - 1)

    @traitlets.validate("other_axis")
    def _check_other_axis(self, proposal: Any) -> int | None:
        value = proposal["value"]
        if value is not None and value >= 0:
            raise traitlets.TraitError(f"{type(self).__name__}.other_axis counts from the "
                                       f"end (-2, -3, ...) or is None; got {value}.")
        return value

    @traitlets.observe("selected")
    def _on_selected(self, change: Any) -> None:
        self.lane = self.lane  # re-clamp for the new entry
        self._draw_lane()

    @traitlets.observe("lane", "other_axis")
    def _on_lane(self, change: Any) -> None:
        self._draw_lane()

    def _draw_lane(self) -> None:
        """Draw the selected lane when it was not precomputed (the browser asked for it)."""
        entry = self.entry
        if entry.get("failed") or (self.lane < len(entry.get("lanes", ()))
                                   and self.other_axis is None):
            return
        view = _plain(lane_payload(self.report, self.lane, self.other_axis))
        self.lane_view = {"label": entry["label"], **view}

    def _summary(self) -> list[str]:
        return [*super()._summary(), f"lanes={self.entry['axis_size']}", f"lane={self.lane}"]

    def _static_body(self) -> list[str]:
        return _axes_html(self.entry, self.lane, self.report, self.other_axis)


class JaxprGraph(_ReportWidget):
    """The per-element or batched jaxpr as a graph; click a node to see its equation.

    ``view`` is ``'elementwise'`` or ``'batched'``; ``node`` is the id of the node
    clicked (``e<N>`` / ``b<N>``, the DOT ids), or ``''``. ``graph_options`` says what
    to expand, collapse or group (the keys of
    :meth:`~vmapviz.render._options.GraphOptions.to_json`; a click on a folded node or
    a cluster's title changes it); a graph drawn with other than the default options
    comes from the kernel as ``graph_drawn``.
    """

    _kind = traitlets.Unicode("graph").tag(sync=True)
    _parts = ("graphs",)
    view = traitlets.Unicode("elementwise").tag(sync=True)
    node = traitlets.Unicode("").tag(sync=True)
    graph_options = traitlets.Dict(GraphOptions().to_json()).tag(sync=True)
    #: The graph drawn with ``graph_options``: ``{'label', 'view', 'options', ...}``, with
    #: ``stages``: the node ids each stage of the stepper highlights in it.
    graph_drawn = traitlets.Dict({}).tag(sync=True)

    @traitlets.validate("graph_options")
    def _check_options(self, proposal: Any) -> dict:
        try:
            return GraphOptions.from_json(dict(proposal["value"])).to_json()
        except (TypeError, ValueError) as exc:
            raise traitlets.TraitError(f"{type(self).__name__}.graph_options: {exc}") from None

    @traitlets.observe("graph_options", "view", "selected")
    def _draw_graph(self, change: Any) -> None:
        """Draw the graph with non-default options (the browser asked for it)."""
        options = GraphOptions.from_json(self.graph_options)
        if options.is_default or self.entry.get("failed"):  # a failed call has no graph
            self.graph_drawn = {}
            return
        drawn = graph_payload(self.report, self.view, options)
        drawn["stages"] = stage_nodes(self.report, self.view, drawn["nodes"])
        self.graph_drawn = _plain({"label": self.entry["label"], "view": self.view,
                                   "options": self.graph_options, **drawn})

    @property
    def graph(self) -> dict:
        """The graph shown: the precomputed view, or the one drawn with ``graph_options``."""
        drawn = self.graph_drawn
        if drawn and drawn["label"] == self.entry["label"] and drawn["view"] == self.view:
            return drawn
        return self.entry["graphs"][self.view]

    @traitlets.validate("view")
    def _check_view(self, proposal: Any) -> str:
        if proposal["value"] not in GRAPH_VIEWS:
            raise traitlets.TraitError(f"{type(self).__name__}.view: expected one of "
                                       f"{GRAPH_VIEWS}, got {proposal['value']!r}.")
        return proposal["value"]

    @traitlets.observe("view", "selected", "graph_options")
    def _forget_node(self, change: Any) -> None:
        self.node = ""

    @property
    def node_info(self) -> dict | None:
        """Details of the clicked node (equation, parameters, types), or None."""
        return self.graph["nodes"].get(self.node)

    def _summary(self) -> list[str]:
        nodes = len(self.graph["nodes"])
        return [*super()._summary(), f"view={self.view!r}", f"nodes={nodes}"]

    def _static_body(self) -> list[str]:
        return _graph_html(self.graph, self.view)


class Inspector(AxisDiagram, JaxprGraph):
    """Tabs of the States table, the axis diagram and the jaxpr graph, for several calls.

    Args:
      reports: one :class:`~vmapviz.inspection.Report` or a list of them (one per
        inspected call, e.g. per signature); a selector switches between them.
      labels: what the selector shows for each report (default: mapping and signature).
      mapping: the mapping the reports came from; lets :meth:`inspect` add calls.

    A stage stepper above the tabs walks through the six stages of the call (cache,
    discovery, axes, keys, execution, write-back): each step shows what the stage
    decided and highlights the table rows, lane rows and graph nodes concerned. The
    ``stage`` trait is the stage shown (``''``: the stepper is off); setting it opens
    the stage's tab.

    >>> from vmapviz import examples
    >>> ins = Inspector(examples.inspect('1.5_counter'))
    >>> ins.stage = 'write-back'
    >>> ins.stage, ins.tab, ins.stage_info['caption']
    ('write_back', 'axes', 'write-back: count written back on axis 0, f32[4] -> f32[4]')
    """

    _kind = traitlets.Unicode("inspector").tag(sync=True)
    _parts = PARTS
    #: The open tab: 'states', 'axes', 'graph' or 'explain'.
    tab = traitlets.Unicode("states").tag(sync=True)
    #: The stage the stepper shows: '' (off), 'cache', 'discovery', 'axes', 'keys',
    #: 'execution' or 'write_back' ('write-back' is accepted).
    stage = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("stage")
    def _check_stage(self, proposal: Any) -> str:
        try:
            return check_stage(proposal["value"], self.entry.get("stages"))
        except ValueError as exc:
            raise traitlets.TraitError(f"Inspector.stage: {exc}") from None

    @traitlets.observe("stage")
    def _open_stage_tab(self, change: Any) -> None:
        if self.stage:
            self.tab = STAGE_TABS[self.stage]

    @traitlets.observe("selected")
    def _keep_stage(self, change: Any) -> None:
        """Another call may have no such stage (no key split): the stepper turns off."""
        try:
            check_stage(self.stage, self.entry.get("stages"))
        except ValueError:
            self.stage = ""

    @property
    def stage_info(self) -> dict | None:
        """The stage shown, as the stepper has it (``name``, ``caption``, ``labels``,
        ``rows``, ``nodes``, ...; see :func:`~vmapviz.widgets._stages.stage_payload`),
        or None when the stepper is off."""
        found = [s for s in self.entry.get("stages", ()) if s["name"] == self.stage]
        return found[0] if found else None

    @traitlets.validate("tab")
    def _check_tab(self, proposal: Any) -> str:
        if proposal["value"] not in TABS:
            raise traitlets.TraitError(
                f"Inspector.tab: expected one of {TABS}, got {proposal['value']!r}.")
        return proposal["value"]

    def inspect(self, *args: Any, **kwargs: Any) -> Inspector:
        """Call the mapping with these arguments and add (and select) that call's report."""
        if self._mapping is None:
            raise ValueError("Inspector.inspect: this Inspector was made from reports, not "
                             "a mapping. Use vmapviz.widgets.inspect(mapping, *args), or "
                             "add(report).")
        self.add(self._mapping.inspect(*args, **kwargs))
        return self

    def _summary(self) -> list[str]:
        e = self.entry
        return [f"mapping={e['mapping']!r}", f"lanes={e['axis_size']}", f"states={e['states']!r}"]

    def _static_body(self) -> list[str]:
        if self.report.error is not None:  # a failed call: its tables and error only
            return [to_html(self.report)]
        return [to_html(self.report),
                *_axes_html(self.entry, self.lane, self.report, self.other_axis),
                *_graph_html(self.graph, self.view)]
