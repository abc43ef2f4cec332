"""Real-size models: what a student's network looks like after the tutorial.

``mlp_300`` (300 layers, 16 wide, batch 32), ``lif_population`` (1,000 LIF neurons
with membrane and spike States and noise from a RandomState, stepped 500 times with
``vmapviz.transform.scan`` inside ``vmap2`` over 32 trials), ``transformer_12`` (12
blocks of attention, MLP, layer norm and dropout over a batch of sequences) and
``ensemble`` (``vmap2`` of ``vmap2``: 8 models x a batch of 32). Sizes are arguments,
so tests can build the same structure small.

>>> from vmapviz.examples import real
>>> mapping, args, _ = real.lif_population(neurons=8, steps=5, trials=3)
>>> mapping(*args).shape
(3, 8)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import vmapviz
from vmapviz.transform import scan, vmap2
from vmapviz.util.filter import OfType

from ._example import Built, Example, made_here
from .models import deep_mlp

__all__ = ["MODELS", "ensemble", "lif_population", "mlp_300", "transformer_12"]


def mlp_300(layers: int = 300, width: int = 16, batch: int = 32) -> Built:
    """A 300-layer MLP (``tanh(x @ w + b) * 0.5`` per layer) under ``vmap2``."""
    x = jax.random.normal(jax.random.key(0), (batch, width))
    return vmap2(deep_mlp(layers, width)), (x,), {}


# ---------------------------------------------------------------- LIF population


class LIFPopulation(vmapviz.nn.Module):
    """Leaky integrate-and-fire neurons, one population per trial (States batched on 0)."""

    def __init__(self, trials: int, neurons: int, tau: float = 10.0, threshold: float = 1.0):
        super().__init__()
        self.tau, self.threshold = tau, threshold
        self.v = made_here(vmapviz.HiddenState(jnp.zeros((trials, neurons))))
        self.spike = made_here(vmapviz.ShortTermState(jnp.zeros((trials, neurons))))
        self.noise = made_here(vmapviz.random.RandomState(7))

    def step(self, current):
        noise = self.noise.normal(0.0, 0.3, self.v.value.shape)
        v = self.v.value + (current + noise - self.v.value) / self.tau
        fired = (v >= self.threshold).astype(v.dtype)
        self.v.value = v * (1.0 - fired)
        self.spike.value = fired
        return fired

    def __call__(self, currents):
        """``currents``: one trial's input, ``(steps, neurons)``; returns firing rates."""
        _, spikes = scan(lambda carry, c: (carry, self.step(c)), None, currents)
        return spikes.mean(axis=0)


def lif_population(neurons: int = 1000, steps: int = 500, trials: int = 32) -> Built:
    """1,000 LIF neurons x 500 steps x 32 trials; membrane and spike States per trial."""
    model = LIFPopulation(trials, neurons)
    per_trial = {0: OfType(vmapviz.ShortTermState)}  # HiddenState is one too
    mapping = vmap2(model, state_in_axes=per_trial, state_out_axes=per_trial)
    currents = 1.2 + 0.1 * jax.random.normal(jax.random.key(1), (trials, steps, neurons))
    return mapping, (currents,), {}


# ---------------------------------------------------------------- transformer


def _layer_norm(x, scale, shift):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + 1e-5) * scale + shift


