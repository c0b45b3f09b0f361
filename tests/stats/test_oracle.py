"""Oracle testers: d-separation CI and the ζ-augmented invariance oracle."""

from __future__ import annotations

import pytest

from causalmix.stats import (
    CITester,
    DSeparationCITester,
    InvarianceTester,
    OracleInvarianceTester,
)
from tests.conftest import make_dag

CHAIN = make_dag(3, [(0, 1), (1, 2)])
COLLIDER = make_dag(3, [(0, 2), (1, 2)])


def test_dseparation_ci():
    chain = DSeparationCITester(CHAIN)
    assert not chain.is_independent(0, 2)
    assert chain.is_independent(0, 2, [1]) and chain.is_independent(2, 0, {1})
    collider = DSeparationCITester(COLLIDER)
    assert collider.is_independent(0, 1) and not collider.is_independent(0, 1, [2])
    assert collider.n_computed == 2
    assert isinstance(chain, CITester)


def test_invariance_oracle_on_chain():
    # component 1 intervenes on node 1: its own law and everything downstream not screened off
    oracle = OracleInvarianceTester(CHAIN, [(), {1}])
    assert oracle.variant_components(1, []) == {1}
    assert oracle.variant_components(1, [0]) == {1}
    assert oracle.variant_components(2, []) == {1}
    assert oracle.variant_components(2, [1]) == frozenset()
    assert oracle.variant_components(0, []) == frozenset()
    # conditioning on a child of the target opens ζ -> 1 <- 0
    assert oracle.variant_components(0, [1]) == {1}
    assert isinstance(oracle, InvarianceTester)


def test_each_component_has_its_own_source():
    # two isolated nodes; in ONE joint graph ζ_1 -> 0 <- ζ_2 -> 1 would make node 1 given {0}
    # "variant" in component 1 through the collider 0, although do(0) leaves X_1 unchanged
    oracle = OracleInvarianceTester(make_dag(2, []), [(), {0}, {0, 1}])
    assert oracle.variant_components(1, [0]) == {2}
    assert oracle.variant_components(0, [1]) == {1, 2}
    collider = OracleInvarianceTester(COLLIDER, [(), {0}, {1}])
    assert collider.variant_components(1, [2]) == {1, 2}
    assert collider.variant_components(2, [0, 1]) == frozenset()


def test_targets_are_relative_to_the_base():
    # base 1 is do(0); component 2 is do(0) too, so only component 0 (observational) differs
    oracle = OracleInvarianceTester(CHAIN, [(), {0}, {0}], base=1)
    assert oracle.variant_components(0, []) == {0}
    assert oracle.variant_components(2, [1]) == frozenset()


def test_oracle_bad_input():
    with pytest.raises(ValueError, match="targets\\[1\\] contains node 3"):
        OracleInvarianceTester(CHAIN, [(), {3}])
    with pytest.raises(ValueError, match="at least 2 components, got 1"):
        OracleInvarianceTester(CHAIN, [()])
    with pytest.raises(ValueError, match=r"base must be a node index in 0..1, got 2"):
        OracleInvarianceTester(CHAIN, [(), {0}], base=2)
    with pytest.raises(TypeError, match="targets must be a sequence"):
        OracleInvarianceTester(CHAIN, {0: ()})
    with pytest.raises(ValueError, match="cycle"):
        DSeparationCITester(make_dag(2, [(0, 1), (1, 0)]))
    with pytest.raises(ValueError, match="i and j must be distinct"):
        DSeparationCITester(CHAIN).is_independent(1, 1)
    with pytest.raises(ValueError, match="cond must not contain i=0"):
        DSeparationCITester(CHAIN).is_independent(0, 1, [0])
    with pytest.raises(ValueError, match="cond must not contain the tested node"):
        OracleInvarianceTester(CHAIN, [(), {0}]).variant_components(0, [0])
