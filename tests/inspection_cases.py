"""The tutorial's examples as inspection cases: each returns a fresh mapping and its args.

States carry names (or Module paths) so that labels in explain() text, records and
pictures are stable.
"""

import jax.numpy as jnp

import vmapviz
from vmapviz.transform import vmap2
from vmapviz.util.filter import OfType


class Counter(vmapviz.nn.Module):
    def __init__(self):
        super().__init__()
        self.count = vmapviz.ShortTermState(jnp.zeros(4))

    def __call__(self, delta):
        self.count.value = self.count.value + delta
        return self.count.value


class LinearLayer(vmapviz.nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = vmapviz.ParamState(jnp.ones((in_features, out_features)))
        self.bias = vmapviz.ParamState(jnp.zeros((out_features,)))

    def __call__(self, x):
        return x @ self.weight.value + self.bias.value


class StatefulComputation(vmapviz.nn.Module):
    def __init__(self):
        super().__init__()
        self.temp = vmapviz.ShortTermState(jnp.zeros(3))
        self.param = vmapviz.ParamState(jnp.array(1.0))

    def __call__(self, x):
        self.temp.value = self.temp.value + x
        return self.temp.value * self.param.value


class Dropout(vmapviz.nn.Module):
    def __init__(self, rate=0.5):
        super().__init__()
        self.rate = rate

    def __call__(self, x):
        keep = vmapviz.random.uniform(0.0, 1.0, x.shape) > self.rate
        return jnp.where(keep, x / (1 - self.rate), 0.0)


def counter_1_5():
    short = {0: OfType(vmapviz.ShortTermState)}
    return vmap2(Counter(), state_in_axes=short, state_out_axes=short), (jnp.arange(1.0, 5.0),)


def linear_1_6():
    return vmap2(LinearLayer(3, 2)), (jnp.ones((4, 3)),)


def ignore_policy_1_7():
    temp = vmapviz.ShortTermState(jnp.array(0.0), name="temp_state2")
    write = vmapviz.LongTermState(jnp.asarray(0.0), name="write_state2")

    def update_temp2(x):
        temp.value = temp.value + x
        write.value = temp.value
        return temp.value

    mapping = vmap2(update_temp2, unexpected_out_state_mapping="ignore")
    return mapping, (jnp.array([1.0, 2.0, 3.0]),)


def sample_normal_2_1():
    vmapviz.random.seed(42)

    def sample_normal(scale):
        return vmapviz.random.normal(0.0, scale)

    return vmap2(sample_normal), (jnp.array([1.0, 2.0, 3.0, 4.0]),)


def dropout_2_3():
    vmapviz.random.seed(456)
    dropout = Dropout(rate=0.3)
    return vmap2(dropout), (jnp.ones((4, 5)),)


def stateful_computation_3_3():
    short = {0: OfType(vmapviz.ShortTermState)}
    model = StatefulComputation()
    return vmap2(model, state_in_axes=short, state_out_axes=short), (jnp.arange(1.0, 4.0),)


def simple_jaxpr_3_5():
    simple_state = vmapviz.State(jnp.array(1.0), name="simple_state")

    def simple_op(x):
        result = x + simple_state.value
        simple_state.value = result
        return result * 2

    mapping = vmap2(simple_op, state_out_axes={0: OfType(vmapviz.State)})
    return mapping, (jnp.array([1.0, 2.0]),)


def out_axes_1_2():
    def create_vector(scalar):
        return jnp.array([scalar, scalar * 2, scalar * 3])

    return vmap2(create_vector, out_axes=1), (jnp.array([1.0, 2.0]),)


CASES = {
    "1.2_out_axes": out_axes_1_2,
    "1.5_counter": counter_1_5,
    "1.6_linear": linear_1_6,
    "1.7_ignore": ignore_policy_1_7,
    "2.1_sample_normal": sample_normal_2_1,
    "2.3_dropout": dropout_2_3,
    "3.3_stateful_computation": stateful_computation_3_3,
    "3.5_simple_jaxpr": simple_jaxpr_3_5,
}
