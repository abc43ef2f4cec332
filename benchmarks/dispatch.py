"""Per-call dispatch cost of vmapviz against raw JAX, as ratios measured in one process.

Run: ``python benchmarks/dispatch.py``. Two 3-layer MLPs whose weights are
ParamStates, batch 32: 64-128-128-10 and a small 16-64-64-8 (where raw JAX takes a few
microseconds, so vmapviz's own per-call work shows). Prints the median per-call time of
each variant and its ratio to ``jax.jit(jax.vmap(f))`` on the same model, and the cost
of calling from several threads at once (every call holds vmapviz's State lock). The
models are ``vmapviz.examples.models.mlp``; the raw-JAX baseline is ``mlp_forward``.
When brainstate is importable, the same model with brainstate's ParamStates adds
brainstate's ``jit(vmap2)`` and plain ``vmap2`` rows (same weights, same baseline).
"""

from __future__ import annotations

import importlib.util
import statistics
import threading
import time

import jax

import vmapviz
from vmapviz.examples.models import mlp, mlp_forward, params
from vmapviz.transform import jit, vmap2

MODELS = {"MLP 64-128-128-10": (64, 128, 128, 10), "MLP 16-64-64-8": (16, 64, 64, 8)}
BATCH = 32


def medians_us(variants: dict, repeats: int = 15, number: int = 200) -> dict[str, float]:
    """Median per-call time of each variant; rounds interleave the variants so that
    load from other processes falls on all of them alike."""
    for fn in variants.values():
        jax.block_until_ready(fn())
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(number):
                out = fn()
            jax.block_until_ready(out)
            samples[name].append((time.perf_counter() - start) / number * 1e6)
    return {name: statistics.median(v) for name, v in samples.items()}


def threaded_us(fn, threads: int = 4, calls: int = 200) -> float:
    """Wall time per call of ``threads`` threads each making ``calls`` calls."""
    def work():
        for _ in range(calls):
            out = fn()
        jax.block_until_ready(out)

    work()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return (time.perf_counter() - start) / (threads * calls) * 1e6


def brainstate_rows(weights, x) -> dict:
    """brainstate's ``jit(vmap2)`` and ``vmap2`` of the same model, when it is installed."""
    if importlib.util.find_spec("brainstate") is None:
        return {}
    import brainstate

    class Twin(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [(brainstate.ParamState(w), brainstate.ParamState(b))
                           for w, b in weights]

        def __call__(self, xs):
            return mlp_forward([(w.value, b.value) for w, b in self.layers], xs)

    twin = Twin()
    jitted = brainstate.transform.jit(brainstate.transform.vmap2(twin))
    plain = brainstate.transform.vmap2(twin)
    return {f"brainstate {brainstate.__version__} jit(vmap2)": lambda: jitted(x),
            f"brainstate {brainstate.__version__} vmap2, warm": lambda: plain(x)}


def bench_model(title: str, sizes: tuple) -> dict[str, float]:
    model = mlp(sizes)
    weights = params(model)
    x = jax.random.normal(jax.random.key(1), (BATCH, sizes[0]))
    raw = jax.jit(jax.vmap(mlp_forward, in_axes=(None, 0)))
    jitted = jit(vmap2(model))
    plain = vmap2(model)
    rows = medians_us({
        "jax.jit(jax.vmap(f))": lambda: raw(weights, x),
        "vmapviz jit(vmap2(module))": lambda: jitted(x),
        "vmapviz vmap2(module), warm": lambda: plain(x),
        **brainstate_rows(weights, x),
    })
    # The same warm call while an observer collects every stage record.
    with vmapviz.transform.observe() as log:
        observed = medians_us({"observed": lambda: plain(x)}, repeats=5, number=50)
    assert log, "the observer saw no records"
    rows["vmap2(module), warm, observed"] = observed["observed"]
    # Four threads at once: raw JAX runs them side by side, vmapviz one call at a time.
    rows["4 threads: jax.jit(jax.vmap(f))"] = threaded_us(lambda: raw(weights, x))
    rows["4 threads: vmapviz jit(vmap2)"] = threaded_us(lambda: jitted(x))
    base = rows["jax.jit(jax.vmap(f))"]
    print(f"\n{title}, batch {BATCH} (jax {jax.__version__})")
    print(f"{'variant':34s} {'median us/call':>15s} {'ratio':>7s}")
    for name, us in rows.items():
        print(f"{name:34s} {us:15.1f} {us / base:7.2f}x")
    return {name: us / base for name, us in rows.items()}


def main() -> dict[str, dict[str, float]]:
    return {title: bench_model(title, sizes) for title, sizes in MODELS.items()}


if __name__ == "__main__":
    main()
