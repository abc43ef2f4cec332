"""Static HTML tables of a Report (a small inline ``<style>``, no script).

>>> import jax.numpy as jnp
>>> import vmapviz
>>> s = vmapviz.ShortTermState(jnp.zeros(2), name='<b>')
>>> def step(d):
...     s.value = s.value + d
...     return s.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> '<td>&lt;b&gt;</td>' in state_table(f.inspect(jnp.ones(2)))
True
"""

from __future__ import annotations

from typing import Any

from . import _ir
from ._escape import html_escape
from ._ir import Table

__all__ = ["STYLE", "state_table", "table_html", "to_html"]

STYLE = """<style>
.vmapviz-report { font-family: system-ui, sans-serif; font-size: 13px; }
.vmapviz-report table { border-collapse: collapse; margin: 0.4em 0 1em 0; }
.vmapviz-report caption { text-align: left; font-weight: 600; padding-bottom: 0.2em; }
.vmapviz-report th, .vmapviz-report td { border: 1px solid #ccc; padding: 2px 8px;
  text-align: left; vertical-align: top; }
.vmapviz-report th { background: #f3f3f3; }
.vmapviz-report td.vmapviz-reason { color: #555; }
</style>"""


def _cell(column: str, text: str) -> str:
    cls = ' class="vmapviz-reason"' if column == "Reason" else ""
    return f"<td{cls}>{html_escape(text)}</td>"


def table_html(table: Table) -> str:
    """One ``<table>`` with a caption; every cell HTML-escaped."""
    lines = ['<table class="vmapviz-table">',
             f"<caption>{html_escape(table.title)}</caption>",
             "<thead><tr>" + "".join(f"<th>{html_escape(c)}</th>" for c in table.columns)
             + "</tr></thead>", "<tbody>"]
    for row in table.rows:
        lines.append("<tr>" + "".join(_cell(c, x) for c, x in zip(table.columns, row))
                     + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def state_table(report: Any) -> str:
    """The States table as an HTML ``<table>``."""
    return table_html(_ir.state_table(report))


def to_html(report: Any) -> str:
    """Every table of a report in one ``<div class="vmapviz-report">``, style included."""
    if report.error is not None:  # a failed call: what was found, and the error in words
        tables = [_ir.found_table(report)]
    else:
        tables = [_ir.state_table(report), _ir.leaf_table(report), _ir.key_table(report)]
    parts = ['<div class="vmapviz-report">', STYLE, f"<h4>{html_escape(report.title)}</h4>"]
    parts += [table_html(t) for t in tables if t is not None]
    if report.error is not None:
        parts.append(f"<pre>{html_escape(report.explain())}</pre>")
    parts.append("</div>")
    return "\n".join(parts) + "\n"
