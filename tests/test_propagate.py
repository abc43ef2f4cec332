"""Batch-axis propagation agrees with jax.vmap's own batching.

The oracle is public JAX: an output is unbatched exactly when ``jax.vmap`` accepts
``out_axes=None`` for it.
"""

import jax
import jax.numpy as jnp
import pytest

from vmapviz.transform._propagate import batched_outputs, propagate

X = jnp.arange(6.0).reshape(2, 3)
W = jnp.ones((3, 3))
KEY = jax.random.key(0)


def _scan_carry_from_batched(x, w):
    def body(c, xs):
        return c + xs, c * 2

    return jax.lax.scan(body, jnp.zeros(3), w + x)


def _scan_broadcast(x, w):
    def body(c, xs):
        return c + xs, xs

    return jax.lax.scan(body, jnp.zeros(3), w)[0], x.sum()


def _while_batched_pred(x, w):
    return jax.lax.while_loop(lambda c: c[0] < x.sum(), lambda c: (c[0] + 1.0, c[1]),
                              (0.0, w.sum()))


def _while_shared_pred(x, w):
    return jax.lax.while_loop(lambda c: c[0] < 3.0, lambda c: (c[0] + 1.0, c[1] + x.sum()),
                              (0.0, w.sum()))


CASES = {
    # name: (function, in_axes)
    "elementwise": (lambda x, w: (jnp.sin(x) * 2, w + 1), (0, None)),
    "reductions": (lambda x, w: (x.sum(), w.max(axis=0), jnp.mean(x) + w.sum()), (0, None)),
    "dot": (lambda x, w: (x @ w, w @ w), (0, None)),
    "indexing": (lambda x, w: (x[1], w[0, 1:], w[jnp.argmax(x)]), (0, None)),
    "both_batched": (lambda x, w: (x @ w, w.T), (0, 0)),
    "scan_carry": (_scan_carry_from_batched, (0, None)),
    "scan_broadcast": (_scan_broadcast, (0, None)),
    "cond_batched_pred": (lambda x, w: jax.lax.cond(x.sum() > 3, lambda: w, lambda: -w), (0, None)),
    "cond_shared_pred": (lambda x, w: jax.lax.cond(w.sum() > 3, lambda: x, lambda: w[0]), (0, None)),
    "while_batched_pred": (_while_batched_pred, (0, None)),
    "while_shared_pred": (_while_shared_pred, (0, None)),
    "jit_inside": (lambda x, w: jax.jit(lambda a, b: (a + b, b * 2))(x, w), (0, None)),
    "custom_jvp": (lambda x, w: (jax.nn.relu(x), jax.nn.relu(w)), (0, None)),
    "random_shared_key": (lambda x, k: (jax.random.normal(k, (3,)), x + 1), (0, None)),
    "random_batched_key": (lambda k, w: (jax.random.normal(k, (3,)), w), (0, None)),
}


def _args(name, in_axes):
    if name.startswith("random_shared"):
        return X, KEY
    if name.startswith("random_batched"):
        return jax.random.split(KEY, 2), W
    second = W if in_axes[1] is None else jnp.ones((2, 3, 3))
    return X, second


def _vmap_oracle(f, in_axes, args, n_out):
    batched = []
    for i in range(n_out):
        out_axes = tuple(None if j == i else 0 for j in range(n_out))
        try:
            jax.vmap(lambda *a: tuple(jax.tree.leaves(f(*a))), in_axes, out_axes)(*args)
            batched.append(False)
        except ValueError:
            batched.append(True)
    return batched


@pytest.mark.parametrize("name", list(CASES))
def test_propagation_matches_jax_vmap(name):
    f, in_axes = CASES[name]
    args = _args(name, in_axes)
    lane_args = [a if ax is None else a[0] for a, ax in zip(args, in_axes)]
    closed = jax.make_jaxpr(lambda *a: jax.tree.leaves(f(*a)))(*lane_args)
    in_batched = []
    for a, ax in zip(lane_args, in_axes):
        in_batched.extend([ax is not None] * len(jax.tree.leaves(a)))
    ours = batched_outputs(closed, in_batched)
    assert ours == _vmap_oracle(f, in_axes, args, len(ours))


def test_collectives_over_the_mapped_axis():
    def f(x):
        return jax.lax.psum(x, "i"), jax.lax.axis_index("i") * 1.0, x - jax.lax.pmean(x, "i")

    closed = jax.make_jaxpr(f, axis_env=[("i", 3)])(1.0)
    assert batched_outputs(closed, [True], axis_name="i") == [False, True, True]
    oracle = []
    for i in range(3):
        out_axes = tuple(None if j == i else 0 for j in range(3))
        try:
            jax.vmap(f, axis_name="i", out_axes=out_axes)(jnp.arange(3.0))
            oracle.append(False)
        except ValueError:
            oracle.append(True)
    assert oracle == [False, True, True]


def test_env_covers_every_variable():
    closed = jax.make_jaxpr(lambda x, w: jnp.tanh(x @ w) + w.sum())(X[0], W)
    env, out = propagate(closed.jaxpr, [True, False])
    every_var = list(closed.jaxpr.invars) + [v for e in closed.jaxpr.eqns for v in e.outvars]
    assert set(env) == set(every_var)
    assert out == [True]
    w_sum = closed.jaxpr.eqns[-2].outvars[0]
    assert env[w_sum] is False
