"""The seed tutorial's examples on vmapviz and on brainstate, side by side in one process.

Run: ``python benchmarks/vs_brainstate.py`` in an environment that has brainstate (e.g.
``.venv-compat-newest`` from ``make test-compat``). Each backend runs every example of
``tests/fixtures/tutorial_examples.py`` in its own namespace, in order, like notebook
cells; the only difference is the import cell. Prints, per example, whether the two
printed the same text (function addresses and the package name aside) or the first
line that differs, and the time each backend took for the whole tutorial, as a ratio.
Without brainstate it says so and exits 0.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures.tutorial_examples import EXAMPLES

BRAINSTATE_IMPORTS = """
import jax
import jax.numpy as jnp
import brainstate
from brainstate.transform import vmap2
from brainstate.util.filter import OfType
"""
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def normalize(text: str) -> str:
    text = ADDRESS.sub(" at 0xADDRESS>", text.replace("brainstate.", "vmapviz."))
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


def run_all(imports: str) -> tuple[dict[str, str], float]:
    """Every example's printed text (or its error), and the wall time of the whole run."""
    namespace: dict = {"__name__": "__tutorial__"}
    printed = {}
    start = time.perf_counter()
    for name, source in EXAMPLES.items():
        code = imports if name == "0 imports" else source
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            try:
                exec(compile(code, f"<example {name}>", "exec"), namespace)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 (a failing example is a result)
                print(f"{type(exc).__name__}: {exc}")
        printed[name] = buffer.getvalue()
    return printed, time.perf_counter() - start


def first_difference(a: str, b: str) -> str:
    for line_a, line_b in zip(a.splitlines(), b.splitlines()):
        if line_a != line_b:
            return f"vmapviz {line_a!r} / brainstate {line_b!r}"
    return f"vmapviz {len(a.splitlines())} lines / brainstate {len(b.splitlines())} lines"


def main() -> int:
    if importlib.util.find_spec("brainstate") is None:
        print("brainstate is not installed here: nothing to compare (see `make test-compat`).")
        return 0
    import brainstate
    import jax

    print(f"jax {jax.__version__}, brainstate {brainstate.__version__}, "
          f"Python {sys.version.split()[0]}")
    ours, t_ours = run_all(EXAMPLES["0 imports"])
    theirs, t_theirs = run_all(BRAINSTATE_IMPORTS)
    same = 0
    for name in EXAMPLES:
        a, b = normalize(ours[name]), normalize(theirs[name])
        same += a == b
        print(f"{name:42s} {'same' if a == b else 'DIFFERS: ' + first_difference(a, b)}")
    print(f"\n{same} of {len(EXAMPLES)} examples print the same text on both.")
    print(f"whole tutorial, first run (tracing and compiling included): vmapviz "
          f"{t_ours:.2f} s, brainstate {t_theirs:.2f} s, ratio {t_ours / t_theirs:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
