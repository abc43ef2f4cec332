"""``python -m vmapviz.demo``: vectorize the tutorial's Counter and show what vmapviz sees.

Prints the call's account in words and writes the records as JSON (and pictures,
when the renderers are available) to ``vmapviz-demo/``.
"""

from __future__ import annotations

import pathlib
import sys

import jax.numpy as jnp

import vmapviz
from vmapviz.transform import vmap2
from vmapviz.util.filter import OfType


class Counter(vmapviz.nn.Module):
    """The tutorial's counter: one ShortTermState incremented by ``delta``."""

    def __init__(self):
        super().__init__()
        self.count = vmapviz.ShortTermState(jnp.zeros(4))

    def __call__(self, delta):
        self.count.value = self.count.value + delta
        return self.count.value


def main(out_dir: str = "vmapviz-demo") -> int:
    counter = Counter()
    mapped = vmap2(
        counter,
        in_axes=0,
        out_axes=0,
        state_in_axes={0: OfType(vmapviz.ShortTermState)},
        state_out_axes={0: OfType(vmapviz.ShortTermState)},
    )
    deltas = jnp.array([1.0, 2.0, 3.0, 4.0])
    report = mapped.inspect(deltas)
    print("counts:", report.result)
    print("counter.count after the call:", counter.count.value)
    print()
    print(report.explain())
    print()
    print("Batched jaxpr of the whole call:")
    print(report.batched_jaxpr)
    out = pathlib.Path(out_dir)
    out.mkdir(exist_ok=True)
    (out / "counter_report.json").write_text(report.to_json() + "\n")
    written = ["counter_report.json"]
    written += _pictures(report, out)
    print(f"\nWrote {', '.join(written)} to {out}/")
    return 0


def _pictures(report, out: pathlib.Path) -> list[str]:
    try:
        from vmapviz import render
    except ImportError:
        return []
    names = []
    for name, make in getattr(render, "DEMO_OUTPUTS", {}).items():
        (out / name).write_text(make(report))
        names.append(name)
    return names


if __name__ == "__main__":
    sys.exit(main())
