"""The one place user strings are made safe for markup: :func:`visible`, then per format.

Every renderer puts user text (State names, Module paths, function names, labels)
into its output through one of :func:`xml_escape` (SVG), :func:`html_escape` (HTML)
or :func:`dot_escape` (Graphviz DOT). Each first calls :func:`visible`, which turns
the code points markup cannot hold into visible backslash escapes, then applies the
format's own escaping. Strings without such code points come out exactly as before.

>>> xml_escape('a\\x01<b>')
'a\\\\x01&lt;b&gt;'
>>> html_escape("it's \\ud800")
'it&#x27;s \\\\ud800'
>>> dot_escape('say "hi"\\x1b')
'say \\\\"hi\\\\"\\\\\\\\x1b'
"""

from __future__ import annotations

import html
import re
from xml.sax import saxutils

__all__ = ["dot_escape", "html_escape", "visible", "xml_escape"]

# Kept as is: tab, LF, CR, printable ASCII, and U+00A0..U+10FFFF minus the surrogates
# and the Unicode noncharacters (U+FDD0..U+FDEF and the last two of every plane).
_KEPT = "\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd" + "".join(
    f"{chr(p << 16)}-{chr((p << 16) | 0xFFFD)}" for p in range(1, 17))
_HIDDEN = re.compile(f"[^{_KEPT}]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"


def visible(text: str) -> str:
    """``text`` with every code point markup cannot hold written as a backslash escape.

    The rule: a code point is replaced when XML 1.0 forbids it (outside the ``Char``
    production: C0 controls other than tab, LF and CR; lone surrogates U+D800..U+DFFF;
    U+FFFE and U+FFFF), when it is any other control character (DEL and the C1
    controls U+007F..U+009F), or when it is a Unicode noncharacter (U+FDD0..U+FDEF
    and U+xFFFE / U+xFFFF of every plane); XML 1.0 discourages the last two groups
    and HTML parsers report them as errors. Its replacement is Python's escape for it,
    in lowercase hex: ``\\xHH`` up to U+00FF, ``\\uHHHH`` up to U+FFFF, else
    ``\\UHHHHHHHH``. Nothing else changes: backslashes are not doubled (so a typed
    ``\\x01`` and a real U+0001 look the same), and ``<``, ``&``, quotes are left to
    the format's escaping. The result holds only XML 1.0 characters, encodes as
    UTF-8, and ``visible(visible(s)) == visible(s)``.

    >>> visible('count')
    'count'
    >>> print(visible('a\\x01b \\x1b[31m \\ud800 \\uffff \\U0010ffff'))
    a\\x01b \\x1b[31m \\ud800 \\uffff \\U0010ffff
    """
    return _HIDDEN.sub(_escape, text)


def xml_escape(text: str) -> str:
    """:func:`visible` text escaped for SVG (XML) content and attribute values.

    >>> xml_escape('<a & "b">')
    '&lt;a &amp; &quot;b&quot;&gt;'
    """
    return saxutils.escape(visible(text), {'"': "&quot;"})


def html_escape(text: str) -> str:
    """:func:`visible` text escaped for HTML content and attribute values (``html.escape``).

    >>> html_escape('<a & "b">')
    '&lt;a &amp; &quot;b&quot;&gt;'
    """
    return html.escape(visible(text))


# An ``&`` that Graphviz would read as the start of an entity (``&#1;``, ``&#x41;``,
# ``&amp;``, ``&sup2;``) and replace by the character it names.
_DOT_ENTITY = re.compile(r"&(?=#|[A-Za-z0-9]+;)")


def dot_escape(text: str) -> str:
    """:func:`visible` text escaped for a double-quoted DOT label.

    Backslashes are doubled and quotes escaped (a ``\\n`` in the text becomes a line
    break), and an ``&`` that starts an entity reference is written ``&amp;``, since
    Graphviz decodes entities in labels: ``&#1;`` would otherwise become U+0001 in
    its SVG, and ``&lt;`` would be drawn as ``<``.

    >>> dot_escape('say "hi"\\\\n')
    'say \\\\"hi\\\\"\\\\\\\\n'
    >>> dot_escape('a & b, &#1; &lt;')
    'a & b, &amp;#1; &amp;lt;'
    """
    text = visible(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return _DOT_ENTITY.sub("&amp;", text)
