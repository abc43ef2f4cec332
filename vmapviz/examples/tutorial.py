"""The tutorial's example calls, each built afresh by its :class:`Example`.

Every State carries a name or an ``nn.Module`` path, so the labels in ``explain()``
text, records and pictures are the same on every run. ``3.4_pmap2`` and
``3.4_shard_map`` run one lane per device and need four devices.

>>> from vmapviz.examples import tutorial
>>> [e.name for e in tutorial.EXAMPLES][:3]
['1.2_out_axes', '1.5_counter', '1.6_linear']
>>> mapping, args, kwargs = tutorial.counter_1_5()
>>> mapping(*args, **kwargs)
Array([1., 2., 3., 4.], dtype=float32)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import vmapviz
from vmapviz.transform import StatefulMapping, pmap2, vmap2
from vmapviz.util.filter import OfType

from ._example import Example, made_here

__all__ = [
    "EXAMPLES",
    "Counter",
    "DeviceCounter",
    "Dropout",
    "LinearLayer",
    "StatefulComputation",
]

# ---------------------------------------------------------------- the tutorial's Modules


class Counter(vmapviz.nn.Module):
    """The tutorial's counter: one ShortTermState incremented by ``delta``."""

    def __init__(self):
        super().__init__()
        self.count = made_here(vmapviz.ShortTermState(jnp.zeros(4)))

    def __call__(self, delta):
        self.count.value = self.count.value + delta
        return self.count.value


