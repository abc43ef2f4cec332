"""A :class:`~vmapviz.inspection.Comparison` as static HTML tables (no script).

Reads the comparison's records only; every cell is worded by
:mod:`vmapviz.inspection.words` and escaped by :func:`~vmapviz.render._escape.html_escape`
(through :func:`~vmapviz.render.html.table_html`), styled like :mod:`vmapviz.render.html`.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> s = vmapviz.ShortTermState(jnp.zeros(2), name='<b>&')
>>> def step(d):
...     s.value = s.value + d
...     return s.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> a = f.inspect(jnp.ones(2))
>>> s.value = jnp.zeros(3)
>>> page = comparison_html(vmapviz.compare(a, f.inspect(jnp.ones(3))))
>>> '<td>&lt;b&gt;&amp;</td>' in page, '<b>&' in page
(True, False)
"""

from __future__ import annotations

from typing import Any

from ..inspection import words
from ..records import Delta
from ._escape import html_escape
from ._ir import Table
from .html import STYLE, table_html

__all__ = ["calls_table", "comparison_html", "entries_table", "jaxprs_table"]

W = words.COMPARE_WORDS


def _sides(c: Any) -> tuple[str, str]:
    return words.side_name(c, "a"), words.side_name(c, "b")


def calls_table(c: Any) -> Table:
    """Mapping, call number, lanes, signature and cache lookup of a and b."""
    rows = [
        (W["mapping"], c.mapping_a, c.mapping_b),
        (W["call"], str(c.cache_a.call), str(c.cache_b.call)),
        (W["lanes"], str(c.axis_size_a), str(c.axis_size_b)),
        (W["signature"], c.cache_a.key, c.cache_b.key),
        (W["cache"], words.cache_outcome(c.cache_a), words.cache_outcome(c.cache_b)),
    ]
    return Table(W["calls"], ("", *_sides(c)), tuple(rows))


def entries_table(c: Any) -> Table | None:
    """One row per changed field of each argument leaf, State and output (None: none)."""
    if not c.entries:
        return None
    rows = []
    for e in c.entries:
        for field in e.fields:
            a = words.field_value(e, field, "a") if e.delta is not Delta.ADDED else "-"
            b = words.field_value(e, field, "b") if e.delta is not Delta.REMOVED else "-"
            rows.append((str(e.kind), e.label, words.delta_word(e.delta),
                         words.field_word(field), a, b))
    columns = (W["kind"], W["name"], W["change"], W["what"], *_sides(c))
    return Table(W["entries"], columns, tuple(rows))


def jaxprs_table(c: Any) -> Table:
    """Equation counts of both jaxprs, then each primitive whose count differs."""
    rows = []
    for j in c.jaxprs:
        name = words.jaxpr_word(j.which)
        rows.append((name, W["eqns"], str(j.eqns_a), str(j.eqns_b)))
        rows.append((name, W["total"], str(j.total_a), str(j.total_b)))
        rows += [(name, words.primitive_word(p.name), str(p.a), str(p.b)) for p in j.primitives]
    return Table(W["jaxprs"], ("", W["what"], *_sides(c)), tuple(rows))


def comparison_html(c: Any) -> str:
    """The comparison in one ``<div class="vmapviz-report vmapviz-compare">``, style
    included: the two calls, what changed, the jaxprs."""
    parts = ['<div class="vmapviz-report vmapviz-compare">', STYLE,
             f"<h4>{html_escape(words.comparison_title(c))}</h4>", table_html(calls_table(c))]
    entries = entries_table(c)
    if entries is None:
        parts.append(f"<p>{html_escape(W['entries'])}: {html_escape(W['nothing'])}</p>")
    else:
        parts.append(table_html(entries))
    parts += [table_html(jaxprs_table(c)), "</div>"]
    return "\n".join(parts) + "\n"
