"""Batch-axis propagation agrees with jax.vmap's own batching.

The oracle is public JAX: an output is unbatched exactly when ``jax.vmap`` accepts
``out_axes=None`` for it.
"""

import jax
import jax.numpy as jnp
import pytest

from vmapviz.transform._propagate import batched_outputs, jaxpr_flags

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


def _env(jaxpr, flags):
    """Var -> flag from a JaxprFlags record (top level)."""
    env = dict(zip(jaxpr.invars, flags.invars))
    for eqn, e in zip(jaxpr.eqns, flags.eqns):
        env.update(zip(eqn.outvars, e.outs))
    return env


def test_flags_cover_every_variable():
    closed = jax.make_jaxpr(lambda x, w: jnp.tanh(x @ w) + w.sum())(X[0], W)
    flags = jaxpr_flags(closed.jaxpr, [True, False])
    assert len(flags.eqns) == len(closed.jaxpr.eqns)
    assert [len(e.outs) for e in flags.eqns] == [len(e.outvars) for e in closed.jaxpr.eqns]
    env = _env(closed.jaxpr, flags)
    every_var = list(closed.jaxpr.invars) + [v for e in closed.jaxpr.eqns for v in e.outvars]
    assert set(env) == set(every_var)
    assert flags.outvars == (True,)
    w_sum = closed.jaxpr.eqns[-2].outvars[0]
    assert env[w_sum] is False


def test_nested_flags_follow_the_loop_carry():
    """A scan carry that starts shared but meets a batched value is batched inside the
    body too (the record holds the fixed point, not the first guess)."""
    def f(x, w):
        def body(c, _):
            return c + x, c
        return jax.lax.scan(body, w, None, length=3)

    closed = jax.make_jaxpr(f)(1.0, 2.0)
    flags = jaxpr_flags(closed.jaxpr, [True, False])
    scan_index = [e.primitive.name for e in closed.jaxpr.eqns].index("scan")
    scan = flags.eqns[scan_index]
    (body,) = scan.subs
    assert scan.outs == (True, True)
    # body inputs: the const x (batched), then the carry, batched at the fixed point
    assert body.invars == (True, True)
    shared = jaxpr_flags(closed.jaxpr, [False, False]).eqns[scan_index]
    assert shared.outs == (False, False) and shared.subs[0].invars == (False, False)


def test_cond_branches_get_their_operands_flags():
    def f(p, x, w):
        return jax.lax.cond(p > 0, lambda a, b: a * b, lambda a, b: b, x, w)

    closed = jax.make_jaxpr(f)(1.0, 2.0, 3.0)
    cond = next(i for i, e in enumerate(closed.jaxpr.eqns) if e.primitive.name == "cond")
    flags = jaxpr_flags(closed.jaxpr, [False, True, False]).eqns[cond]
    assert [b.invars for b in flags.subs] == [(True, False), (True, False)]
    assert flags.outs == (True,)
    by_pred = jaxpr_flags(closed.jaxpr, [True, False, False]).eqns[cond]
    assert by_pred.outs == (True,) and by_pred.subs[0].invars == (False, False)


@pytest.mark.parametrize("name", list(CASES))
def test_lane_axes_agree_with_propagation(name):
    """jax.vmap's own batch dims (lane_axes) and our propagation mark the same values."""
    from vmapviz._jax_private import lane_axes

    f, in_axes = CASES[name]
    args = _args(name, in_axes)
    lane_args = [a if ax is None else a[0] for a, ax in zip(args, in_axes)]
    closed = jax.make_jaxpr(lambda *a: jax.tree.leaves(f(*a)))(*lane_args)
    flat_axes = []
    for a, ax in zip(lane_args, in_axes):
        flat_axes.extend([ax] * len(jax.tree.leaves(a)))
    axes = lane_axes(closed, flat_axes, 2)
    env = _env(closed.jaxpr, jaxpr_flags(closed.jaxpr, [ax is not None for ax in flat_axes]))
    top = list(closed.jaxpr.invars) + [v for e in closed.jaxpr.eqns for v in e.outvars]
    assert [axes[v] is not None for v in top] == [env[v] for v in top]


def test_lane_axes_follow_a_moved_axis():
    from vmapviz._jax_private import lane_axes

    closed = jax.make_jaxpr(lambda x, w: (x @ w).T)(jnp.ones((3, 4)), jnp.ones((4, 5)))
    axes = lane_axes(closed, [1, None], 2)
    dot, transpose = closed.jaxpr.eqns
    assert (axes[dot.outvars[0]], axes[transpose.outvars[0]]) == (1, 0)


def test_engine_write_decisions_agree_with_jax_vmap():
    """A written State is batched exactly when jax.vmap gives its value a batch axis."""
    import vmapviz
    from vmapviz.transform import vmap2

    shared = vmapviz.State(jnp.zeros(3), name="shared")
    reduced = vmapviz.State(jnp.zeros(()), name="reduced")
    per_lane = vmapviz.State(jnp.zeros(()), name="per_lane")

    def f(x):
        shared.value = shared.value + 1.0
        reduced.value = jax.lax.psum(x, "i")
        per_lane.value = x * 2
        return x

    report = vmap2(f, axis_name="i", unexpected_out_state_mapping="ignore").inspect(jnp.ones(3))
    engine = {e.label: e.batched for e in report.axes.entries if e.kind == "state"}
    labels = report.io_labels["elementwise"][1]
    out_axes = {}
    jaxpr = report.elementwise_jaxpr.jaxpr
    producer = {v: row for row in report.value_axes[1:]
                for v in jaxpr.eqns[row["eqn"]].outvars}
    for label, var in zip(labels, jaxpr.outvars):
        row = producer.get(var)
        k = row["axes"][jaxpr.eqns[row["eqn"]].outvars.index(var)] if row else None
        out_axes[label] = k is not None
    assert engine == {"shared": False, "reduced": False, "per_lane": True}
    assert {k: out_axes[k] for k in engine} == engine
