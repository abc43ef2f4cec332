"""Packaging: dependency ranges, the pinned environment, and Binder agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_binder_pins_are_the_development_pins():
    binder, dev = _pins(ROOT / "binder" / "requirements.txt"), _pins(ROOT / "constraints.txt")
    assert binder, "binder/requirements.txt pins nothing"
    assert {k: v for k, v in binder.items() if dev.get(k) != v} == {}


def test_runtime_dependencies_are_ranges_not_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert not [d for d in deps if "==" in d], deps
    jax = [d for d in deps if re.match(r"jax\b", d)]
    assert jax and ">=" in jax[0]
    assert project["requires-python"] == ">=3.11"


def test_the_pinned_jax_is_inside_the_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = next(d for d in project["dependencies"] if d.startswith("jax>="))[len("jax>="):]
    pinned = _pins(ROOT / "constraints.txt")["jax"]

    def key(v: str) -> tuple:
        return tuple(int(x) for x in v.split("."))

    assert key(floor) <= key(pinned)
