"""The JAX release the golden files and exact-jaxpr expectations were written on.

vmapviz runs on a range of JAX releases (``vmapviz/_jax_private.py`` lists what was
checked), but the text JAX prints for a jaxpr changes between them: primitive names
(``pjit`` before 0.7, ``jit`` after), parameters (``out_sharding=``, ``out_dtype=``), and
how ``jax.pmap`` is lowered. Tests that compare such text compare it byte for byte on
``PINNED`` and, on any other release, compare what the helpers below extract from it:
the parts vmapviz decides (labels, types, which values carry the batch axis) rather than
JAX's wording. Golden files are only ever rewritten on ``PINNED``.
"""

from __future__ import annotations

import re

import jax

#: The release of ``tests/golden/`` and of the exact jaxpr texts in tests.
PINNED = "0.10.2"
ON_PIN = jax.__version__ == PINNED


def jit_primitive() -> str:
    """The name of ``jax.jit``'s primitive on this release (``pjit`` before 0.7)."""
    return jax.make_jaxpr(jax.jit(lambda x: x))(1.0).eqns[0].primitive.name


# ------------------------------------------------------------------ jaxpr text

_EQN_PARAMS = re.compile(r"= ([A-Za-z_][A-Za-z_0-9]*)\[")


def strip_params(text: str) -> str:
    """Jaxpr text without equation parameters (``prim[...]``), whitespace collapsed.

    >>> strip_params("{ lambda ; a:f32[2]. let\\n    b:f32[] = reduce_sum[axes=(0,)] a\\n  in (b,) }")
    '{ lambda ; a:f32[2]. let b:f32[] = reduce_sum a in (b,) }'
    """
    out, i = [], 0
    while (m := _EQN_PARAMS.search(text, i)) is not None:
        out.append(text[i : m.end() - 1])
        j, depth = m.end(), 1
        while depth:
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return " ".join("".join(out).split())


_HEADER = re.compile(r"^\{ lambda [^;]*; (.*?)\. let", re.MULTILINE)
_RESULTS = re.compile(r"\bin \(([^()]*)\) \}\s*$")


def jaxpr_signature(text: str) -> tuple[tuple[str, ...], int]:
    """``(input types, number of outputs)`` of the top-level jaxpr in printed text.

    >>> jaxpr_signature("{ lambda ; a:f32[4] b:key<fry>[]. let c:f32[4] = add a a in (c, b) }")
    (('f32[4]', 'key<fry>[]'), 2)
    """
    headers = _HEADER.findall(text)
    results = _RESULTS.search(text)
    assert headers and results, f"not a printed jaxpr: {text[:80]!r}"
    types = tuple(tok.split(":", 1)[1] for tok in headers[-1].split())
    return types, len([r for r in results.group(1).split(",") if r.strip()])


# ------------------------------------------------------------------ DOT text

_CLUSTER = re.compile(r"^\s*subgraph cluster_(\w+) \{$")
_NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)", (.*)\];$')
_EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\];$")
_BOUNDARY = ('fillcolor="#e8f0fe"', 'fillcolor="#e6f4ea"')  # input, output


def dot_structure(text: str) -> dict:
    """What a vmapviz DOT graph says apart from JAX's own wording.

    * the graph's attribute lines and legend, verbatim;
    * per view (``etop``, ``btop``): its title, its inputs and outputs in order (label
      with State name and type; style with the batch colour) and the edges into each
      output (type, batch colour);
    * for the per-element view, the whole graph: every node's style (kind, batch
      colour) and the sub-jaxpr clusters it sits in, and every edge (type, batch
      colour), with node ids renumbered and the labels of equations and clusters
      (primitive names and parameters: JAX's) left out.

    The inside of the batched view is left out: it is how JAX batched or lowered the
    program (``jax.pmap`` is a ``jit`` of a ``shard_map`` from JAX 0.8, ``xla_pmap``
    before).
    """
    frame, views, stack, nodes, edges, opened = [], {}, [], {}, [], 0
    for line in text.splitlines():
        if m := _CLUSTER.match(line):
            if not stack:
                views[m.group(1)] = {"title": None, "inputs": [], "outputs": []}
            opened += 1
            stack.append((m.group(1), opened))
        elif stack and line.strip() == "}":
            stack.pop()
        elif stack and line.strip().startswith("label="):
            if len(stack) == 1:
                views[stack[0][0]]["title"] = line.strip()
        elif m := _NODE.match(line):
            nid, label, style = m.groups()
            view = stack[0][0] if stack else None
            nodes[nid] = (len(nodes), view, style, tuple(n for _, n in stack[1:]))
            for kind, fill in zip(("inputs", "outputs"), _BOUNDARY):
                if view is not None and fill in style:
                    views[view][kind].append([nid, label, style])
        elif m := _EDGE.match(line):
            edges.append(m.groups())
        else:
            frame.append(line)
    for view in views.values():
        for out in view["outputs"]:
            out[0] = sorted(a for s, d, a in edges if d == out[0])
        for node in view["inputs"]:
            del node[0]
    inner = {nid: n for nid, n in nodes.items() if n[1] == "etop"}
    clusters = sorted({c for n in inner.values() for c in n[3]})
    element = {
        "nodes": [(n[2], tuple(clusters.index(c) for c in n[3])) for n in inner.values()],
        "edges": [(inner[s][0], inner[d][0], a) for s, d, a in edges if s in inner],
    }
    return {"frame": frame, "views": views, "elementwise": element}
