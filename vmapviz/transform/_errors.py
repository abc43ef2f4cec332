"""Exceptions raised by the transforms, and helpers that word them in JAX's voice."""

from __future__ import annotations

__all__ = ["BatchAxisError", "MappingError"]


class BatchAxisError(ValueError):
    """A State's batch axis cannot be honoured (policy ``'raise'``, or conflicting axes)."""


class MappingError(ValueError):
    """Bad input to a mapped call: sizes, axes, or non-array leaves."""


def a_or_an(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
