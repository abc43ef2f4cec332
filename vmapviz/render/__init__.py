"""Renderers: a Report as text and HTML tables, SVG axis diagrams, DOT jaxpr graphs.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> from vmapviz import render
>>> f = vmapviz.transform.vmap2(lambda x: x * 2)
>>> report = f.inspect(jnp.ones(3))
>>> print(render.to_text(report).splitlines()[0])
vmap2 of <lambda> over 3 lanes
"""

from .dot import DotNotFoundError as DotNotFoundError
from .dot import to_dot as to_dot
from .dot import to_svg as to_svg
from .html import to_html as to_html
from .page import comparison_page as comparison_page
from .page import report_page as report_page
from .svg import axis_svg as axis_svg
from .text import state_table as state_table
from .text import to_text as to_text

#: What ``python -m vmapviz.demo`` writes: file name -> renderer of a Report.
DEMO_OUTPUTS = {
    "counter_table.txt": to_text,
    "counter_table.html": to_html,
    "counter_axes.svg": axis_svg,
    "counter_jaxpr.dot": to_dot,
    "counter_jaxpr.svg": lambda report: to_svg(to_dot(report)),
}
