"""One self-contained HTML page of a Report or a Comparison, to save and hand out.

The page holds the call in words (``explain()``), its tables, the axis diagram of a
few lanes, the values per lane when they were recorded, and the per-element and
batched jaxpr graphs drawn by Graphviz (their DOT text when Graphviz is missing or too
slow). It needs nothing else: no script, no kernel, no network (every picture is an
inline SVG, every style inline), and it prints legibly (black on white, a new page
per section, pictures scaled to the page width). The same report gives the same bytes.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> s = vmapviz.ShortTermState(jnp.zeros(2), name='<b>&')
>>> def step(d):
...     s.value = s.value + d
...     return s.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> page = report_page(f.inspect(jnp.ones(2)))
>>> page.startswith('<!DOCTYPE html>'), '&lt;b&gt;&amp;' in page, '<b>&' in page
(True, True, False)
>>> '<script' in page, 'http' in page
(False, False)
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pathlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..inspection import words
from . import _ir
from ._escape import html_escape
from ._ir import Table
from .compare_html import calls_table, entries_table, jaxprs_table
from .dot import to_dot, to_svg
from .svg import axis_svg

__all__ = ["GRAPH_TIMEOUT", "comparison_page", "drawn_lanes", "report_page", "save_page"]

W = words.PAGE_WORDS
#: Seconds Graphviz may take to lay out one graph; past it the page holds the DOT text.
GRAPH_TIMEOUT = 60.0
#: Up to this many lanes every lane's axis diagram is drawn; past it, the first and last.
MAX_DRAWN_LANES = 4
#: Lanes whose recorded values get a table (the first ones).
MAX_VALUE_LANES = 8
GRAPHS = ("elementwise", "batched")

STYLE = """<style>
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 1180px; padding: 12px 24px 48px; color: #1a1a1a;
  background: #ffffff; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
  Helvetica, Arial, sans-serif; }
