"""Plain-text tables of a Report: States, argument and output leaves, random keys.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> print(state_table(f.inspect(jnp.ones(4))).splitlines()[2][:65])
count  ShortTermState  f32[4]  f32[4]       read, written  0 -> 0
"""

from __future__ import annotations

from typing import Any

from . import _ir
from ._ir import Table

__all__ = ["state_table", "table_text", "to_text"]


def table_text(table: Table) -> str:
    """A table as aligned columns with a dashed rule below the header (no title)."""
    cells = [table.columns, *table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(r) for r in table.rows] or ["(none)"]
    return "\n".join([line(table.columns), rule, *body])


def state_table(report: Any) -> str:
    """The States table as text (no title)."""
    return table_text(_ir.state_table(report))


def to_text(report: Any) -> str:
    """Every table of a report, titled, as plain text."""
    tables = [_ir.state_table(report), _ir.leaf_table(report), _ir.key_table(report)]
    parts = [report.title]
    for t in tables:
        if t is not None:
            parts.append(f"{t.title}\n{table_text(t)}")
    return "\n\n".join(parts) + "\n"