class LinearLayer(vmapviz.nn.Module):
    """``x @ weight + bias``, both ParamStates shared by every lane."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = made_here(vmapviz.ParamState(jnp.ones((in_features, out_features))))
        self.bias = made_here(vmapviz.ParamState(jnp.zeros((out_features,))))

    def __call__(self, x):
        return x @ self.weight.value + self.bias.value


class StatefulComputation(vmapviz.nn.Module):
    """A ShortTermState accumulated per lane, scaled by a shared ParamState."""

    def __init__(self):
        super().__init__()
        self.temp = made_here(vmapviz.ShortTermState(jnp.zeros(3)))
        self.param = made_here(vmapviz.ParamState(jnp.array(1.0)))

    def __call__(self, x):
        self.temp.value = self.temp.value + x
        return self.temp.value * self.param.value


class Dropout(vmapviz.nn.Module):
    """Dropout drawing from the global random state: each lane gets its own key."""

    def __init__(self, rate=0.5):
        super().__init__()
        self.rate = rate

    def __call__(self, x):
        keep = vmapviz.random.uniform(0.0, 1.0, x.shape) > self.rate
        return jnp.where(keep, x / (1 - self.rate), 0.0)


class DeviceCounter(vmapviz.nn.Module):
    """A running total per device and a shared scale; centres its input over the devices."""

    def __init__(self, devices=4, axis_name="i"):
        super().__init__()
        self.axis_name = axis_name
        self.total = made_here(vmapviz.ShortTermState(jnp.zeros(devices)))
        self.scale = made_here(vmapviz.ParamState(jnp.array(0.5)))

    def __call__(self, x):
        self.total.value = self.total.value + x
        return (x - jax.lax.pmean(x, self.axis_name)) * self.scale.value


# ---------------------------------------------------------------- builders

_SHORT = OfType(vmapviz.ShortTermState)


def out_axes_1_2():
    """``out_axes=1``: the batch axis of the result goes second."""

    def create_vector(scalar):
        return jnp.array([scalar, scalar * 2, scalar * 3])

    return vmap2(create_vector, out_axes=1), (jnp.array([1.0, 2.0]),), {}


def counter_1_5():
    """The Counter with its ShortTermState batched on axis 0, in and out."""
    short = {0: _SHORT}
    mapping = vmap2(Counter(), state_in_axes=short, state_out_axes=short)
    return mapping, (jnp.arange(1.0, 5.0),), {}


def linear_1_6():
    """A LinearLayer whose parameters are shared by every lane."""
    return vmap2(LinearLayer(3, 2)), (jnp.ones((4, 3)),), {}


def ignore_policy_1_7():
    """A read-and-written State nobody declared, scattered by the ``'ignore'`` policy."""
    temp = made_here(vmapviz.ShortTermState(jnp.array(0.0), name="temp_state2"))
    write = made_here(vmapviz.LongTermState(jnp.asarray(0.0), name="write_state2"))

    def update_temp2(x):
        temp.value = temp.value + x
        write.value = temp.value
        return temp.value

    mapping = vmap2(update_temp2, unexpected_out_state_mapping="ignore")
    return mapping, (jnp.array([1.0, 2.0, 3.0]),), {}


def sample_normal_2_1():
    """A normal draw per lane from the global random state (seeded 42)."""
    vmapviz.random.seed(42)

    def sample_normal(scale):
        return vmapviz.random.normal(0.0, scale)

    return vmap2(sample_normal), (jnp.array([1.0, 2.0, 3.0, 4.0]),), {}


def dropout_2_3():
    """Dropout with rate 0.3 over 4 lanes (seeded 456)."""
    vmapviz.random.seed(456)
    dropout = Dropout(rate=0.3)
    return vmap2(dropout), (jnp.ones((4, 5)),), {}


def stateful_computation_3_3():
    """A batched ShortTermState next to a shared ParamState."""
    short = {0: _SHORT}
    model = StatefulComputation()
    mapping = vmap2(model, state_in_axes=short, state_out_axes=short)
    return mapping, (jnp.arange(1.0, 4.0),), {}


def pmap2_3_4():
    """``pmap2``: a running total per device, a shared bias and a ``psum`` (tutorial 04)."""
    per_device_total = made_here(vmapviz.ShortTermState(jnp.zeros(4), name="per_device_total"))
    bias = made_here(vmapviz.ParamState(jnp.array(10.0), name="bias"))

    def step(x):
        per_device_total.value = per_device_total.value + x
        return per_device_total.value + bias.value + jax.lax.psum(x, "device")

    mapping = pmap2(step, axis_name="device", state_in_axes={0: _SHORT})
    return mapping, (jnp.arange(4.0),), {}


def shard_map_3_4():
    """``StatefulMapping(mapping_fn=jax.shard_map)``: a DeviceCounter, one lane per device."""
    mapping = StatefulMapping(DeviceCounter(4, "i"), axis_name="i", mapping_fn=jax.shard_map,
                              state_in_axes={0: _SHORT}, state_out_axes={0: _SHORT})
    return mapping, (jnp.arange(1.0, 5.0),), {}


def simple_jaxpr_3_5():
    """A plain State broadcast in and written back on axis 0 by ``state_out_axes``."""
    simple_state = made_here(vmapviz.State(jnp.array(1.0), name="simple_state"))

    def simple_op(x):
        result = x + simple_state.value
        simple_state.value = result
        return result * 2

    mapping = vmap2(simple_op, state_out_axes={0: OfType(vmapviz.State)})
    return mapping, (jnp.array([1.0, 2.0]),), {}


EXAMPLES: tuple[Example, ...] = (
    Example("1.2_out_axes", "1.2", "out_axes: where the batch axis goes",
            "A scalar-to-vector function whose result carries its batch axis on axis 1.",
            out_axes_1_2),
    Example("1.5_counter", "1.5", "States: state_in_axes and state_out_axes",
            "The Counter's ShortTermState is batched on axis 0, so every lane keeps its own "
            "count.", counter_1_5),
    Example("1.6_linear", "1.6", "Module parameters are shared by default",
            "A LinearLayer's weight and bias are broadcast: every lane reads the same "
            "values.", linear_1_6),
    Example("1.7_ignore", "1.7", "unexpected_out_state_mapping='ignore'",
            "Writes nobody declared are scattered onto a new axis 0, and the read-and-written "
            "State will grow an axis on every call.", ignore_policy_1_7),
    Example("2.1_sample_normal", "2.1", "Each lane gets its own key",
            "The global RandomState's key is split into one key per lane.",
            sample_normal_2_1),
    Example("2.3_dropout", "2.3", "A practical case: dropout",
            "Dropout draws a different mask in every lane from the split global key.",
            dropout_2_3),
    Example("3.3_stateful_computation", "3.3", "How States get their batch axes",
            "A ShortTermState batched by state_in_axes next to a ParamState shared by every "
            "lane.", stateful_computation_3_3),
    Example("3.4_pmap2", "3.4", "pmap2: one lane per device",
            "A running total per device (batched on axis 0), a shared bias and a psum across "
            "the four devices.", pmap2_3_4, devices=4),
    Example("3.4_shard_map", "3.4", "StatefulMapping with mapping_fn=jax.shard_map",
            "A per-device counter batched on axis 0 and a shared scale, run on a mesh of four "
            "devices, with a pmean across them.", shard_map_3_4, devices=4),
    Example("3.5_simple_jaxpr", "3.5", "Looking at the jaxpr",
            "A plain State read by every lane and written back on axis 0 by "
            "state_out_axes.", simple_jaxpr_3_5),
)
