"""``Report.save_html`` and ``Comparison.save_html``: one self-contained page to hand out.

The saved pages of catalogue calls (a State counter, a random draw), a call that
recorded its values, a dry run, a failed call and a comparison: what each holds, that
nothing in them loads anything (no script, no URL), that user strings are escaped,
that the same report writes the same bytes, and how a bad path is refused.
"""

from __future__ import annotations

import html
import itertools
import os
import pathlib
import re
import shutil
from html.parser import HTMLParser

import jax
import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import examples
from vmapviz.render import page as page_mod
from vmapviz.render._escape import html_escape
from vmapviz.transform import vmap2

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")


class _Outline(HTMLParser):
    """Every tag with its attributes, the headings in order, and the text of each
    table's caption."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[tuple[int, str]] = []
        self.captions: list[str] = []
        self.doubled: list[str] = []  # tags with an attribute given twice
        self._open: str | None = None
        self._text = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if len(dict(attrs)) != len(attrs):
            self.doubled.append(tag)
        if re.fullmatch(r"h[1-6]|caption|figcaption|title", tag):
            self._open, self._text = tag, ""

    def handle_data(self, data):
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag != self._open:
            return
        if tag == "caption":
            self.captions.append(self._text)
        elif tag[0] == "h":
            self.headings.append((int(tag[1]), self._text))
        self._open = None

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def _save(obj, tmp_path: pathlib.Path, name: str = "page.html") -> tuple[str, _Outline]:
    path = obj.save_html(tmp_path / name)
    assert path == tmp_path / name and isinstance(path, pathlib.Path)
    text = path.read_bytes().decode("utf-8")
    return text, _Outline(text)


def _check_self_contained(text: str, outline: _Outline) -> None:
    """No script, nothing that loads from anywhere; headings in order, column heads
    scoped, SVGs labelled, ids unique."""
    low = text.lower()
    for bad in ("<script", "http://", "https://", "<link", "<iframe", "<img", "@import",
                "javascript:", " src=", "xlink:href"):
        assert bad not in low, bad
    assert not re.search(r"url\((?!#)", text), "a url() that is not a reference inside the page"
    assert [a.get("href", "#")[0] for a in outline.all("a")] == ["#"] * len(outline.all("a"))
    assert outline.all("html") == [{"lang": "en"}]
    assert len(outline.all("title")) >= 1 and outline.headings[0][0] == 1
    levels = [lvl for lvl, _ in outline.headings]
    assert levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert outline.all("th") and all(a.get("scope") == "col" for a in outline.all("th"))
    for svg in outline.all("svg"):
        assert svg.get("role") == "img" and svg.get("aria-label"), svg
    assert not outline.doubled
    ids = [a["id"] for _, a in outline.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert "@media print" in text and "max-width: 100%" in text


def _counter_with(name: str, values: bool = False, n: int = 4):
    count = vmapviz.ShortTermState(jnp.zeros(n), name=name)

    def step(d):
        count.value = count.value + d
        return count.value

    f = vmap2(step, state_in_axes={0: vmapviz.ShortTermState},
              state_out_axes={0: vmapviz.ShortTermState})
    return f, f.inspect(jnp.arange(1.0, n + 1.0), values=values)


# ------------------------------------------------------------------ what a page holds


def test_counter_page_holds_words_tables_diagrams_and_graphs(tmp_path):
    report = examples.inspect("1.5_counter")
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>vmap2 of Counter over 4 lanes</title>" in text
    assert html_escape(report.explain()) in text
    assert outline.captions[:2] == ["States", "Arguments and outputs"]
    heads = [html.unescape(a) for a in re.findall(r'<th scope="col">([^<]*)</th>', text)]
    assert heads[:7] == ["State", "Type", "Shape", "Shape after", "Access",
                         "Batch axis in -> out", "Reason"]
    assert "<td>count</td><td>ShortTermState</td><td>f32[4]</td><td>f32[4]</td>" in text
    # 4 lanes: every lane's axis diagram
    lanes = re.findall(r'aria-label="Axis diagram of [^"]*, lane (\d+) highlighted', text)
    assert lanes == ["0", "1", "2", "3"]
    assert [h for _, h in outline.headings] == [
        "vmap2 of Counter over 4 lanes", "The call in words", "Tables", "Axis diagrams",
        "Jaxpr graphs", "Per-element jaxpr: what one lane computes",
        "Batched jaxpr: the whole mapped call"]
    if HAVE_DOT:
        graphs = re.findall(r'aria-label="Graph of the ([a-z-]+ jaxpr) of vmap2 of Counter', text)
        assert graphs == ["per-element jaxpr", "batched jaxpr"]
        assert len(outline.all("svg")) == 6
        assert "count" in text.split('aria-label="Graph of the per-element')[1]


def test_random_page_has_keys_table_and_what_vmap_did(tmp_path):
    report = examples.inspect("2.1_sample_normal")
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert "Random keys: split(key, 5)" in outline.captions
    key = report.keys.entries[0]
    after = "[" + " ".join(str(k) for k in key.key_after) + "]"
    assert f"<td>{after}</td>" in text
    assert "What vmap did:" in text and "every lane draws its own random numbers" in text
    assert "Values per lane" not in text


def test_many_lanes_draw_the_first_and_last(tmp_path):
    report = vmap2(lambda x: x * 2).inspect(jnp.ones((16, 3)))
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    lanes = re.findall(r'aria-label="Axis diagram of [^"]*, lane (\d+) highlighted', text)
    assert lanes == ["0", "15"]
    assert "Drawn: lanes 0 and 15 of 16" in text


def test_recorded_values_get_a_table_per_lane(tmp_path):
    _, report = _counter_with("count", values=True)
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert "Values per lane" in [h for _, h in outline.headings]
    assert [c for c in outline.captions if c.startswith("Lane")] == [
        "Lane 0", "Lane 1", "Lane 2", "Lane 3"]
    lane2 = text.split("<caption>Lane 2</caption>")[1].split("</table>")[0]
    # lane 2 reads delta 3 and count 0, and writes count 3 (the call computed it)
    assert "<tr><td>argument</td><td>argument d</td><td>3.</td><td>-</td></tr>" in lane2
    assert "<tr><td>state</td><td>count</td><td>0.</td><td>3.</td></tr>" in lane2
    assert "<tr><td>output</td><td>output 0</td><td>-</td><td>3.</td></tr>" in lane2


def test_values_of_many_lanes_are_capped(tmp_path):
    report = vmap2(lambda x: x * 2).inspect(jnp.arange(16.0), values=True)
    text, _ = _save(report, tmp_path)
    assert re.findall(r"<caption>Lane (\d+)</caption>", text) == [str(i) for i in range(8)]
    assert "Shown here: lanes 0 to 7." in text
    lane7 = text.split("<caption>Lane 7</caption>")[1].split("</table>")[0]
    assert "<td>7.</td><td>-</td>" in lane7 and "<td>-</td><td>14.</td>" in lane7


def test_dry_run_saves(tmp_path):
    mapping, args, kwargs = examples.get("1.5_counter").build()
    shapes = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in args]
    report = mapping.inspect(*shapes, dry_run=True, **kwargs)
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert "<title>vmap2 of Counter over 4 lanes (dry run)</title>" in text
    assert "dry run: nothing ran and no State changed" in text
    assert "Axis diagrams" in text and "Values per lane" not in text


def _failed_report():
    s = vmapviz.ShortTermState(jnp.zeros(()), name="<b>&")

    def f(x):
        s.value = s.value + x
        return x

    with pytest.raises(vmapviz.BatchAxisError) as info:
        vmap2(f, unexpected_out_state_mapping="raise").inspect(jnp.ones(3))
    return info.value.report


def test_failed_call_saves_words_and_states_found(tmp_path):
    report = _failed_report()
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert "<title>f: failed with BatchAxisError</title>" in text
    assert [h for _, h in outline.headings] == [
        "f: failed with BatchAxisError", "The call in words", "Tables"]
    assert outline.captions == [
        "States found before BatchAxisError (during tracing (State discovery and axes))"]
    assert html_escape(report.explain()) in text
    assert "<svg" not in text
    assert "<td>&lt;b&gt;&amp;</td>" in text and "<b>&" not in text


def test_user_strings_are_escaped_everywhere(tmp_path):
    _, report = _counter_with("<b>&", values=True)
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    assert "<b>" not in text and "<b>&" not in text
    assert "<td>&lt;b&gt;&amp;</td>" in text
    # the axis diagrams name the State too, escaped for SVG
    assert text.count("state &lt;b&gt;&amp;") >= 4
    if HAVE_DOT:
        graph = text.split('aria-label="Graph of the per-element')[1]
        assert "&lt;b&gt;&amp;" in graph


def test_comparison_page(tmp_path):
    count = vmapviz.ShortTermState(jnp.zeros(4), name="count")

    def step(d):
        count.value = count.value + d
        return count.value

    f = vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
    a = f.inspect(jnp.ones(4))
    count.value = jnp.zeros(3)
    c = vmapviz.compare(a, f.inspect(jnp.ones(3)))
    text, outline = _save(c, tmp_path)
    _check_self_contained(text, outline)
    assert "<title>step: a (call 1) vs b (call 2)</title>" in text
    assert html_escape(c.text()) in text
    assert outline.captions[:3] == ["The two calls", "Arguments, States and outputs that changed",
                                    "Jaxprs"]
    top = [h for lvl, h in outline.headings if lvl == 2]
    assert top == ["What changed", "a (call 1): vmap2 of step over 4 lanes",
                   "b (call 2): vmap2 of step over 3 lanes"]
    assert "<td>argument d</td><td>changed</td><td>type</td><td>f32[4]</td><td>f32[3]</td>" in text
    lanes = re.findall(r'aria-label="Axis diagram of vmap2 of step over (\d) lanes, lane (\d)', text)
    assert lanes == [("4", "0"), ("4", "1"), ("4", "2"), ("4", "3"),
                     ("3", "0"), ("3", "1"), ("3", "2")]


def test_same_report_same_bytes_and_no_paths(tmp_path):
    first = examples.inspect("2.1_sample_normal").save_html(tmp_path / "one.html")
    again = examples.inspect("2.1_sample_normal").save_html(str(tmp_path / "two.html"))
    assert first.read_bytes() == again.read_bytes()
    text = first.read_text(encoding="utf-8")
    for path in (str(tmp_path), os.getcwd(), str(pathlib.Path(vmapviz.__file__).parent)):
        assert path not in text


# ------------------------------------------------------------------ without Graphviz


def test_without_graphviz_the_page_holds_the_dot_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    report = examples.inspect("1.5_counter")
    text, outline = _save(report, tmp_path)
    _check_self_contained(text, outline)
    dots = re.findall(r'<pre class="vmapviz-dot">(.*?)</pre>', text, flags=re.DOTALL)
    assert len(dots) == 2 and all(html.unescape(d).startswith("digraph vmapviz {") for d in dots)
    assert text.count("This graph is not drawn: to_svg needs the Graphviz `dot` executable") == 2
    assert "aria-label=\"Graph of" not in text
    assert len(outline.all("svg")) == 4  # the axis diagrams are drawn by vmapviz itself


@needs_dot
def test_a_graph_graphviz_cannot_lay_out_in_time_becomes_dot_text():
    page = page_mod.report_page(examples.inspect("1.5_counter"), graph_timeout=1e-9)
    assert page.count("did not lay out this graph") == 2
    assert page.count('<pre class="vmapviz-dot">digraph vmapviz {') == 2


# ------------------------------------------------------------------ paths


def test_path_errors(tmp_path):
    report = vmap2(lambda x: x + 1).inspect(jnp.ones(2))
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match=re.escape(repr(str(missing)))):
        report.save_html(missing / "page.html")
    assert not missing.exists() and not (tmp_path / "no").exists()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        report.save_html(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        report.save_html(str(tmp_path / "new") + "/")
    with pytest.raises(TypeError, match="str or a pathlib.Path"):
        report.save_html(42)
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        report.save_html(afile / "page.html")
    out = report.save_html(str(tmp_path / "page.html"))
    assert out == tmp_path / "page.html" and out.read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")
    out.write_text("old")
    assert report.save_html(out) == out and out.read_text(encoding="utf-8") != "old"