class Block(vmapviz.nn.Module):
    """Pre-norm attention and MLP, with dropout after each."""

    def __init__(self, key, d: int, heads: int, rate: float):
        super().__init__()
        ks = jax.random.split(key, 6)
        self.heads, self.rate = heads, rate

        def dense(k, a, b):
            return made_here(vmapviz.ParamState(jax.random.normal(k, (a, b)) / a**0.5))

        self.wq, self.wk, self.wv, self.wo = (dense(k, d, d) for k in ks[:4])
        self.w1, self.w2 = dense(ks[4], d, 4 * d), dense(ks[5], 4 * d, d)
        self.ln1 = made_here(vmapviz.ParamState(jnp.ones(d)))
        self.ln2 = made_here(vmapviz.ParamState(jnp.ones(d)))

    def dropout(self, x):
        keep = vmapviz.random.bernoulli(1.0 - self.rate, x.shape)
        return jnp.where(keep, x / (1.0 - self.rate), 0.0)

    def attention(self, x):
        seq, d = x.shape

        def split(w):
            return (x @ w.value).reshape(seq, self.heads, d // self.heads)

        q, k, v = split(self.wq), split(self.wk), split(self.wv)
        weights = jax.nn.softmax(jnp.einsum("qhd,khd->hqk", q, k) / (d // self.heads) ** 0.5)
        return jnp.einsum("hqk,khd->qhd", weights, v).reshape(seq, d) @ self.wo.value

    def __call__(self, x):
        x = x + self.dropout(self.attention(_layer_norm(x, self.ln1.value, 0.0)))
        hidden = jax.nn.gelu(_layer_norm(x, self.ln2.value, 0.0) @ self.w1.value)
        return x + self.dropout(hidden @ self.w2.value)


class Transformer(vmapviz.nn.Module):
    def __init__(self, blocks: int, d: int, heads: int, rate: float):
        super().__init__()
        keys = jax.random.split(jax.random.key(3), blocks)
        self.blocks = [Block(k, d, heads, rate) for k in keys]

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x


def transformer_12(blocks: int = 12, d: int = 64, heads: int = 4, seq: int = 16,
                   batch: int = 8, rate: float = 0.1) -> Built:
    """12 transformer blocks over a batch of 8 sequences; dropout keys split per lane."""
    vmapviz.random.seed(0)
    x = jax.random.normal(jax.random.key(4), (batch, seq, d))
    return vmap2(Transformer(blocks, d, heads, rate)), (x,), {}


# ---------------------------------------------------------------- ensemble


class Member(vmapviz.nn.Module):
    """One small MLP of the ensemble; its weights carry a leading model axis."""

    def __init__(self, models: int, sizes: tuple[int, ...]):
        super().__init__()
        keys = jax.random.split(jax.random.key(5), len(sizes) - 1)
        self.layers = [
            (made_here(vmapviz.ParamState(jax.random.normal(k, (models, a, b)) / a**0.5)),
             made_here(vmapviz.ParamState(jnp.zeros((models, b)))))
            for k, a, b in zip(keys, sizes[:-1], sizes[1:])
        ]

    def __call__(self, x):
        for i, (w, b) in enumerate(self.layers):
            x = x @ w.value + b.value
            if i < len(self.layers) - 1:
                x = jnp.tanh(x)
        return x


def ensemble(models: int = 8, batch: int = 32, sizes: tuple[int, ...] = (16, 32, 4)) -> Built:
    """``vmap2`` over models (weights batched on axis 0) of ``vmap2`` over examples."""
    member = Member(models, sizes)
    over_batch = vmap2(member, in_axes=0, name="over_batch")
    over_models = vmap2(over_batch, in_axes=None, name="over_models",
                        state_in_axes={0: OfType(vmapviz.ParamState)})
    x = jax.random.normal(jax.random.key(6), (batch, sizes[0]))
    return over_models, (x,), {}


MODELS: tuple[Example, ...] = (
    Example("mlp_300", "real", "A 300-layer MLP",
            "300 affine + tanh layers, 16 wide, over a batch of 32: 1,200 equations.", mlp_300),
    Example("lif_population", "real", "A LIF neuron population",
            "1,000 neurons, membrane and spike States per trial, noise from a RandomState, "
            "500 scan steps inside vmap2 over 32 trials.", lif_population),
    Example("transformer_12", "real", "12 transformer blocks",
            "Attention, MLP, layer norm and dropout, over a batch of 8 sequences; dropout "
            "keys split per lane.", transformer_12),
    Example("ensemble", "real", "An ensemble: vmap2 of vmap2",
            "8 small MLPs (weights batched on a model axis) each over a batch of 32.",
            ensemble),
)
