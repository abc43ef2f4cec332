"""Cost of the pictures of real-size models, against the model's own first call.

Run: ``python benchmarks/render.py``. Part 1, every real-size model of the catalogue
(``vmapviz.examples.MODELS``): the first call (trace and compile), ``inspect()``, DOT of
both views, Graphviz layout of both, the Inspector's build and its state in bytes, with
each time as a ratio to the first call (targets: layout <= 1 s, Inspector <= 1x the
first call, state <= 2 MB). Part 2: a deep MLP (weights are ParamStates) under
``vmap2``, built two ways: unrolled (every equation at top level) and in jitted
blocks (sub-jaxprs that collapse into one node each, ``max_cluster_eqns=50``).
Prints the median time of ``jax.make_jaxpr`` on the same computation, of
``to_dot`` (per-element jaxpr, and both jaxprs) and of ``dot -Tsvg``, with the
ratio of each to the trace time (target: DOT <= 1x trace). The model is
``vmapviz.examples.models.deep_mlp``; the raw-JAX trace is of ``deep_mlp_forward``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time

import jax
import jax.numpy as jnp

from vmapviz import examples, widgets
from vmapviz.examples.models import deep_mlp, deep_mlp_forward, params
from vmapviz.render import to_dot, to_svg
from vmapviz.render.dot import node_count
from vmapviz.transform import vmap2

LAYERS = 500  # 4 equations per layer: ~2,000 equations
BLOCK = 25  # layers per jitted block (100 equations, above max_cluster_eqns)
WIDTH = 8
BATCH = 4


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(blocked: bool) -> None:
    block = BLOCK if blocked else None
    model = deep_mlp(LAYERS, WIDTH, block)
    xs = jnp.ones((BATCH, WIDTH))
    weights = params(model)

    def trace_once():
        jax.clear_caches()  # a cold trace, as the first call of a new function pays
        fresh = jax.vmap(lambda p, x: deep_mlp_forward(p, x, block), in_axes=(None, 0))
        jax.make_jaxpr(fresh)(weights, xs)

    trace = median_time(trace_once)
    report = vmap2(model).inspect(xs)
    jaxpr = report.elementwise_jaxpr.jaxpr
    n_eqns = len(jaxpr.eqns) + sum(
        len(s.eqns) for e in jaxpr.eqns for s in jax.extend.core.jaxprs_in_params(e.params))
    dot_one = median_time(lambda: to_dot(report, which="elementwise"))
    dot_both = median_time(lambda: to_dot(report, which="both"))
    source = to_dot(report, which="elementwise")
    kind = f"jitted blocks of {BLOCK} layers (collapsed)" if blocked else "unrolled"
    print(f"\n{kind}: {n_eqns} equations in the per-element jaxpr, "
          f"{source.count(' -> ')} edges drawn")
    print(f"  jax.make_jaxpr (trace)       {trace * 1e3:9.1f} ms   1.00x")
    print(f"  to_dot elementwise           {dot_one * 1e3:9.1f} ms   {dot_one / trace:.2f}x")
    print(f"  to_dot both                  {dot_both * 1e3:9.1f} ms   {dot_both / trace:.2f}x")
    build = median_time(lambda: widgets.Inspector([report]), repeat=1)
    print(f"  Inspector built (both views) {build * 1e3:9.1f} ms   {build / trace:.2f}x")
    if shutil.which("dot") is None:
        print("  dot -Tsvg: skipped (Graphviz `dot` not installed)")
        return
    svg = median_time(lambda: to_svg(source), repeat=1)
    print(f"  dot -Tsvg elementwise        {svg * 1e3:9.1f} ms   {svg / trace:.2f}x")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def model_row(name: str, example) -> str:
    """One model's row: times as ratios to its first call, layout in seconds."""
    mapping, args, kwargs = example.build()
    _, first = timed(lambda: jax.block_until_ready(mapping(*args, **kwargs)))
    mapping, args, kwargs = example.build()  # fresh States: inspect() traces anew
    report, inspect = timed(lambda: mapping.inspect(*args, **kwargs))
    dots, dot = timed(lambda: [to_dot(report, which=w) for w in ("elementwise", "batched")])
    layout = unfolded = "no dot"
    if shutil.which("dot"):
        layout = f"{timed(lambda: [to_svg(d) for d in dots])[1]:6.2f}s"
        # what unticking "fold repeated blocks" costs: the per-element graph drawn whole
        whole = to_dot(report, which="elementwise", fold_repeats=False)
        nodes = node_count(whole)
        unfolded = f"{timed(lambda: to_svg(whole, timeout=600))[1]:6.2f}s/{nodes}"
    inspector, build = timed(lambda: widgets.Inspector([report]))
    size = len(json.dumps(inspector.entries))
    return (f"{name:16s} {first:9.2f}s {inspect / first:7.2f}x {dot / first:6.2f}x "
            f"{layout:>8s} {build / first:9.2f}x {size / 1e6:6.2f}MB {unfolded:>13s}")


def catalogue() -> None:
    """Part 1: one row per real-size model."""
    print(f"{'model':16s} {'first call':>10s} {'inspect':>8s} {'DOT':>7s} {'layout':>8s} "
          f"{'Inspector':>10s} {'state':>8s} {'unfolded/nodes':>14s}")
    for name, example in examples.MODELS.items():
        print(model_row(name, example))


def main() -> None:
    print(f"jax {jax.__version__}\n\nPart 1: the catalogue's real-size models (times as a "
          "ratio to the first call; layout in seconds)")
    catalogue()
    print(f"\nPart 2: {LAYERS} layers of width {WIDTH}, batch {BATCH}")
    run(blocked=True)
    run(blocked=False)


if __name__ == "__main__":
    main()
