"""Random numbers from a State: :class:`RandomState` and the default generator.

A :class:`RandomState` holds a JAX typed key. Each draw without an explicit ``key``
splits it in two, keeps the first half as the new state and draws with the second,
so transforms can give every batch lane its own key. Module-level functions draw from
:data:`DEFAULT`.

>>> import jax
>>> import vmapviz
>>> vmapviz.random.seed(42)
>>> x = vmapviz.random.normal(0.0, 1.0)
>>> bool(x == jax.random.normal(jax.random.split(jax.random.key(42))[1], ()))
True
"""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._state import STATE_LOCK, State

__all__ = [
    "DEFAULT",
    "RandomState",
    "bernoulli",
    "beta",
    "categorical",
    "choice",
    "exponential",
    "gamma",
    "get_key",
    "normal",
    "permutation",
    "poisson",
    "rand",
    "randint",
    "randn",
    "random",
    "random_sample",
    "seed",
    "set_key",
    "split_key",
    "truncated_normal",
    "uniform",
]

# The storage behind ``State._value``; RandomState wraps it to convert lazily.
_VALUE_SLOT = State._value


def _fresh_key_data() -> np.ndarray:
    """Raw ``uint32[2]`` key data from NumPy's global generator (no JAX call)."""
    return np.random.randint(0, 2**32, size=2, dtype=np.uint32)


