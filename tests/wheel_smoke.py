"""Smoke test of an installed vmapviz (run by `make wheel-smoke` against the built wheel).

Run from outside the checkout, so that ``import vmapviz`` finds the installed package:
import, vmap2 with a random State, explain, every renderer, an Inspector's state.
Prints one line per check and exits non-zero on the first failure.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    import jax
    import jax.numpy as jnp

    import vmapviz
    from vmapviz import render
    from vmapviz.transform import vmap2

    where = Path(vmapviz.__file__).resolve()
    print(f"vmapviz {vmapviz.__version__} from {where.parent}; jax {jax.__version__}; "
          f"Python {sys.version.split()[0]}")
    assert "site-packages" in where.parts, f"not the installed package: {where}"

    vmapviz.random.seed(0)
    count = vmapviz.ShortTermState(jnp.zeros(4), name="count")

    def step(x):
        count.value = count.value + x + vmapviz.random.normal(0.0, 1.0)
        return count.value

    mapped = vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
    report = mapped.inspect(jnp.arange(4.0))
    assert report.result.shape == (4,) and count.value.shape == (4,)
    assert len(set(map(float, count.value - jnp.arange(4.0)))) == 4, "lanes drew alike"
    print("ok  vmap2 with a random State")

    text = report.explain()
    assert text.startswith("vmap2 of step over 4 lanes") and "split its key" in text
    print("ok  explain")
    checks = {
        "to_text": render.to_text(report).startswith("vmap2 of step"),
        "to_html": "<table" in render.to_html(report),
        "axis_svg": render.axis_svg(report).startswith("<svg"),
        "to_dot": render.to_dot(report).startswith("digraph"),
    }
    for name, ok in checks.items():
        assert ok, name
        print(f"ok  render.{name}")

    inspector = vmapviz.inspect(mapped, jnp.ones(4))
    entry = inspector.entries[0]
    assert entry["title"] == "vmap2 of step over 4 lanes" and len(entry["lanes"]) == 4
    assert {"elementwise", "batched"} <= set(entry["graphs"])
    static = Path(vmapviz.widgets.__file__).parent / "static"
    assert (static / "vmapviz.js").is_file() and (static / "vmapviz.css").is_file()
    print("ok  Inspector state built; widget static files installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
