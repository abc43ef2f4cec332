"""Module: finding, naming and printing States (vmapviz/nn.py)."""

import jax
import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz.nn import Module
from vmapviz.util import filter as F


class Counter(vmapviz.nn.Module):
    def __init__(self):
        super().__init__()
        self.count = vmapviz.ShortTermState(jnp.zeros(4))

    def __call__(self, x):
        self.count.value = self.count.value + x
        return self.count.value


class Linear(Module):
    def __init__(self, n_in, n_out):  # no super().__init__(): must still work
        self.weight = vmapviz.ParamState(jnp.ones((n_in, n_out)))
        self.bias = vmapviz.ParamState(jnp.zeros(n_out))


class MLP(Module):
    def __init__(self):
        super().__init__()
        self.layers = [Linear(2, 3), Linear(3, 1)]
        self.h = vmapviz.HiddenState(jnp.zeros(3), tag="fast")
        self.act = jax.nn.relu
        self.rate = 0.5


def _paths(states):
    return [".".join(p) for p in states]


def test_counter_repr_and_call():
    counter = Counter()
    assert repr(counter) == "Counter(count=ShortTermState(f32[4]))"
    counter(1.0)
    assert float(counter.count.value[0]) == 1.0


def test_named_states_walks_attributes_and_lists_in_order():
    mlp = MLP()
    assert _paths(mlp.named_states()) == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "h",
    ]


class Containers(Module):
    def __init__(self):
        self.by_name = {"enc": vmapviz.ParamState(jnp.zeros(1)), 3: vmapviz.ParamState(1.0)}
        self.pair = (vmapviz.LongTermState(0.0), [vmapviz.ShortTermState(0.0)])
        self.child = Counter()
        self.ignored = object()
        self._private = vmapviz.State(0.0)


def test_named_states_walks_dicts_tuples_and_nested_modules():
    assert _paths(Containers().named_states()) == [
        "by_name.enc", "by_name.3", "pair.0", "pair.1.0", "child.count", "_private",
    ]


def test_path_elements_are_str():
    for path in Containers().named_states():
        assert all(isinstance(p, str) for p in path)


class Shared(Module):
    def __init__(self):
        self.a = vmapviz.State(0.0)
        self.b = self.a
        self.inner = Counter()
        self.again = [self.inner]


def test_a_state_reached_twice_is_listed_once_at_its_first_path():
    shared = Shared()
    assert _paths(shared.named_states()) == ["a", "inner.count"]


def test_cycles_do_not_loop():
    m = Counter()
    m.parent = m
    m.items = []
    m.items.append(m.items)
    assert _paths(m.named_states()) == ["count"]
    assert repr(m) == "Counter(count=ShortTermState(f32[4]), parent=..., items=[...])"


def test_named_states_sets_missing_paths_only():
    mlp = MLP()
    named = vmapviz.ParamState(jnp.zeros(1))
    named.path = ("given",)
    mlp.extra = named
    mlp.named_states()
    assert mlp.layers[1].weight.path == ("layers", "1", "weight")
    assert mlp.layers[1].weight.label() == "layers.1.weight"
    assert named.path == ("given",)


FILTER_CASES = [
    ("type", vmapviz.HiddenState, ["h"]),
    ("tag", "fast", ["h"]),
    ("path", F.PathContains("1"), ["layers.1.weight", "layers.1.bias"]),
    ("callable", lambda path, s: path[-1] == "bias", ["layers.0.bias", "layers.1.bias"]),
    ("None keeps all", None, ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                              "layers.1.bias", "h"]),
]


@pytest.mark.parametrize("filt, expected", [c[1:] for c in FILTER_CASES],
                         ids=[c[0] for c in FILTER_CASES])
def test_named_states_filter(filt, expected):
    assert _paths(MLP().named_states(filt)) == expected


def test_states_without_filters_gives_all():
    mlp = MLP()
    assert mlp.states() == mlp.named_states()


def test_states_with_one_filter_gives_one_dict():
    params = MLP().states(vmapviz.ParamState)
    assert isinstance(params, dict)
    assert _paths(params) == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                              "layers.1.bias"]


def test_states_with_several_filters_splits_by_first_match():
    biases, params, rest = MLP().states(F.PathContains("bias"), vmapviz.ParamState, ...)
    assert _paths(biases) == ["layers.0.bias", "layers.1.bias"]
    assert _paths(params) == ["layers.0.weight", "layers.1.weight"]
    assert _paths(rest) == ["h"]


def test_states_drops_what_no_filter_selects():
    hidden, nothing = MLP().states("fast", False)
    assert (_paths(hidden), nothing) == (["h"], {})


def test_states_rejects_bad_filters():
    with pytest.raises(TypeError, match=r"Cannot use 1\.5 \(of type float\)"):
        MLP().states(1.5)


def test_repr_is_deterministic_and_nested():
    assert repr(MLP()) == (
        "MLP(layers=[Linear(weight=ParamState(f32[2,3]), bias=ParamState(f32[3])), "
        "Linear(weight=ParamState(f32[3,1]), bias=ParamState(f32[1]))], "
        "h=HiddenState(f32[3]), act=relu, rate=0.5)"
    )


def test_repr_of_containers_and_plain_values():
    c = Containers()
    c.arr = jnp.zeros((2, 2))
    c.one = (1,)
    assert repr(c) == (
        "Containers(by_name={'enc': ParamState(f32[1]), 3: ParamState(f32[])}, "
        "pair=(LongTermState(f32[]), [ShortTermState(f32[])]), "
        "child=Counter(count=ShortTermState(f32[4])), ignored=<object>, arr=f32[2,2], "
        "one=(1,))"
    )


def test_empty_module():
    class Empty(Module):
        pass

    assert (Empty().named_states(), Empty().states(), repr(Empty())) == ({}, {}, "Empty()")