def _is_raw_key_data(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == np.uint32 and x.shape[-1:] == (2,)


def _to_key(seed_or_key: Any, argname: str = "seed_or_key") -> jax.Array:
    """An int seed, a typed key or legacy ``uint32[..., 2]`` key data -> a typed key."""
    is_bool = isinstance(seed_or_key, (bool, np.bool_))
    if isinstance(seed_or_key, (int, np.integer)) and not is_bool:
        return jax.random.key(seed_or_key)
    dtype = getattr(seed_or_key, "dtype", None)
    shape = getattr(seed_or_key, "shape", None)
    if dtype is not None and not is_bool:
        if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
            return seed_or_key
        if dtype == np.uint32 and tuple(shape)[-1:] == (2,):
            return jax.random.wrap_key_data(seed_or_key)
        if jnp.issubdtype(dtype, jnp.integer) and tuple(shape) == ():
            return jax.random.key(seed_or_key)
    raise TypeError(
        f"{argname} must be an int seed, a typed key (jax.random.key) or legacy uint32[2] "
        f"key data (jax.random.PRNGKey), got {seed_or_key!r}"
    )


def _seq(x: Any) -> Any:
    """Lists and tuples of parameters become arrays; everything else is kept."""
    return jnp.asarray(x) if isinstance(x, (list, tuple)) else x


def _int(x: Any, argname: str) -> int:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{argname} must be an int, got {x!r}")
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{argname} must be an int, got {x!r}") from None


def _shape(size: Any, *params: Any) -> tuple[int, ...]:
    """``size`` as a shape; ``None`` -> the broadcast shape of the parameters."""
    if size is None:
        return jnp.broadcast_shapes(*(np.shape(p) for p in params if p is not None))
    if isinstance(size, (list, tuple)):
        return tuple(_int(s, "size") for s in size)
    try:
        return (_int(size, "size"),)
    except TypeError:
        raise TypeError(f"size must be None, an int or a tuple of ints, got {size!r}") from None


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array, or ``None`` when it is traced (value unknown)."""
    try:
        return np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def _check_number(x: Any, argname: str, fn: str) -> None:
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{fn}: {argname} must be a number or an array, got {x!r}")
    value = _concrete(x)
    if value is not None and value.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {argname} must be a number or an array, got {x!r}")


class RandomState(State):
    """A State holding a JAX typed PRNG key.

    Args:
      seed_or_key: an int seed, a typed key (``jax.random.key``), legacy ``uint32[2]``
        key data (``jax.random.PRNGKey``), or ``None`` to seed from NumPy's global
        generator.
      name: optional name, shown in tables and messages.
      tag: optional tag, selected by :class:`vmapviz.util.filter.WithTag`.

    >>> rng = RandomState(0, name='rng')
    >>> rng
    RandomState(key<fry>[], name='rng')
    >>> rng.uniform(size=3).shape
    (3,)
    """

    __slots__ = ()

    def __init__(self, seed_or_key: Any = None, name: str | None = None, tag: Any = None):
        if seed_or_key is None:
            key = _fresh_key_data()  # turned into a typed key on first use
        else:
            key = _to_key(seed_or_key)
        super().__init__(key, name=name, tag=tag)

    @property
    def _value(self) -> Any:
        raw = _VALUE_SLOT.__get__(self, RandomState)
        if _is_raw_key_data(raw):
            # Made eagerly even when first read inside a trace: the key is this State's
            # stored value, and a traced value must never be stored.
            with jax.ensure_compile_time_eval():
                raw = jax.random.wrap_key_data(raw)
            _VALUE_SLOT.__set__(self, raw)
        return raw

    @_value.setter
    def _value(self, new_value: Any) -> None:
        _VALUE_SLOT.__set__(self, new_value)

    # ------------------------------------------------------------------ keys

    def seed(self, seed_or_key: Any = None) -> None:
        """Reset the key: an int seed, a key, or ``None`` for a fresh random seed."""
        if seed_or_key is None:
            self.value = jax.random.wrap_key_data(_fresh_key_data())
        else:
            self.value = _to_key(seed_or_key)

    def split_key(self, n: int | None = None) -> jax.Array:
        """Advance the key; return one new key (``n`` is None) or ``n`` keys.

        >>> import jax
        >>> rng = RandomState(1)
        >>> rng.split_key(3).shape
        (3,)
        """
        if n is not None:
            n = _int(n, "split_key: n")
            if n < 1:
                raise ValueError(f"split_key: n must be a positive int, got {n}")
        with STATE_LOCK:  # no two threads draw from the same key
            keys = jax.random.split(self.value, 2 if n is None else n + 1)
            self.value = keys[0]  # refused under a plain JAX transform (see guard_writes)
        return keys[1] if n is None else keys[1:]

    def _key(self, key: Any) -> jax.Array:
        return self.split_key() if key is None else _to_key(key, "key")

    # ----------------------------------------------------------- continuous

    def normal(self, loc=None, scale=None, size=None, key=None, dtype=None) -> jax.Array:
        """Normal samples ``N(0, 1) * scale + loc``; shape ``size`` or that of the params.

        >>> RandomState(0).normal(0.0, [1.0, 2.0]).shape
        (2,)
        """
        loc, scale = _seq(loc), _seq(scale)
        shape = _shape(size, loc, scale)
        r = jax.random.normal(self._key(key), shape, dtype or jnp.float32)
        if scale is not None:
            r = r * scale
        if loc is not None:
            r = r + loc
        return r

    def uniform(self, low=0.0, high=1.0, size=None, key=None, dtype=None) -> jax.Array:
        """Uniform samples in ``[low, high)``.

        >>> bool(0.0 <= RandomState(0).uniform() < 1.0)
        True
        """
        low, high = _seq(low), _seq(high)
        shape = _shape(size, low, high)
        k = self._key(key)
        return jax.random.uniform(k, shape, dtype or jnp.float32, minval=low, maxval=high)

    def randn(self, *dn: int, key=None, dtype=None) -> jax.Array:
        """Standard normal samples of shape ``dn``.

        >>> RandomState(0).randn(2, 3).shape
        (2, 3)
        """
        shape = tuple(_int(d, "randn: dimension") for d in dn)
        return jax.random.normal(self._key(key), shape, dtype or jnp.float32)

    def rand(self, *dn: int, key=None, dtype=None) -> jax.Array:
        """Uniform ``[0, 1)`` samples of shape ``dn``.

        >>> RandomState(0).rand(4).shape
        (4,)
        """
        shape = tuple(_int(d, "rand: dimension") for d in dn)
        return jax.random.uniform(self._key(key), shape, dtype or jnp.float32)

    def random(self, size=None, key=None, dtype=None) -> jax.Array:
        """Uniform ``[0, 1)`` samples of shape ``size`` (NumPy's ``random``).

        >>> RandomState(0).random((2, 3)).shape
        (2, 3)
        """
        return jax.random.uniform(self._key(key), _shape(size), dtype or jnp.float32)

    def random_sample(self, size=None, key=None, dtype=None) -> jax.Array:
        """The same as :meth:`random` (NumPy's older name)."""
        return self.random(size, key=key, dtype=dtype)

    def exponential(self, scale=None, size=None, key=None, dtype=None) -> jax.Array:
        """Exponential samples with mean ``scale`` (1 when ``None``).

        >>> bool(RandomState(0).exponential(2.0) > 0)
        True
        """
        scale = _seq(scale)
        shape = _shape(size, scale)
        r = jax.random.exponential(self._key(key), shape, dtype or jnp.float32)
        return r if scale is None else r * scale

    def truncated_normal(
        self, lower, upper, size=None, loc=0.0, scale=1.0, key=None, dtype=None
    ) -> jax.Array:
        """Normal ``N(loc, scale)`` samples restricted to ``[lower, upper]`` (inverse CDF).

        >>> x = RandomState(0).truncated_normal(-1.0, 1.0, size=100)
        >>> bool((x >= -1.0).all() and (x <= 1.0).all())
        True
        """
        dtype = dtype or jnp.float32
        lower, upper, loc, scale = (jnp.asarray(v, dtype) for v in (lower, upper, loc, scale))
        bounds = _concrete(lower), _concrete(upper)
        if bounds[0] is not None and bounds[1] is not None and np.any(bounds[0] >= bounds[1]):
            raise ValueError(
                f"truncated_normal: lower must be below upper, got lower={bounds[0]} "
                f"and upper={bounds[1]}"
            )
        shape = _shape(size, lower, upper, loc, scale)
        sqrt2 = jnp.asarray(np.sqrt(2.0), dtype)
        # erf of the standardized bounds: the CDF of each bound mapped to [-1, 1].
        lo = lax.erf((lower - loc) / scale / sqrt2)
        hi = lax.erf((upper - loc) / scale / sqrt2)
        u = jax.random.uniform(self._key(key), shape, dtype, minval=lo, maxval=hi)
        one = jnp.asarray(1.0, dtype)
        u = jnp.clip(u, jnp.nextafter(-one, one), jnp.nextafter(one, -one))
        return jnp.clip(lax.erf_inv(u) * scale * sqrt2 + loc, lower, upper)

    def gamma(self, shape, scale=None, size=None, key=None, dtype=None) -> jax.Array:
        """Gamma samples with shape ``shape`` (alpha) and scale ``scale`` (1 when ``None``).

        >>> RandomState(0).gamma([1.0, 2.0]).shape
        (2,)
        """
        shape, scale = _seq(shape), _seq(scale)
        out_shape = _shape(size, shape, scale)
        r = jax.random.gamma(self._key(key), shape, out_shape, dtype or jnp.float32)
        return r if scale is None else r * scale

    def beta(self, a, b, size=None, key=None, dtype=None) -> jax.Array:
        """Beta(a, b) samples.

        >>> bool(0.0 < RandomState(0).beta(2.0, 3.0) < 1.0)
        True
        """
        a, b = _seq(a), _seq(b)
        shape = _shape(size, a, b)
        return jax.random.beta(self._key(key), a, b, shape, dtype or jnp.float32)

    # ------------------------------------------------------------- discrete

    def randint(self, low, high=None, size=None, dtype=None, key=None) -> jax.Array:
        """Integers in ``[low, high)``; ``randint(n)`` draws from ``[0, n)``.

        >>> RandomState(0).randint(10, size=(2, 2)).dtype
        dtype('int32')
        """
        if high is None:
            low, high = 0, low
        low, high = _seq(low), _seq(high)
        shape = _shape(size, low, high)
        k = self._key(key)
        return jax.random.randint(k, shape, minval=low, maxval=high, dtype=dtype or jnp.int32)

    def bernoulli(self, p=0.5, size=None, key=None) -> jax.Array:
        """Booleans that are ``True`` with probability ``p`` (in ``[0, 1]``).

        >>> RandomState(0).bernoulli(0.0, size=3)
        Array([False, False, False], dtype=bool)
        """
        _check_number(p, "p", "bernoulli")
        p = _seq(p)
        value = _concrete(p)
        if value is not None and np.any((value < 0) | (value > 1)):
            raise ValueError(f"bernoulli: p must be a probability in [0, 1], got {value}")
        shape = _shape(size, p)
        return jax.random.bernoulli(self._key(key), p, shape)

    def poisson(self, lam=1.0, size=None, key=None, dtype=None) -> jax.Array:
        """Poisson samples with rate ``lam``.

        >>> RandomState(0).poisson(3.0, size=2).dtype
        dtype('int32')
        """
        lam = _seq(lam)
        shape = _shape(size, lam)
        return jax.random.poisson(self._key(key), lam, shape, dtype or jnp.int32)

    def categorical(self, logits, axis=-1, size=None, key=None) -> jax.Array:
        """Category indices drawn with log-probabilities ``logits`` along ``axis``.

        >>> RandomState(0).categorical([[0.0, -1e9], [-1e9, 0.0]])
        Array([0, 1], dtype=int32)
        """
        logits = jnp.asarray(logits)
        if size is None:
            shape = list(logits.shape)
            shape.pop(axis)
            size = tuple(shape)
        shape = _shape(size)
        return jax.random.categorical(self._key(key), logits, axis, shape)

    def choice(self, a, size=None, replace=True, p=None, key=None) -> jax.Array:
        """Samples from ``a`` (an array, or ``range(a)`` for an int), with probabilities ``p``.

        >>> RandomState(0).choice(5, size=5, replace=False).sort()
        Array([0, 1, 2, 3, 4], dtype=int32)
        """
        a, p = _seq(a), _seq(p)
        shape = () if size is None else _shape(size)
        return jax.random.choice(self._key(key), a, shape, replace, p)

    def permutation(self, x, axis=0, independent=False, key=None) -> jax.Array:
        """A shuffled copy of ``x`` along ``axis`` (or of ``range(x)`` for an int).

        >>> RandomState(0).permutation(4).sort()
        Array([0, 1, 2, 3], dtype=int32)
        """
        x = _seq(x)
        return jax.random.permutation(self._key(key), x, axis, independent)


# The default generator, seeded from NumPy; its typed key is made on first use.
DEFAULT = RandomState(None, name="random.DEFAULT")
# Made while vmapviz is imported: name the module, not whoever imported it first.
DEFAULT.source = "vmapviz/random.py"


def seed(n: Any = None) -> None:
    """Reset :data:`DEFAULT` to ``jax.random.key(n)`` (``None``: a fresh random seed)."""
    DEFAULT.seed(n)


def split_key(n: int | None = None) -> jax.Array:
    """:meth:`RandomState.split_key` on :data:`DEFAULT`."""
    return DEFAULT.split_key(n)


def get_key() -> jax.Array:
    """The current key of :data:`DEFAULT`."""
    return DEFAULT.value


def set_key(key: Any) -> None:
    """Set the key of :data:`DEFAULT` (a key or an int seed)."""
    DEFAULT.value = _to_key(key, "key")


def normal(loc=None, scale=None, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.normal` on :data:`DEFAULT`."""
    return DEFAULT.normal(loc, scale, size, key=key, dtype=dtype)


def uniform(low=0.0, high=1.0, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.uniform` on :data:`DEFAULT`."""
    return DEFAULT.uniform(low, high, size, key=key, dtype=dtype)


def randn(*dn: int, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.randn` on :data:`DEFAULT`."""
    return DEFAULT.randn(*dn, key=key, dtype=dtype)


def rand(*dn: int, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.rand` on :data:`DEFAULT`."""
    return DEFAULT.rand(*dn, key=key, dtype=dtype)


def randint(low, high=None, size=None, dtype=None, key=None) -> jax.Array:
    """:meth:`RandomState.randint` on :data:`DEFAULT`."""
    return DEFAULT.randint(low, high, size, dtype=dtype, key=key)


def bernoulli(p=0.5, size=None, key=None) -> jax.Array:
    """:meth:`RandomState.bernoulli` on :data:`DEFAULT`."""
    return DEFAULT.bernoulli(p, size, key=key)


def choice(a, size=None, replace=True, p=None, key=None) -> jax.Array:
    """:meth:`RandomState.choice` on :data:`DEFAULT`."""
    return DEFAULT.choice(a, size, replace, p, key=key)


def permutation(x, axis=0, independent=False, key=None) -> jax.Array:
    """:meth:`RandomState.permutation` on :data:`DEFAULT`."""
    return DEFAULT.permutation(x, axis, independent, key=key)


def random(size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.random` on :data:`DEFAULT`."""
    return DEFAULT.random(size, key=key, dtype=dtype)


def random_sample(size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.random_sample` on :data:`DEFAULT`."""
    return DEFAULT.random_sample(size, key=key, dtype=dtype)


def exponential(scale=None, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.exponential` on :data:`DEFAULT`."""
    return DEFAULT.exponential(scale, size, key=key, dtype=dtype)


def truncated_normal(lower, upper, size=None, loc=0.0, scale=1.0, key=None, dtype=None):
    """:meth:`RandomState.truncated_normal` on :data:`DEFAULT`."""
    return DEFAULT.truncated_normal(lower, upper, size, loc, scale, key=key, dtype=dtype)


def categorical(logits, axis=-1, size=None, key=None) -> jax.Array:
    """:meth:`RandomState.categorical` on :data:`DEFAULT`."""
    return DEFAULT.categorical(logits, axis, size, key=key)


def gamma(shape, scale=None, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.gamma` on :data:`DEFAULT`."""
    return DEFAULT.gamma(shape, scale, size, key=key, dtype=dtype)


def beta(a, b, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.beta` on :data:`DEFAULT`."""
    return DEFAULT.beta(a, b, size, key=key, dtype=dtype)


def poisson(lam=1.0, size=None, key=None, dtype=None) -> jax.Array:
    """:meth:`RandomState.poisson` on :data:`DEFAULT`."""
    return DEFAULT.poisson(lam, size, key=key, dtype=dtype)
