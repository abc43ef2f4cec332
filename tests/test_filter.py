"""The filter language (vmapviz/util/filter.py)."""

import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz._state import HiddenState, LongTermState, ParamState, ShortTermState, State
from vmapviz.util import filter as F

HIDDEN = HiddenState(jnp.zeros(2), name="h", tag="fast")
PARAM = ParamState(jnp.zeros(2), name="w", tag=("trainable", "slow"))
LONG = LongTermState(jnp.zeros(2), name="avg")
PATH = ("layers", "0", "w")


def _is_param(path, state):
    return isinstance(state, ParamState)


MATCH_CASES = [
    # name, filter, state, expected
    ("OfType exact", F.OfType(ParamState), PARAM, True),
    ("OfType subclass", F.OfType(ShortTermState), HIDDEN, True),
    ("OfType other", F.OfType(ShortTermState), PARAM, False),
    ("WithTag equal", F.WithTag("fast"), HIDDEN, True),
    ("WithTag in tuple", F.WithTag("slow"), PARAM, True),
    ("WithTag other", F.WithTag("slow"), HIDDEN, False),
    ("WithTag no tag", F.WithTag("fast"), LONG, False),
    ("PathContains element", F.PathContains("layers"), PARAM, True),
    ("PathContains index", F.PathContains(0), PARAM, True),
    ("PathContains substring is no match", F.PathContains("lay"), PARAM, False),
    ("IsState same", F.IsState(PARAM), PARAM, True),
    ("IsState other", F.IsState(PARAM), HIDDEN, False),
    ("Any one", F.Any(ParamState, "fast"), HIDDEN, True),
    ("Any none", F.Any(ParamState, "fast"), LONG, False),
    ("Any empty", F.Any(), PARAM, False),
    ("All both", F.All(ParamState, "slow"), PARAM, True),
    ("All one", F.All(ParamState, "fast"), PARAM, False),
    ("All empty", F.All(), PARAM, True),
    ("Not", F.Not(ParamState), PARAM, False),
    ("Not shorthand", F.Not("fast"), LONG, True),
    ("Everything", F.Everything(), LONG, True),
    ("Nothing", F.Nothing(), LONG, False),
    ("callable in Any", F.Any(_is_param), PARAM, True),
    ("or operator", F.OfType(LongTermState) | "fast", HIDDEN, True),
    ("reflected or", "fast" | F.OfType(LongTermState), LONG, True),
    ("and operator", F.OfType(ParamState) & F.PathContains("x"), PARAM, False),
    ("invert operator", ~F.WithTag("fast"), HIDDEN, False),
]


@pytest.mark.parametrize("filt, state, expected", [c[1:] for c in MATCH_CASES],
                         ids=[c[0] for c in MATCH_CASES])
def test_filter_matches(filt, state, expected):
    assert filt(PATH, state) is expected


def test_empty_path_is_accepted():
    assert F.PathContains("w")((), PARAM) is False
    assert F.OfType(ParamState)((), PARAM) is True


REPR_CASES = [
    ("OfType", F.OfType(ShortTermState), "OfType(<class 'vmapviz.ShortTermState'>)"),
    ("OfType builtin", F.OfType(int), "OfType(<class 'int'>)"),
    ("WithTag", F.WithTag("fast"), "WithTag('fast')"),
    ("PathContains", F.PathContains("w"), "PathContains('w')"),
    ("PathContains int", F.PathContains(3), "PathContains('3')"),
    ("IsState", F.IsState(PARAM), "IsState(w)"),
    ("Any", F.Any(ParamState, "fast"),
     "Any(OfType(<class 'vmapviz.ParamState'>), WithTag('fast'))"),
    ("All", F.All(F.PathContains("x"), True), "All(PathContains('x'), Everything())"),
    ("Not", F.Not(None), "Not(Nothing())"),
    ("function", F.Any(_is_param), "Any(_is_param)"),
    ("Everything", F.Everything(), "Everything()"),
    ("Nothing", F.Nothing(), "Nothing()"),
    ("operators", ~(F.WithTag("a") | "b") & ...,
     "All(Not(Any(WithTag('a'), WithTag('b'))), Everything())"),
]


@pytest.mark.parametrize("filt, expected", [c[1:] for c in REPR_CASES],
                         ids=[c[0] for c in REPR_CASES])
