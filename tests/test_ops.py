"""Every op of the table, driven by the shared spec list in ``opspec.py``.

* the forward rule agrees with an independent textbook formula;
* each local derivative, and the gradient backward leaves in each input, agree
  with a central finite difference of that formula (Hypothesis over the domain).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import SPECS, apply_spec, close, local_grad_of, partial_derivatives, spec_id

import autograd


def test_every_op_has_a_spec():
    """Adding a row to the op table without a spec (and so without tests) fails here."""
    specified = {spec.op for spec in SPECS}
    missing = set(autograd.OPS) - specified
    assert not missing, f"ops with no spec in tests/opspec.py: {sorted(missing)}"
    unknown = specified - set(autograd.OPS)
    assert not unknown, f"specs for ops that are not in the table: {sorted(unknown)}"


def test_spec_names_are_unique():
    assert len({spec.name for spec in SPECS}) == len(SPECS)


def test_table_and_dict_agree():
    """OPS starts with the built-in table, in order; the ops users define follow it."""
    assert [op.name for op in autograd.TABLE] == list(autograd.OPS)[: len(autograd.TABLE)]
    for op in autograd.OPS.values():
        assert autograd.OPS[op.name] is op
        assert op.math, f"{op.name} has no rule in words"


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_samples_lie_inside_the_domain(spec, data):
    """The strategy and the predicate describe the same domain (random graphs rely on it)."""
    xs, params = data.draw(spec.cases)
    assert spec.inside(*xs, *params)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_forward_matches_reference(spec, data):
    case = data.draw(spec.cases)
    xs, params = case
    _, node = apply_spec(spec, case)
    assert node.op == spec.op
    assert type(node.data) is float
    expected = spec.reference(*xs, *params)
    scale = 1.0 + math.fsum(abs(x) for x in xs)
    assert close(node.data, expected, rel=1e-12, abs_=1e-14 * scale), (node.data, expected)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_node_records_its_inputs_and_local_grads(spec, data):
    case = data.draw(spec.cases)
    leaves, node = apply_spec(spec, case)
    assert all(leaf in node.inputs for leaf in leaves)
    assert len(node.local_grads) == len(node.inputs)
    assert all(type(g) is float for g in node.local_grads)
    assert all(leaf.is_leaf and leaf.op == "" for leaf in leaves)
    assert not node.is_leaf


def _assert_matches_fd(analytic: float, numeric: float, f_value: float, what: str) -> None:
    # Central differences are accurate to about 1e-10·|f|/h plus h²·f''' : tolerances
    # that are far below any error a wrong rule would make.
    assert close(analytic, numeric, rel=1e-6, abs_=1e-7 * max(1.0, abs(f_value))), (
        f"{what}: engine {analytic!r}, finite difference {numeric!r}"
    )


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_local_derivatives_match_finite_differences(spec, data):
    case = data.draw(spec.cases)
    xs, params = case
    leaves, node = apply_spec(spec, case)
    numeric = partial_derivatives(lambda *ys: spec.reference(*ys, *params), xs)
    for i, leaf in enumerate(leaves):
        _assert_matches_fd(local_grad_of(node, leaf), numeric[i], node.data, f"∂{spec.name}/∂x{i}")


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_backward_matches_finite_differences(spec, data):
    case = data.draw(spec.cases)
    xs, params = case
    leaves, node = apply_spec(spec, case)
    node.backward()
    assert node.grad == 1.0
    numeric = partial_derivatives(lambda *ys: spec.reference(*ys, *params), xs)
    for i, leaf in enumerate(leaves):
        _assert_matches_fd(leaf.grad, numeric[i], node.data, f"grad of x{i} through {spec.name}")


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_op_composed_with_itself(spec, data):
    """The op applied to its own output (when still in domain): the chain rule across two
    nodes of the same kind, against finite differences of the composed formula."""
    xs, params = data.draw(spec.cases)
    first = spec.reference(*xs, *params)
    rest = xs[1:]
    if not (abs(first) < 50.0 and spec.inside(first, *rest, *params)):
        return
    twice = lambda *ys: spec.reference(spec.reference(*ys, *params), *ys[1:], *params)
    leaves = [autograd.Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = spec.apply(spec.apply(*leaves, *params), *leaves[1:], *params)
    out.backward()
    numeric = partial_derivatives(twice, xs)
    for i, leaf in enumerate(leaves):
        _assert_matches_fd(leaf.grad, numeric[i], out.data, f"grad of x{i} through {spec.name} twice")
