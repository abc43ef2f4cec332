"""Utilities: :mod:`vmapviz.util.filter`, the language that selects States."""

from . import filter as filter
