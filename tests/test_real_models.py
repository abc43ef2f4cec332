"""The real-size models of the catalogue, built small: each computes what it says."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vmapviz import examples
from vmapviz.examples import models, real


def test_the_catalogue_lists_the_real_models():
    assert examples.names(models=True) == ["mlp_300", "lif_population", "transformer_12",
                                           "ensemble"]
    assert examples.get("ensemble").factory is real.ensemble
    with pytest.raises(KeyError, match="known: .*mlp_300"):
        examples.get("nope")


def test_deep_mlp_equals_plain_jax():
    mapping, (x,), _ = real.mlp_300(layers=5, width=4, batch=3)
    expected = models.deep_mlp_forward(models.params(mapping.origin_fun), x)
    np.testing.assert_allclose(mapping(x), expected, rtol=1e-6)


def test_lif_trials_draw_their_own_noise():
    mapping, (currents,), _ = real.lif_population(neurons=20, steps=30, trials=4)
    same = jnp.broadcast_to(currents[:1], currents.shape)  # every trial, the same input
    rates = mapping(same)
    model = mapping.origin_fun
    assert rates.shape == (4, 20) and bool(((rates >= 0) & (rates <= 1)).all())
    assert len({tuple(np.asarray(r)) for r in rates}) == 4, "trials share their noise"
    assert model.v.value.shape == model.spike.value.shape == (4, 20)
    fired = np.asarray(model.spike.value) > 0
    assert np.all(np.asarray(model.v.value)[fired] == 0.0), "a spike resets the membrane"


def test_transformer_lanes_equal_one_example_at_a_time_without_dropout():
    mapping, (x,), _ = real.transformer_12(blocks=2, d=8, heads=2, seq=3, batch=2, rate=0.0)
    out = mapping(x)
    model = mapping.origin_fun
    one_by_one = jnp.stack([model(x[i]) for i in range(x.shape[0])])
    np.testing.assert_allclose(out, one_by_one, rtol=1e-5, atol=1e-5)


def test_transformer_dropout_differs_by_lane():
    mapping, (x,), _ = real.transformer_12(blocks=1, d=8, heads=2, seq=3, batch=2, rate=0.5)
    out = mapping(jnp.broadcast_to(x[:1], x.shape))
    assert not np.allclose(out[0], out[1]), "both lanes dropped the same units"


def test_ensemble_member_m_uses_weights_m():
    mapping, (x,), _ = real.ensemble(models=3, batch=5, sizes=(4, 6, 2))
    out = mapping(x)
    member = mapping.origin_fun.origin_fun
    assert out.shape == (3, 5, 2)
    for m in range(3):
        h = x
        for i, (w, b) in enumerate(member.layers):
            h = h @ w.value[m] + b.value[m]
            h = jnp.tanh(h) if i < len(member.layers) - 1 else h
        np.testing.assert_allclose(out[m], h, rtol=1e-5, atol=1e-6)
    assert jax.tree.leaves(member.layers)[0].value.shape == (3, 4, 6)