h1 { font-size: 1.55em; margin: 0.6em 0 0.4em; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.5em; padding-bottom: 0.2em;
  border-bottom: 1px solid #d0d0d0; }
h3 { font-size: 1.12em; margin: 1.3em 0 0.4em; }
h4 { font-size: 1em; margin: 1.1em 0 0.4em; }
nav ul { margin: 0.2em 0 0.8em; padding-left: 1.2em; }
pre { margin: 0.5em 0 1em; padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere;
  background: #f6f6f6; border: 1px solid #e0e0e0; border-radius: 3px;
  font: 13px/1.45 ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
pre.vmapviz-dot { font-size: 11px; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em; max-width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border: 1px solid #bdbdbd; padding: 3px 8px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f0f0f0; white-space: nowrap; }
figure { margin: 0.4em 0 1.4em; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
svg.vmapviz-svg { display: block; max-width: 100%; height: auto; }
p.vmapviz-note { color: #444444; }
@page { size: landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; color: #000000; background: #ffffff; font-size: 10.5pt; }
  nav { display: none; }
  main > section + section { break-before: page; }
  h1, h2, h3, h4, caption, figcaption { break-after: avoid; }
  tr, figure.vmapviz-axes { break-inside: avoid; }
  pre { background: #ffffff; border-color: #999999; color: #000000; }
  th { background: #ffffff; }
  th, td { border-color: #777777; }
  p.vmapviz-note { color: #000000; }
  a { color: #000000; text-decoration: none; }
  svg.vmapviz-svg { max-width: 100% !important; height: auto !important; }
}
</style>"""


@dataclasses.dataclass
class _Section:
    """A headed part of the page; ``children`` are headed one level down."""

    heading: str
    parts: list[str]
    children: list[_Section] = dataclasses.field(default_factory=list)


def drawn_lanes(axis_size: int) -> tuple[int, ...]:
    """The lanes a page draws the axis diagram of: each lane up to
    :data:`MAX_DRAWN_LANES`, else the first and the last.

    >>> drawn_lanes(3), drawn_lanes(16)
    ((0, 1, 2), (0, 15))
    """
    n = max(axis_size, 1)
    return tuple(range(n)) if n <= MAX_DRAWN_LANES else (0, n - 1)


# ------------------------------------------------------------------ pieces


def _note(text: str) -> str:
    return f'<p class="vmapviz-note">{html_escape(text)}</p>'


def _pre(text: str, cls: str) -> str:
    return f'<pre class="{cls}">{html_escape(text)}</pre>'


def _table(table: Table) -> str:
    """One ``<table>`` with its caption and column heads; every cell escaped."""
    head = "".join(f'<th scope="col">{html_escape(c)}</th>' for c in table.columns)
    rows = ["<tr>" + "".join(f"<td>{html_escape(x)}</td>" for x in row) + "</tr>"
            for row in table.rows]
    return "\n".join(["<table>", f"<caption>{html_escape(table.title)}</caption>",
                      f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows, "</tbody>",
                      "</table>"])


def _figure(body: str, cls: str, caption: str = "") -> str:
    cap = f"<figcaption>{html_escape(caption)}</figcaption>\n" if caption else ""
    return f'<figure class="{cls}">\n{cap}{body}\n</figure>'


_PROLOG = re.compile(r"(?:<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->)\n?", re.DOTALL)
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_ROOT = re.compile(r"<svg\b([^>]*)>")
_ROOT_ID = re.compile(r'\sid="([^"]+)"')
#: Root attributes the page sets itself (an SVG's own are dropped, never doubled).
_OURS = re.compile(r'\s(?:role|aria-label)="[^"]*"')
_CLASS = re.compile(r'\sclass="([^"]*)"')


def _inline_svg(svg: str, label: str, prefix: str) -> str:
    """An SVG document as an element of the page: no XML prolog, comments or namespace
    URLs (HTML does not need them); ids prefixed so several SVGs never share one; the
    root labelled for screen readers (``role="img"``, ``aria-label``)."""
    svg = _XMLNS.sub("", _PROLOG.sub("", svg)).strip()
    own = _ROOT_ID.search(_ROOT.search(svg).group(1))
    if own is not None:  # vmapviz's own SVG: every id and reference starts with the root's
        pid = own.group(1)
        svg = re.sub(rf"(?<![\w-]){re.escape(pid)}(?!\w)", prefix + pid, svg)
    else:  # Graphviz: its ids are never referenced
        svg = svg.replace(' id="', f' id="{prefix}')
    return _ROOT.sub(lambda m: _root(m.group(1), label), svg, count=1)


def _root(attrs: str, label: str) -> str:
    """The ``<svg>`` tag: the page's class added to the SVG's own, ``role`` and
    ``aria-label`` set by the page (any the SVG had dropped)."""
    attrs = _OURS.sub("", attrs)
    found = _CLASS.search(attrs)
    classes = "vmapviz-svg" + (f" {found.group(1)}" if found else "")
    attrs = _CLASS.sub("", attrs, count=1)
    return (f'<svg class="{classes}" role="img" aria-label="{html_escape(label)}"'
            f"{attrs}>")


# ------------------------------------------------------------------ a report


def _tables(report: Any) -> list[Table]:
    """The tables of :func:`~vmapviz.render.to_html`: a failed call's States found, else
    the States, the argument and output leaves, and the random keys."""
    if report.error is not None:
        return [_ir.found_table(report)]
    tables = (_ir.state_table(report), _ir.leaf_table(report), _ir.key_table(report))
    return [t for t in tables if t is not None]


def _axis_parts(report: Any, lanes: tuple[int, ...], ids: Iterator[str]) -> list[str]:
    note = words.lanes_note(lanes, report.axes.axis_size)
    parts = [_note(note)] if note else []
    for lane in lanes:
        svg = _inline_svg(axis_svg(report, lane), words.axis_label(report.title, lane), next(ids))
        parts.append(_figure(svg, "vmapviz-axes", words.lane_heading(lane)))
    return parts


def _values_parts(report: Any) -> list[str]:
    """One table of the values the same in every lane, then one per lane (the first
    :data:`MAX_VALUE_LANES` recorded) of those that differ."""
    values = report.values
    random = {e.label: e.random for e in report.axes.entries}
    shown = min(values.lanes, MAX_VALUE_LANES)
    columns = (W["kind"], W["name"], W["reads"], W["writes"])
    same, varying = [], []
    for v in values.entries:
        (same if len(v.before) <= 1 and len(v.after) <= 1 else varying).append(v)

    def rows(entries: list, lane: int) -> tuple:
        return tuple((str(v.kind), v.label,
                      *words.lane_value_cells(v, lane, random.get(v.label, False)))
                     for v in entries)

    parts = [_note(words.values_note(values, shown))]
    if same:
        parts.append(_table(Table(W["same"], columns, rows(same, 0))))
    if varying:
        parts += [_table(Table(words.lane_heading(lane), columns, rows(varying, lane)))
                  for lane in range(shown)]
    return parts


def _graph_section(report: Any, which: str, ids: Iterator[str], timeout: float) -> _Section:
    """One jaxpr drawn by Graphviz; its DOT text, and why, when Graphviz could not."""
    source = to_dot(report, which=which)
    try:
        svg = to_svg(source, timeout=timeout)
    except RuntimeError as err:  # DotNotFoundError, DotTimeoutError, or dot failed
        return _Section(words.graph_heading(which),
                        [_note(words.graph_fallback(str(err))), _pre(source, "vmapviz-dot")])
    label = words.graph_label(which, report.title)
    return _Section(words.graph_heading(which),
                    [_figure(_inline_svg(svg, label, next(ids)), "vmapviz-graph")])


def _report_sections(report: Any, ids: Iterator[str], timeout: float) -> list[_Section]:
    """In words, tables; unless the call failed: axis diagrams, values, jaxpr graphs."""
    sections = [_Section(W["explain"], [_pre(report.explain(), "vmapviz-explain")]),
                _Section(W["tables"], [_table(t) for t in _tables(report)])]
    if report.error is not None:
        return sections
    lanes = drawn_lanes(report.axes.axis_size)
    sections.append(_Section(W["axes"], _axis_parts(report, lanes, ids)))
    if report.values is not None:
        sections.append(_Section(W["values"], _values_parts(report)))
    graphs = [_graph_section(report, which, ids, timeout) for which in GRAPHS]
    sections.append(_Section(W["graphs"], [], graphs))
    return sections


# ------------------------------------------------------------------ the page


def _render(section: _Section, level: int, anchor: str) -> list[str]:
    out = [f'<section id="{anchor}">',
           f"<h{level}>{html_escape(section.heading)}</h{level}>", *section.parts]
    for i, child in enumerate(section.children, 1):
        out += _render(child, level + 1, f"{anchor}-{i}")
    out.append("</section>")
    return out


def _document(title: str, sections: list[_Section]) -> str:
    """The whole page: head (title, style), the title, a list of contents, the sections."""
    links = [f'<li><a href="#part-{i}">{html_escape(s.heading)}</a></li>'
             for i, s in enumerate(sections, 1)]
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html_escape(title)}</title>", STYLE, "</head>", "<body>", "<main>",
             f"<h1>{html_escape(title)}</h1>",
             f'<nav aria-label="{html_escape(W["contents"])}"><ul>', *links, "</ul></nav>"]
    for i, section in enumerate(sections, 1):
        lines += _render(section, 2, f"part-{i}")
    lines += ["</main>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"


def _ids() -> Iterator[str]:
    return (f"p{i}-" for i in itertools.count(1))


def report_page(report: Any, *, graph_timeout: float = GRAPH_TIMEOUT) -> str:
    """A :class:`~vmapviz.inspection.Report` as one self-contained HTML page.

    The call in words, its tables, the axis diagram of a few lanes
    (:func:`drawn_lanes`), the values per lane when recorded, and both jaxpr graphs;
    a failed call: its words and the States found. ``graph_timeout``: seconds Graphviz
    may take per graph before the page holds its DOT text instead.
    """
    return _document(words.page_title(report), _report_sections(report, _ids(), graph_timeout))


def comparison_page(c: Any, *, graph_timeout: float = GRAPH_TIMEOUT) -> str:
    """A :class:`~vmapviz.inspection.Comparison` as one self-contained HTML page: what
    changed (in words and tables), then each call as :func:`report_page` shows it."""
    entries = entries_table(c)
    nothing = f"{words.COMPARE_WORDS['entries']}: {words.COMPARE_WORDS['nothing']}"
    changed = [_pre(c.text(), "vmapviz-explain"), _table(calls_table(c)),
               _table(entries) if entries is not None else _note(nothing),
               _table(jaxprs_table(c))]
    sections = [_Section(W["changes"], changed)]
    ids = _ids()
    for side, report in zip("ab", c.reports):
        sections.append(_Section(words.side_heading(c, side, report), [],
                                 _report_sections(report, ids, graph_timeout)))
    return _document(words.comparison_title(c), sections)


# ------------------------------------------------------------------ saving


def _target(path: Any) -> pathlib.Path:
    """``path`` as a file to write, checked: a str or path-like naming a file in an
    existing folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save_html: path must be a str or a pathlib.Path, got "
                        f"{type(path).__name__}.")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError("save_html: path must be text (a str or a pathlib.Path), not bytes.")
    target = pathlib.Path(text).expanduser()
    if target.is_dir() or text.endswith(("/", os.sep)):
        raise IsADirectoryError(
            f"save_html: {text!r} is a folder; give the file to write, e.g. "
            f"{str(target / 'report.html')!r}.")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(
            f"save_html: cannot write {text!r}: the folder {str(folder)!r} {what}. Create it "
            "first (pathlib.Path(folder).mkdir(parents=True)) or save somewhere else.")
    return target


def save_page(make: Callable[[], str], path: Any) -> pathlib.Path:
    """Write the page ``make()`` returns to ``path`` (UTF-8); return the path written.

    ``path`` is checked before the page is made. Raises FileNotFoundError (its folder
    does not exist; no folder is created), IsADirectoryError (it is a folder), or
    TypeError (not a str or path-like).
    """
    target = _target(path)
    target.write_bytes(make().encode("utf-8"))
    return target
