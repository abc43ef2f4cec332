"""The benchmarks' models: MLPs whose weights are ParamStates, built by size.

``mlp(sizes)`` is the dense MLP of ``benchmarks/dispatch.py`` (``tanh`` between layers);
``deep_mlp(layers, width)`` the long, narrow MLP of ``benchmarks/render.py``, unrolled or
in jitted blocks. Each has a plain-JAX twin (``mlp_forward``, ``deep_mlp_forward``) of
the same computation on the weights' values, for baselines. Weights carry Module paths
(``layers/0/0`` is the first layer's weight).

>>> import jax.numpy as jnp
>>> from vmapviz.examples import models
>>> from vmapviz.transform import vmap2
>>> net = models.mlp((4, 8, 2))
>>> list(net.named_states())
[('layers', '0', '0'), ('layers', '0', '1'), ('layers', '1', '0'), ('layers', '1', '1')]
>>> vmap2(net)(jnp.ones((3, 4))).shape
(3, 2)
>>> bool(jnp.allclose(vmap2(net)(jnp.ones((3, 4))),
...                   models.mlp_forward(models.params(net), jnp.ones((3, 4)))))
True
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

import vmapviz

from ._example import made_here

__all__ = ["MLP", "DeepMLP", "deep_mlp", "deep_mlp_forward", "mlp", "mlp_forward", "params"]


def params(model) -> list[tuple[jax.Array, jax.Array]]:
    """The ``(weight, bias)`` values of every layer of an :class:`MLP` or :class:`DeepMLP`."""
    return [(w.value, b.value) for w, b in model.layers]


# ---------------------------------------------------------------- dense MLP


def mlp_forward(params, x):
    """Plain JAX: ``tanh`` between the affine layers, none after the last."""
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i < len(params) - 1:
            x = jnp.tanh(x)
    return x


class MLP(vmapviz.nn.Module):
    """Affine layers of the given sizes with ``tanh`` between them."""

    def __init__(self, sizes: Sequence[int], seed: int = 0):
        super().__init__()
        sizes = tuple(sizes)
        keys = jax.random.split(jax.random.key(seed), len(sizes) - 1)
        self.layers = [
            (made_here(vmapviz.ParamState(jax.random.normal(k, (a, b)) / a**0.5)),
             made_here(vmapviz.ParamState(jnp.zeros(b))))
            for k, a, b in zip(keys, sizes[:-1], sizes[1:])
        ]

    def __call__(self, x):
        return mlp_forward(params(self), x)


def mlp(sizes: Sequence[int] = (64, 128, 128, 10), seed: int = 0) -> MLP:
    """A fresh :class:`MLP`, weights drawn from ``jax.random.key(seed)``, biases zero."""
    return MLP(sizes, seed)


# ---------------------------------------------------------------- deep, narrow MLP


def _layer(w, b, x):
    return jnp.tanh(x @ w + b) * 0.5


def _block(params, x):
    for w, b in params:
        x = _layer(w, b, x)
    return x


def deep_mlp_forward(params, x, block: int | None = None):
    """Plain JAX: every layer unrolled (``block=None``), or ``jax.jit`` blocks of
    ``block`` layers (each a sub-jaxpr)."""
    if block is None:
        return _block(params, x)
    for i in range(0, len(params), block):
        x = jax.jit(_block)(params[i : i + block], x)
    return x


class DeepMLP(vmapviz.nn.Module):
    """``layers`` layers of ``tanh(x @ w + b) * 0.5`` (4 equations each), width ``width``."""

    def __init__(self, layers: int, width: int, block: int | None = None):
        super().__init__()
        self.block = block
        self.layers = [(made_here(vmapviz.ParamState(jnp.full((width, width), 0.1))),
                        made_here(vmapviz.ParamState(jnp.zeros(width)))) for _ in range(layers)]

    def __call__(self, x):
        return deep_mlp_forward(params(self), x, self.block)


def deep_mlp(layers: int = 500, width: int = 8, block: int | None = None) -> DeepMLP:
    """A fresh :class:`DeepMLP`: unrolled, or in jitted blocks of ``block`` layers."""
    return DeepMLP(layers, width, block)
