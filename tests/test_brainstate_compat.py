"""Behaviours brainstate's own mapping tests rely on, in vmapviz's words."""

import functools
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapviz
from vmapviz.transform import StatefulMapping, for_loop, grad, pmap2, remat, vmap2


def test_an_unseeded_first_draw_under_vmap2_and_jit_works_in_a_fresh_process():
    code = (
        "import jax.numpy as jnp, vmapviz\n"
        "from vmapviz.transform import vmap2, jit\n"
        "out = vmap2(lambda x: x + vmapviz.random.randn())(jnp.zeros(4))\n"
        "assert out.shape == (4,) and len(set(out.tolist())) == 4\n"
        "rng = vmapviz.random.RandomState()\n"
        "a = jit(lambda: rng.normal())()\n"
        "b = vmapviz.random.normal()\n"
        "assert not isinstance(vmapviz.random.DEFAULT._value, jax.core.Tracer)\n"
        "print('ok')\n"
    ).replace("import jax.numpy as jnp", "import jax, jax.numpy as jnp")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_fresh_vmap2_per_call_does_not_grow_a_read_and_written_state():
    s = vmapviz.State(jnp.zeros(()), name="acc")

    def f(x):
        s.value = s.value + x
        return s.value

    with pytest.warns(UserWarning, match="acc .* gains a batch axis of size 3"):
        vmap2(f)(jnp.arange(3.0))
    for _ in range(3):
        vmap2(f)(jnp.arange(3.0))  # leading size 3 = batch: fed per lane, silently
    assert s.value.shape == (3,)
    np.testing.assert_array_equal(s.value, [0.0, 4.0, 8.0])


def test_auto_feeds_a_read_modify_write_state_with_the_batch_size_per_lane():
    w = vmapviz.ShortTermState(jnp.zeros(3))

    def f(x):
        w.value = w.value + x
        return w.value

    m = vmap2(f)
    np.testing.assert_array_equal(m(jnp.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0])
    assert w.value.shape == (3,)
    assert m.trace_count == 2  # traced broadcast, then again with w per lane


def test_tuple_in_axes_may_hold_an_entry_for_each_static_argument():
    def f(x, y, flag):
        return (x + y) * (2.0 if flag else 1.0)

    both = StatefulMapping(f, in_axes=(0, 0, None), static_argnums=(2,))
    np.testing.assert_array_equal(both(jnp.arange(3.0), jnp.ones(3), True), [2.0, 4.0, 6.0])
    dynamic_only = StatefulMapping(f, in_axes=(0, 0), static_argnums=(2,))
    np.testing.assert_array_equal(dynamic_only(jnp.arange(3.0), jnp.ones(3), False),
                                  [1.0, 2.0, 3.0])


def test_none_keys_broadcast_in_and_keep_out():
    p = vmapviz.ParamState(jnp.ones(3), name="p")
    h = vmapviz.ShortTermState(jnp.zeros(3), name="h")

    def f(x):
        h.value = h.value + x * p.value.sum()
        return h.value

    m = vmap2(f, state_in_axes={None: vmapviz.ParamState, 0: vmapviz.ShortTermState},
              state_out_axes={0: vmapviz.ShortTermState})
    np.testing.assert_array_equal(m(jnp.arange(3.0)), [0.0, 3.0, 6.0])
    assert p.value.shape == (3,)


def test_random_and_random_sample_are_uniform_draws():
    rng = vmapviz.random.RandomState(0)
    x = rng.random((2, 3))
    assert x.shape == (2, 3) and bool(((x >= 0) & (x < 1)).all())
    assert rng.random_sample().shape == ()
    vmapviz.random.seed(1)
    a = vmapviz.random.random(4)
    vmapviz.random.seed(1)
    np.testing.assert_array_equal(vmapviz.random.random_sample(4), a)


def test_for_loop_stacks_outputs_and_carries_states():
    v = vmapviz.State(jnp.zeros(()))

    def step(i, x):
        v.value = v.value + i * x
        return v.value

    out = for_loop(step, jnp.arange(4.0), jnp.full(4, 2.0))
    np.testing.assert_array_equal(out, [0.0, 2.0, 6.0, 12.0])
    assert float(v.value) == 12.0
    out = for_loop(step, jnp.arange(3.0), jnp.ones(3), reverse=True)
    np.testing.assert_array_equal(out, [15.0, 15.0, 14.0])  # step 2 runs first


def test_remat_of_vmap2_reads_and_writes_states():
    w = vmapviz.ParamState(jnp.array(2.0), name="w")
    calls = vmapviz.State(jnp.zeros(()), name="calls")

    def f(x):
        calls.value = calls.value + 1.0
        return jnp.sin(w.value * x)

    mapped = remat(vmap2(f))
    g = grad(lambda xs: mapped(xs).sum(), grad_states=w)(jnp.arange(3.0))
    np.testing.assert_allclose(g, float(jnp.sum(jnp.arange(3.0) * jnp.cos(2.0 * jnp.arange(3.0)))),
                               rtol=1e-6)
    assert float(calls.value) == 1.0


def test_pmap2_accepts_empty_brainstate_keywords_and_refuses_others():
    assert isinstance(pmap2(lambda x: x, axis_name="i", static_broadcasted_argnums=(),
                            donate_argnums=()), StatefulMapping)
    with pytest.raises(NotImplementedError, match="static_broadcasted_argnums=.*static_argnums"):
        pmap2(lambda x: x, static_broadcasted_argnums=(1,))
    deco = pmap2(donate_argnums=0)  # as in brainstate, refused when the decorator is applied
    with pytest.raises(NotImplementedError, match="donate_argnums"):
        deco(lambda x: x)


def test_vmap2_and_pmap2_without_a_function_return_a_partial():
    for make in (vmap2, functools.partial(pmap2, axis_name="i")):
        deco = make()
        assert isinstance(deco, functools.partial)
        assert isinstance(deco(lambda x: x), StatefulMapping)


def test_map_with_a_scalar_input_says_0_d():
    with pytest.raises(ValueError, match="0-d"):
        vmapviz.transform.map(lambda x: x, jnp.array(1.0))


def test_jax_checkpoint_suggests_remat():
    s = vmapviz.State(jnp.zeros(()), name="s")

    def f(x):
        s.value = x
        return x

    with pytest.raises(vmapviz.OuterTransformError, match="vmapviz.transform.remat"):
        jax.checkpoint(lambda x: vmapviz.transform.jit(f)(x))(1.0)
    assert float(s.value) == 0.0
