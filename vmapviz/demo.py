"""``python -m vmapviz.demo``: vectorize the tutorial's Counter and show what vmapviz sees.

The call is the catalogue's ``1.5_counter`` example (:mod:`vmapviz.examples`). Prints
the call's account in words and writes the records as JSON (and pictures, when the
renderers are available) to ``vmapviz-demo/``.
"""

from __future__ import annotations

import pathlib
import sys

from vmapviz import examples

EXAMPLE = "1.5_counter"


def main(out_dir: str = "vmapviz-demo") -> int:
    mapped, args, kwargs = examples.get(EXAMPLE).build()
    counter = mapped.origin_fun  # the example's Counter module
    report = mapped.inspect(*args, **kwargs)
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
