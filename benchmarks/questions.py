"""Cost of the answers to the students' questions, against each model's own first call.

Run: ``python benchmarks/questions.py``. For every real-size model of the catalogue
(``vmapviz.examples.MODELS``), in one process, as ratios to the model's first call
(trace and compile) and to a plain ``inspect()`` of a warm call (after one inspect,
which builds the batched jaxpr once):

- ``dry_run``: ``inspect(*shapes, dry_run=True)`` of a fresh mapping (a trace, no run);
- ``values``: ``inspect(*args, values=True)`` of a warm call, and the values record's
  size in JSON;
- ``pitfalls`` / ``batching``: ``report.pitfalls`` and ``report.batching`` (first access);
- ``compare``: ``vmapviz.compare`` of two warm calls.

Prints one JSON line per model. Machines here are shared and noisy: read the ratios.
"""

from __future__ import annotations

import json
import time

import jax

import vmapviz
from vmapviz import examples
from vmapviz.records import to_json


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def shapes(args):
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype)
                        if hasattr(x, "shape") else x, args)


def measure(name: str) -> dict:
    example = examples.get(name)
    mapping, args, kwargs = example.build()
    _, first = timed(lambda: jax.block_until_ready(mapping(*args, **kwargs)))
    mapping.inspect(*args, **kwargs)  # the first inspect also builds the batched jaxpr
    _, inspect = timed(lambda: mapping.inspect(*args, **kwargs))
    fresh, fresh_args, fresh_kwargs = example.build()
    _, dry = timed(lambda: fresh.inspect(*shapes(fresh_args), dry_run=True, **fresh_kwargs))
    report, values = timed(lambda: mapping.inspect(*args, values=True, **kwargs))
    values_kb = len(to_json(report.values)) / 1024
    plain = mapping.inspect(*args, **kwargs)
    _, pitfalls = timed(lambda: plain.pitfalls)
    _, batching = timed(lambda: plain.batching)
    _, compare = timed(lambda: vmapviz.compare(report, plain))
    return {
        "model": name,
        "first_call_s": round(first, 3),
        "inspect_x": round(inspect / first, 2),
        "dry_run_x": round(dry / first, 2),
        "values_x_inspect": round(values / inspect, 2),
        "values_kb": round(values_kb, 1),
        "pitfalls_x": round(pitfalls / first, 3),
        "batching_x": round(batching / first, 3),
        "compare_x": round(compare / first, 3),
        "lanes_recorded": report.values.lanes,
        "batching_records": len(plain.batching),
        "pitfalls_found": len(plain.pitfalls),
        "same_axes": plain.axes == report.axes,
    }


def main() -> None:
    for name in examples.names(models=True):
        print(json.dumps(measure(name)))


if __name__ == "__main__":
    main()