def test_repr(filt, expected):
    assert repr(filt) == expected


def test_isstate_repr_follows_the_label():
    s = State(jnp.zeros(1))
    s.path = ("enc", "h")
    assert repr(F.IsState(s)) == "IsState(enc.h)"


def test_state_classes_are_named_from_the_package():
    assert repr(F.OfType(vmapviz.HiddenState)) == "OfType(<class 'vmapviz.HiddenState'>)"


SHORTHAND_CASES = [
    ("type", ParamState, F.OfType(ParamState)),
    ("str", "fast", F.WithTag("fast")),
    ("True", True, F.Everything()),
    ("Ellipsis", ..., F.Everything()),
    ("False", False, F.Nothing()),
    ("None", None, F.Nothing()),
    ("list", [ParamState, "fast"], F.Any(F.OfType(ParamState), F.WithTag("fast"))),
    ("tuple", (None,), F.Any(F.Nothing())),
    ("nested list", [[ParamState]], F.Any(F.Any(F.OfType(ParamState)))),
    ("State", PARAM, F.IsState(PARAM)),
    ("list of States", [PARAM, HIDDEN], F.Any(F.IsState(PARAM), F.IsState(HIDDEN))),
    ("filter", F.PathContains("w"), F.PathContains("w")),
]


@pytest.mark.parametrize("shorthand, expected", [c[1:] for c in SHORTHAND_CASES],
                         ids=[c[0] for c in SHORTHAND_CASES])
def test_to_predicate(shorthand, expected):
    result = F.to_predicate(shorthand)
    assert result == expected
    assert type(result) is type(expected)


def test_to_predicate_returns_filters_and_callables_themselves():
    f = F.WithTag("x")
    assert F.to_predicate(f) is f
    assert F.to_predicate(_is_param) is _is_param


BAD_SHORTHAND = [
    ("int", 3, r"Cannot use 3 \(of type int\) as a state filter"),
    ("float", 1.5, r"Cannot use 1\.5 \(of type float\)"),
    ("dict", {"a": 1}, r"Cannot use \{'a': 1\} \(of type dict\)"),
    ("inside list", [ParamState, 2], r"Cannot use 2 \(of type int\)"),
]


@pytest.mark.parametrize("bad, message", [c[1:] for c in BAD_SHORTHAND],
                         ids=[c[0] for c in BAD_SHORTHAND])
def test_to_predicate_rejects(bad, message):
    with pytest.raises(TypeError, match=message) as info:
        F.to_predicate(bad)
    assert "True or ... (Everything)" in str(info.value)
    assert "a callable pred(path, state) -> bool" in str(info.value)


CONSTRUCTOR_ERRORS = [
    ("OfType instance", lambda: F.OfType(3), "OfType expects a class, got 3"),
    ("WithTag unhashable", lambda: F.WithTag(["a"]), r"WithTag expects a hashable tag"),
    ("PathContains float", lambda: F.PathContains(1.5), "PathContains expects a str key"),
    ("IsState non-state", lambda: F.IsState(1), "IsState expects a State, got 1"),
    ("Any bad item", lambda: F.Any(ParamState, 3.0), r"Cannot use 3\.0"),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in CONSTRUCTOR_ERRORS],
                         ids=[c[0] for c in CONSTRUCTOR_ERRORS])
def test_constructor_errors(make, message):
    with pytest.raises(TypeError, match=message):
        make()


class _Unhashable:
    __hash__ = None

    def __call__(self, path, state):
        return True


def test_filters_are_hashable_and_compare_by_value():
    table = {
        F.OfType(ParamState): "a",
        F.Any("x", _is_param): "b",
        F.Not(_Unhashable()): "c",
        F.All(_Unhashable(), "y"): "d",
        F.IsState(PARAM): "e",
    }
    assert table[F.OfType(ParamState)] == "a"
    assert table[F.Any("x", _is_param)] == "b"
    assert table[F.IsState(PARAM)] == "e"
    assert F.Any("x") != F.All("x")
    assert F.IsState(State(1.0)) != F.IsState(State(1.0))


def test_filters_are_frozen():
    f = F.WithTag("a")
    with pytest.raises(AttributeError):
        f.tag = "b"
