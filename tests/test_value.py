"""``Value`` itself: what it accepts, what a node records, operators with numbers on
either side, comparisons, and the numerics the engine promises (stable sigmoid and tanh,
the derivative chosen at the kinks)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Parameter, Value

# -- construction --------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"), [(3, 3.0), (-2, -2.0), (True, 1.0), (False, 0.0), (2.5, 2.5)]
)
def test_numbers_become_floats(given_, expected):
    v = Value(given_)
    assert v.data == expected
    assert type(v.data) is float


def test_new_value_defaults():
    v = Value(1.5, label="x")
    assert (v.data, v.grad, v.label, v.op) == (1.5, 0.0, "x", "")
    assert type(v.grad) is float
    assert v.inputs == () and v.local_grads == () and v.params == ()
    assert v.is_leaf and not v.is_parameter
    assert Value(1.0).label == ""


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy", reason="NumPy scalars are only testable with NumPy")
    for scalar, expected in [(np.float64(1.5), 1.5), (np.float32(0.5), 0.5), (np.int64(-3), -3.0)]:
        v = Value(scalar)
        assert v.data == expected
        assert type(v.data) is float
    assert type((Value(2.0) * np.float64(3.0)).data) is float


@pytest.mark.parametrize(
    ("bad", "error", "named"),
    [
        ("1", TypeError, "'1'"),
        (None, TypeError, "None"),
        (1j, TypeError, "1j"),
        ([1.0], TypeError, "list"),
        (float("nan"), ValueError, "nan"),
        (float("inf"), ValueError, "inf"),
        (float("-inf"), ValueError, "-inf"),
    ],
)
def test_bad_data_is_refused_naming_what_was_given(bad, error, named):
    with pytest.raises(error) as info:
        Value(bad)
    assert named in str(info.value)


def test_an_int_too_large_for_a_float_is_refused():
    with pytest.raises(ValueError, match="large"):
        Value(10**400)


@pytest.mark.parametrize(("label", "named"), [(3, "int"), (None, "None"), (b"x", "bytes")])
def test_label_must_be_a_string(label, named):
    with pytest.raises((TypeError, ValueError)) as info:
        Value(1.0, label=label)
    assert named in str(info.value)
    assert "label" in str(info.value)


def test_operand_that_is_not_a_number_is_refused_by_name():
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="'a'"):
        x + "a"
    with pytest.raises(TypeError, match="None"):
        None * x


def test_slots_no_instance_dict():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.colour = "red"


def test_parameter_is_a_value_marked_as_parameter():
    w = Parameter(0.5, label="L1.N0.w1")
    assert isinstance(w, Value) and w.is_parameter and w.is_leaf
    y = w * 2
    assert type(y) is Value and not y.is_parameter
    y.backward()
    assert w.grad == 2.0


def test_constant_wraps_numbers_and_passes_values_through():
    c = autograd.constant(2)
    assert c.data == 2.0 and c.is_leaf and c.label == ""
    v = Value(1.0)
    assert autograd.constant(v) is v


# -- what a node records -------------------------------------------------------


def test_inputs_keep_order_and_duplicates():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert (a * a).inputs == (a, a)
    assert (a * a).local_grads == (2.0, 2.0)
    assert (b - a).inputs == (b, a)
    assert (a / b).inputs == (a, b)
    s = autograd.sum_values([a, b, a])
    assert s.inputs == (a, b, a) and s.op == "sum"


def test_numbers_in_the_graph_become_unlabelled_constant_leaves():
    x = Value(3.0, label="x")
    y = x * 2
    assert y.inputs[0] is x
    constant = y.inputs[1]
    assert constant.data == 2.0 and constant.label == "" and constant.is_leaf


def test_local_grads_are_computed_when_the_node_is_made():
    a, b = Value(2.0), Value(5.0)
    y = a * b
    assert y.local_grads == (5.0, 2.0)
    a.data = 100.0  # changing an input later does not rewrite the recorded derivative
    assert y.local_grads == (5.0, 2.0)
    assert all(type(g) is float for g in y.local_grads)


def test_number_parameters_are_kept_in_params():
    x = Value(-2.0)
    cube = x**3
    assert (cube.op, cube.inputs, cube.params) == ("**", (x,), (3.0,))
    leaky = x.leaky_relu(0.2)
    assert (leaky.op, leaky.inputs, leaky.params) == ("leaky_relu", (x,), (0.2,))
    assert x.leaky_relu().params == (0.01,)


def test_linear_lays_out_weights_then_inputs_then_bias():
    ws = [Value(1.0, label="w1"), Value(-2.0, label="w2")]
    xs = [Value(1.0, label="x1"), Value(-1.0, label="x2")]
    b = Value(1.0, label="b")
    z = autograd.linear(ws, xs, b)
    assert z.op == "linear"
    assert z.inputs == (*ws, *xs, b)
    # ∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1
    assert z.local_grads == (1.0, -1.0, 1.0, -2.0, 1.0)
    # the first hidden neuron of the 2-2-1 network worked by hand: 1·1 + (-2)·(-1) + 1 = 4
    assert z.data == 4.0


def test_linear_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 weights but 1 inputs"):
        autograd.linear([1.0, 2.0], [1.0], 0.0)
    with pytest.raises(ValueError):
        autograd.linear([], [], 0.0)
    with pytest.raises(ValueError):
        autograd.sum_values([])


# -- operators with numbers on either side -------------------------------------


def test_reflected_operators_put_the_number_first():
    x = Value(4.0, label="x")
    for y, expected, local in [
        (2 + x, 6.0, (1.0, 1.0)),
        (2 - x, -2.0, (1.0, -1.0)),
        (2 * x, 8.0, (4.0, 2.0)),
        (2 / x, 0.5, (0.25, -2.0 / 16.0)),
    ]:
        assert y.inputs[1] is x
        assert y.inputs[0].data == 2.0
        assert y.data == expected
        assert y.local_grads == local


def test_subtraction_and_division_gradients_have_the_right_sign():
    x = Value(4.0)
    (2 - x).backward()
    assert x.grad == -1.0
    x.grad = 0.0
    (x - 2).backward()
    assert x.grad == 1.0
    x.grad = 0.0
    (2 / x).backward()
    assert x.grad == -2.0 / 16.0  # d/dx 2/x = -2/x²
    x.grad = 0.0
    (x / 2).backward()
    assert x.grad == 0.5


def test_number_to_the_power_of_a_value():
    x = Value(3.0, label="x")
    y = 2**x
    assert y.op == "pow" and y.inputs[1] is x and y.inputs[0].data == 2.0
    assert y.data == 8.0
    y.backward()
    assert math.isclose(x.grad, 8.0 * math.log(2.0), rel_tol=1e-15)


def test_value_to_the_power_of_a_value():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = a**b
    assert y.op == "pow" and y.inputs == (a, b)
    y.backward()
    assert a.grad == 3.0 * 2.0**2  # b·a^(b-1)
    assert math.isclose(b.grad, 8.0 * math.log(2.0), rel_tol=1e-15)  # a^b·ln a


def test_power_with_zero_exponent():
    x = Value(5.0)
    y = x**0
    assert y.data == 1.0 and y.local_grads == (0.0,)


def test_unary_plus_and_minus():
    x = Value(1.5)
    assert +x is x
    assert (-x).op == "neg" and (-x).data == -1.5
    assert abs(Value(-2.0)).data == 2.0 and abs(Value(-2.0)).op == "abs"


# -- comparisons, truth, conversions -------------------------------------------


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_comparisons_compare_data_and_return_bool(a, b):
    x, y = Value(a), Value(b)
    for ours, expected in [(x < y, a < b), (x <= y, a <= b), (x > y, a > b), (x >= y, a >= b)]:
        assert type(ours) is bool and ours == expected
    for ours, expected in [(x < b, a < b), (a < y, a < b), (x >= b, a >= b), (b >= x, b >= a)]:
        assert type(ours) is bool and ours == expected


def test_equality_is_identity_so_values_can_be_dict_keys():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b  # documented: compare a.data == b.data for equal numbers
    assert len({a: 1, b: 2}) == 2


def test_truth_value_is_refused():
    with pytest.raises(TypeError, match="ambiguous"):
        bool(Value(1.0))
    with pytest.raises(TypeError):
        if Value(0.0):
            pass


def test_float_and_format():
    v = Value(2.5, label="x")
    assert float(v) == 2.5
    assert f"{v:.1f}" == "2.5"
    assert "2.5" in repr(v) and "'x'" in repr(v)
    assert "'*'" in repr(v * 2)


# -- numerics the engine promises -------------------------------------------------


def test_sigmoid_saturates_without_overflow():
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().local_grads == (0.0,)
    assert Value(-800.0).sigmoid().local_grads == (0.0,)
    assert Value(0.0).sigmoid().data == 0.5


def test_tanh_saturates_without_overflow():
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0
    assert Value(1000.0).tanh().local_grads == (0.0,)


@given(st.floats(-1e300, 1e300))
def test_sigmoid_and_tanh_are_bounded_and_symmetric_everywhere(x):
    s, t = Value(x).sigmoid().data, Value(x).tanh().data
    assert 0.0 <= s <= 1.0 and -1.0 <= t <= 1.0
    assert math.isclose(s + Value(-x).sigmoid().data, 1.0, rel_tol=1e-15)
    assert t == -Value(-x).tanh().data


def test_softplus_and_logsumexp_do_not_overflow():
    assert Value(800.0).softplus().data == 800.0
    assert Value(-800.0).softplus().data == 0.0
    big = autograd.logsumexp([1000.0, 1000.0])
    assert math.isclose(big.data, 1000.0 + math.log(2.0), rel_tol=1e-15)
    assert big.local_grads == pytest.approx((0.5, 0.5), rel=1e-12)  # the softmax of two equal numbers
    assert math.isclose(autograd.logsumexp([-1000.0, -1000.0]).data, -1000.0 + math.log(2.0))
    with pytest.raises(ValueError):
        autograd.logsumexp([])


def test_kink_derivatives_are_zero():
    """relu'(0) = 0 and abs'(0) = 0 (the choice PyTorch makes too); leaky_relu'(0) = slope."""
    assert Value(0.0).relu().local_grads == (0.0,)
    assert Value(0.0).abs().local_grads == (0.0,)
    assert Value(0.0).leaky_relu(0.1).local_grads == (0.1,)
    x = Value(0.0)
    (x.relu() + x.abs()).backward()
    assert x.grad == 0.0


