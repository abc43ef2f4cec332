"""Find repeated blocks in a list of equations, so 300 alike layers draw as one block x300.

Each equation is reduced to a signature (what its node would show: primitive,
parameters, literal arguments, types); a run is a block of ``period`` signatures that
repeats ``reps`` times back to back. Runs are found left to right, each the one that
covers the most equations from where it starts (the shorter period on a tie).

>>> repeated_runs(list("xabcabcabcabcy"), min_cover=6)
[(1, 3, 4)]
>>> repeated_runs(list("abcd"))
[]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

__all__ = ["repeated_runs"]


def _match_runs(ids: list[int], period: int) -> list[int]:
    """``out[j]``: how many positions from ``j`` on equal the one ``period`` later."""
    n = len(ids)
    out = [0] * (n - period + 1)
    for j in range(n - period - 1, -1, -1):
        out[j] = out[j + 1] + 1 if ids[j] == ids[j + period] else 0
    return out


def repeated_runs(signatures: Sequence[Hashable], min_reps: int = 3, min_cover: int = 12,
                  max_period: int = 256) -> list[tuple[int, int, int]]:
    """``(start, period, reps)`` of every run of a block repeated at least ``min_reps``
    times and covering at least ``min_cover`` equations, in order, not overlapping."""
    intern: dict[Hashable, int] = {}
    ids = [intern.setdefault(s, len(intern)) for s in signatures]
    n = len(ids)
    periods = range(1, min(max_period, n // max(min_reps, 1)) + 1)
    matches = {p: _match_runs(ids, p) for p in periods}
    runs = []
    i = 0
    while i < n:
        best: tuple[int, int] | None = None
        for p in periods:
            if i + p > n:
                break
            reps = 1 + matches[p][i] // p
            cover = p * reps
            if reps >= min_reps and cover >= min_cover and (
                    best is None or cover > best[0] * best[1]):
                best = (p, reps)
        if best is None:
            i += 1
            continue
        runs.append((i, *best))
        i += best[0] * best[1]
    return runs
