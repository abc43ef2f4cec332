"""Per-call dispatch cost of vmapviz against raw JAX, as ratios measured in one process.

Run: ``python benchmarks/dispatch.py``. A 3-layer MLP whose weights are ParamStates,
batch 32. Prints the median per-call time of each variant and its ratio to
``jax.jit(jax.vmap(f))``.
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp

import vmapviz
from vmapviz.transform import jit, vmap2

SIZES = (64, 128, 128, 10)
BATCH = 32


class MLP(vmapviz.nn.Module):
    def __init__(self):
        super().__init__()
        keys = jax.random.split(jax.random.key(0), len(SIZES) - 1)
        self.layers = [
            (vmapviz.ParamState(jax.random.normal(k, (a, b)) / a**0.5),
             vmapviz.ParamState(jnp.zeros(b)))
            for k, a, b in zip(keys, SIZES[:-1], SIZES[1:])
        ]

    def __call__(self, x):
        for i, (w, b) in enumerate(self.layers):
            x = x @ w.value + b.value
            if i < len(self.layers) - 1:
                x = jnp.tanh(x)
        return x


def raw_forward(params, x):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i < len(params) - 1:
            x = jnp.tanh(x)
    return x


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


def main() -> dict[str, float]:
    model = MLP()
    params = [(w.value, b.value) for w, b in model.layers]
    x = jax.random.normal(jax.random.key(1), (BATCH, SIZES[0]))
    raw = jax.jit(jax.vmap(raw_forward, in_axes=(None, 0)))
    jitted = jit(vmap2(model))
    plain = vmap2(model)
    rows = medians_us({
        "jax.jit(jax.vmap(f))": lambda: raw(params, x),
        "vmapviz jit(vmap2(module))": lambda: jitted(x),
        "vmapviz vmap2(module), warm": lambda: plain(x),
    })
    # The same warm call while an observer collects every stage record.
    with vmapviz.transform.observe() as log:
        observed = medians_us({"observed": lambda: plain(x)}, repeats=5, number=50)
    assert log, "the observer saw no records"
    rows["vmap2(module), warm, observed"] = observed["observed"]
    base = rows["jax.jit(jax.vmap(f))"]
    print(f"{'variant':32s} {'median us/call':>15s} {'ratio':>7s}")
    for name, us in rows.items():
        print(f"{name:32s} {us:15.1f} {us / base:7.2f}x")
    return {name: us / base for name, us in rows.items()}


if __name__ == "__main__":
    main()
