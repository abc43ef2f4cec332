"""Group a graph's nodes by State path: ``layers.3.W``, ``layers.3.b`` and the equations
that work on them form one cluster ``layers.3.*``.

An input or output node belongs to the parent path of the State it carries (dotted
names only). An equation belongs to the group of the State inputs it reads directly
when they are all of one group; reading none, to the one group its producers belong
to. Anything else (mixing groups, or fed by plain arguments only) stays ungrouped.

>>> from vmapviz.render._ir import Edge
>>> order = ['w', 'b', 'x', 'dot', 'add', 'y']
>>> names = {'w': 'layers.3.W', 'b': 'layers.3.b', 'x': 'x', 'y': 'out'}
>>> edges = [Edge('x', 'dot', ''), Edge('w', 'dot', ''), Edge('dot', 'add', ''),
...          Edge('b', 'add', ''), Edge('add', 'y', '')]
>>> left, clusters = group_by_state(order, names, edges, iter(['g1']).__next__)
>>> left, clusters[0].label, clusters[0].nodes
(['x', 'y'], 'layers.3.*', ('w', 'b', 'dot', 'add'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._ir import Cluster, Edge

__all__ = ["group_by_state"]


def _parent(label: str) -> str | None:
    return label.rsplit(".", 1)[0] if "." in label else None


def group_by_state(order: Sequence[str], names: dict[str, str], edges: Sequence[Edge],
                   new_id: Callable[[], str]) -> tuple[list[str], list[Cluster]]:
    """``order`` (node ids, inputs first, in drawing order) split into the ids left
    ungrouped and one cluster per State path holding at least two nodes."""
    group: dict[str, str] = {}
    for nid in order:
        parent = _parent(names[nid]) if nid in names else None
        if parent is not None:
            group[nid] = parent
    preds: dict[str, list[str]] = {}
    for e in edges:
        preds.setdefault(e.dst, []).append(e.src)
    for nid in order:
        if nid in names:
            continue
        sources = preds.get(nid, [])
        direct = {group[p] for p in sources if p in names and p in group}
        found = direct or {group[p] for p in sources if p in group}
        if len(found) == 1:
            group[nid] = found.pop()
    members: dict[str, list[str]] = {}
    for nid in order:
        if nid in group:
            members.setdefault(group[nid], []).append(nid)
    clusters = [Cluster(new_id(), f"{path}.*", tuple(ids))
                for path, ids in members.items() if len(ids) >= 2]
    grouped = {nid for c in clusters for nid in c.nodes}
    return [nid for nid in order if nid not in grouped], clusters