def test_exp_just_below_overflow_and_underflow():
    assert Value(709.0).exp().data == math.exp(709.0)
    assert Value(-1000.0).exp().data == 0.0


# -- copying and pickling -------------------------------------------------------------


def _chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, "x")
    v = x
    for _ in range(depth):
        v = (v * 1.0000001).tanh()
    return x, v


@pytest.mark.parametrize("copier", ["pickle", "deepcopy"])
def test_a_graph_a_hundred_thousand_nodes_deep_copies(copier):
    import copy
    import pickle

    x, root = _chain(50_000)  # 100,000 op nodes
    root.backward()
    clone = pickle.loads(pickle.dumps(root)) if copier == "pickle" else copy.deepcopy(root)
    assert clone is not root and clone.data == root.data and clone.grad == root.grad
    order = autograd.topological_order(clone)
    assert len(order) == len(autograd.topological_order(root))
    (leaf,) = [v for v in order if v.label == "x"]
    assert leaf is not x and leaf.grad == x.grad
    leaf.grad = 0.0
    clone.backward()
    assert leaf.grad == x.grad  # the copy differentiates on its own


def test_copies_keep_kinds_labels_and_shared_inputs():
    import copy
    import pickle

    w = autograd.Parameter(2.0, "w")
    y = w * w + 3
    y.label = "y"
    for clone in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert clone.label == "y" and clone.op == "+"
        square, three = clone.inputs
        assert square.inputs[0] is square.inputs[1]  # w*w: one leaf used twice
        assert type(square.inputs[0]) is autograd.Parameter and three.is_constant
    assert copy.copy(y).inputs[0] is y.inputs[0]  # a shallow copy shares its inputs
