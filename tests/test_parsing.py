"""parse(): text becomes the same graph as the same expression written in Python,
and anything outside the whitelist is refused with our error and a column."""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import unicodedata

import pytest
from expression_trees import FLOATS, outcome, trees
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import ChaingradError, DomainError, ParseError, Value, constant, no_grad
from autograd.parsing import MAX_DEPTH, MAX_LENGTH, parse

# -- the same graph as Python builds ----------------------------------------------------

POINT = {"x": 0.7, "y": -1.3, "z": 2.1}

# (text, the same expression on Values x, y, z)
SAME_AS_PYTHON = [
    ("x + y * z", lambda x, y, z: x + y * z),
    ("(x + y) * z", lambda x, y, z: (x + y) * z),
    ("x - y - z", lambda x, y, z: x - y - z),
    ("x / y / z", lambda x, y, z: x / y / z),
    ("-x + +y", lambda x, y, z: -x + +y),
    ("x ** 3", lambda x, y, z: x**3),
    ("y ** -2", lambda x, y, z: y**-2),
    ("z ** x", lambda x, y, z: z**x),
    ("2 ** x", lambda x, y, z: 2**x),
    ("2 * x + 1", lambda x, y, z: 2 * x + 1),
    ("1 / x", lambda x, y, z: 1 / x),
    ("x ** 2 ** 2", lambda x, y, z: x**2**2),
    ("y ** (1 + 1)", lambda x, y, z: y ** (1 + 1)),
    ("leaky_relu(y, 1/100)", lambda x, y, z: y.leaky_relu(1 / 100)),
    ("sigmoid(x * y + z)", lambda x, y, z: (x * y + z).sigmoid()),
    ("tanh(x) * exp(y) - log(z) + sqrt(z)", lambda x, y, z: x.tanh() * y.exp() - z.log() + z.sqrt()),
    ("relu(x) + relu(y) + abs(y)", lambda x, y, z: x.relu() + y.relu() + y.abs()),
    ("sin(x) * cos(y)", lambda x, y, z: x.sin() * y.cos()),
    (
        "leaky_relu(y) + leaky_relu(y, 0.2) + leaky_relu(x, -0.5)",
        lambda x, y, z: y.leaky_relu() + y.leaky_relu(0.2) + x.leaky_relu(-0.5),
    ),
    ("0.5 * (z - sigmoid(x)) ** 2", lambda x, y, z: 0.5 * (z - x.sigmoid()) ** 2),
    ("x * x * x", lambda x, y, z: x * x * x),
    ("(\n  x\n  + y\n)", lambda x, y, z: x + y),
    ("   x * 2", lambda x, y, z: x * 2),
]


def _leaves() -> dict[str, Value]:
    return {name: Value(v, label=name) for name, v in POINT.items()}


@pytest.mark.parametrize(("text", "direct"), SAME_AS_PYTHON, ids=[t for t, _ in SAME_AS_PYTHON])
def test_parse_builds_the_same_value_and_gradients_as_python(text, direct):
    mine, python = _leaves(), _leaves()
    parsed = parse(text, **mine)
    built = direct(**python)
    assert parsed.data == built.data
    assert parsed.op == built.op
    parsed.backward()
    built.backward()
    for name in POINT:
        assert mine[name].grad == python[name].grad, name


def test_each_name_is_one_shared_leaf_labelled_with_its_name():
    y = parse("x * x", x=3.0)
    left, right = y.inputs
    assert left is right
    assert left.label == "x" and left.data == 3.0 and left.is_leaf
    y.backward()
    assert left.grad == 6.0  # d(x²)/dx = 2x


def test_values_given_as_values_join_the_existing_graph():
    w = Value(0.5, label="w")
    h = w * 4.0
    out = parse("h * h + w", h=h, w=w)
    out.backward()
    # out = (4w)² + w, d/dw = 32w + 1
    assert w.grad == pytest.approx(32 * 0.5 + 1)
    assert h.label == ""  # used as it is, not relabelled


def test_a_number_alone_is_a_constant_value():
    two = parse("2")
    assert isinstance(two, Value) and two.data == 2.0 and two.is_leaf
    assert parse("-(-(3.5))").data == 3.5


def test_text_is_positional_only_so_any_name_can_be_a_variable():
    assert parse("text + 1", text=2.0).data == 3.0


def test_unicode_names_are_fine():
    assert parse("ŷ * 2", **{"ŷ": 1.5}).data == 3.0
    assert parse("损失 + 1", **{"损失": 2.0}).data == 3.0
    # Python reads the full-width ｘ as x (NFKC); the key is found either way
    assert parse("ｘ + 1", x=1.0).data == 2.0
    assert parse("x + 1", **{"ｘ": 1.0}).data == 2.0


@given(
    st.text(
        alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd"), exclude_characters="_"),
        min_size=1,
        max_size=6,
    )
)
def test_any_identifier_can_be_a_name(name):
    normalized = unicodedata.normalize("NFKC", name)
    if not name.isidentifier() or keyword.iskeyword(normalized) or normalized in ("True", "False", "None"):
        return
    assert parse(f"{name} * 2 + {name}", **{name: 1.5}).data == 4.5


# -- random expressions: text and Python agree --------------------------------------------
# A node of the strategy is (text, build(leaves) -> Value, whether it has no names).
# Parts without names are numbers in Python (2 * 3 is 6); the direct build makes
# them constant Values and, where Python needs the number (an exponent), its data.

_UNARY = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos"]
_literal = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def _name(n):
    return (n, lambda leaves: leaves[n], False)


def _number(c):
    return (repr(c), lambda leaves: constant(c), True)


def _folded(text, build, numbers_only):
    """A part without names is computed as a number (no graph, no derivative)."""
    if not numbers_only:
        return (text, build, False)

    def number(leaves):
        with no_grad():
            return constant(build(leaves).data)

    return (text, number, True)


def _binary(args):
    symbol, (ta, fa, ca), (tb, fb, cb) = args
    text = f"({ta}) {symbol} ({tb})"
    if symbol == "**" and cb:  # a number exponent stays a number
        return _folded(text, lambda leaves: fa(leaves) ** fb(leaves).data, ca)
    rule = {
        "+": Value.__add__,
        "-": Value.__sub__,
        "*": Value.__mul__,
        "/": Value.__truediv__,
        "**": Value.__pow__,
    }[symbol]
    return _folded(text, lambda leaves: rule(fa(leaves), fb(leaves)), ca and cb)


def _negate(child):
    text, f, c = child
    return _folded(f"-({text})", lambda leaves: -f(leaves), c)


def _call(args):
    name, (text, f, c) = args
    return _folded(f"{name}({text})", lambda leaves: getattr(f(leaves), name)(), c)


def _leaky(args):
    (text, f, c), slope = args
    return _folded(f"leaky_relu({text}, {slope!r})", lambda leaves: f(leaves).leaky_relu(slope), c)


expressions = st.recursive(
    st.one_of(st.sampled_from(sorted(POINT)).map(_name), _literal.map(_number)),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]), children, children).map(_binary),
        st.tuples(st.sampled_from(_UNARY), children).map(_call),
        st.tuples(children, _literal).map(_leaky),
        children.map(_negate),
    ),
    max_leaves=12,
)


def _run(build):
    """(root, None) or (None, the exception type) for building and backward."""
    try:
        root = build()
        root.backward()
        return root, None
    except (DomainError, ParseError) as exc:
        return None, exc


@given(expressions)
def test_random_expressions_parse_to_what_python_builds(expression):
    text, direct, _ = expression
    mine, python = _leaves(), _leaves()
    parsed, parse_error = _run(lambda: parse(text, **mine))
    if isinstance(parse_error, ParseError):
        # the only refusal possible here: an exponent computed from numbers beyond the limit
        assert "exponent is too large" in str(parse_error)
        return
    built, build_error = _run(lambda: direct(python))
    assert type(parse_error) is type(build_error)
    if built is None:
        return
    assert parsed.data == built.data
    for name in POINT:
        assert mine[name].grad == python[name].grad, name


# -- refusals name the piece and its column ---------------------------------------------

# (text, the piece that is refused, what the message says)
REFUSED = [
    ("x.y", "x.y", "attribute access is not allowed"),
    ("1 + x.y", "x.y", "attribute access is not allowed"),
    ("x[0] * 2", "x[0]", "indexing is not allowed"),
    ("x < y", "x < y", "comparison is not allowed"),
    ("x and y", "x and y", "is not allowed"),
    ("lambda: 1", "lambda: 1", "lambda is not allowed"),
    ("x + 'a'", "'a'", "string is not allowed"),
    ("x + b'a'", "b'a'", "bytes are not allowed"),
    ("x // y", "//", "this operator is not allowed"),
    ("x % y", "%", "this operator is not allowed"),
    ("x @ y", "@", "this operator is not allowed"),
    ("~x", "~x", "`~` is not allowed"),
    ("not x", "not x", "`not` is not allowed"),
    ("x if y else z", "x if y else z", "conditional expression"),
    ("[x, y]", "[x, y]", "list is not allowed"),
    ("x, y", "x, y", "tuple is not allowed"),
    ("{x: y}", "{x: y}", "dict is not allowed"),
    ("(y := 2)", "y := 2", "assignment"),
    ("f'{x}'", "f'{x}'", "f-string is not allowed"),
    ("[x for x in y]", "[x for x in y]", "comprehension is not allowed"),
    ("foo(x)", "foo(x)", "unknown function `foo`"),
    ("exp(x, y)", "exp(x, y)", "exp takes 1 argument, got 2"),
    ("exp()", "exp()", "exp takes 1 argument, got 0"),
    ("2 * leaky_relu(x, slope=0.1)", "slope=0.1", "keyword arguments are not allowed"),
    ("leaky_relu(x, 1, 2)", "leaky_relu(x, 1, 2)", "1 or 2 arguments"),
    ("exp(*x)", "*x", "starred argument is not allowed"),
    ("x.exp()", "x.exp()", "only the engine's functions can be called"),
    ("__import__('os').system('ls')", "__import__('os').system('ls')", "only the engine's functions"),
    ("x ** 100000", "100000", "exponent is too large"),
    ("x ** -1e5", "-1e5", "exponent is too large"),
    ("x ** (10 * 1001)", "10 * 1001", "exponent is too large"),
    ("leaky_relu(x, z)", "z", "slope of leaky_relu must be a number"),
    ("x * 1e999", "1e999", "number must be finite"),
    ("x * 2j", "2j", "complex number is not allowed"),
    ("x * True", "True", "not numbers"),
    ("x + None", "None", "None is not allowed"),
    ("x + ...", "...", "is not allowed"),
    ("leaky_relu(x, 1e400)", "1e400", "number must be finite"),
    ("2 * " + "9" * 400 + ".0", "9" * 39, "more than 400 digits"),
    ("x * 0x" + "f" * 300, "0x" + "f" * 37, "too large for a float"),
    ("ŷŷ + x.y", "x.y", "attribute access is not allowed"),
]


@pytest.mark.parametrize(("text", "piece", "message"), REFUSED, ids=[t[:30] for t, _, _ in REFUSED])
def test_refusals_name_the_piece_and_its_column(text, piece, message):
    with pytest.raises(ParseError) as caught:
        parse(text, x=1.0, y=2.0, z=3.0)
    error = str(caught.value)
    assert message in error
    assert f"`{piece}" in error
    column = text.index(piece) + 1  # columns count characters, from 1
    assert f"at column {column}" in error


def test_the_example_message_of_the_issue():
    with pytest.raises(ParseError, match=r"^attribute access is not allowed: `x\.y` at column 3$"):
        parse("2*x.y", x=1.0)
    with pytest.raises(ParseError, match=r"^attribute access is not allowed: `x\.y` at column 3$"):
        parse("  x.y", x=1.0)  # leading spaces are skipped but still counted


def test_a_refusal_on_a_later_line_names_line_and_column():
    with pytest.raises(ParseError, match=r"`q\.r` at line 2, column 3"):
        parse("(x\n+ q.r)", x=1.0)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("x + * y", 5),
        ("ŷŷ + * y", 6),
        ("  x + * y", 7),
        ("(x + y", 1),
        ("x y", 3),
        ("x = 1", 3),
        ("x ; y", 3),
        ("x €", 3),
        ("", 1),
    ],
)
def test_syntax_errors_give_the_column(text, column):
    with pytest.raises(ParseError, match="syntax error") as caught:
        parse(text, x=1.0, y=2.0)
    assert f"at column {column}" in str(caught.value)
    # the reported column agrees with Python's own parser (1-based characters)
    try:
        ast.parse(text.lstrip(" "), mode="eval")
    except SyntaxError as exc:
        assert column == (exc.offset or 1) + len(text) - len(text.lstrip(" "))


def test_a_name_without_a_value_is_refused_listing_every_missing_name():
    with pytest.raises(ParseError) as caught:
        parse("x * y + z * y", x=1.0)
    error = str(caught.value)
    assert "`y` at column 5" in error and "`z` at column 9" in error
    assert "values given: x" in error


def test_a_null_character_is_refused_with_its_column():
    with pytest.raises(ParseError, match=r"null character .* at column 4"):
        parse("x +\0 y", x=1.0, y=1.0)


def test_text_must_be_a_string():
    with pytest.raises(TypeError, match="str"):
        parse(b"x", x=1.0)  # type: ignore[arg-type]


# -- limits -----------------------------------------------------------------------------------


def test_length_limit():
    inside = "(x" + " " * (MAX_LENGTH - 3) + ")"
    assert parse(inside, x=2.0).data == 2.0
    with pytest.raises(ParseError, match=rf"too long: {MAX_LENGTH + 1} characters.*at column 1"):
        parse(inside + " ", x=2.0)


def test_depth_limit_is_ours_when_python_can_parse_it():
    deep = "-" * (MAX_DEPTH + 50) + "x"
    with pytest.raises(ParseError, match=f"nested more than {MAX_DEPTH} levels deep") as caught:
        parse(deep, x=1.0)
    # the first node below the limit starts at that many minus signs in
    assert f"at column {MAX_DEPTH + 1}" in str(caught.value)
    shallow = "-" * (MAX_DEPTH - 1) + "x"
    assert parse(shallow, x=1.0).data == (-1.0) ** (MAX_DEPTH - 1)


def test_a_long_sum_counts_as_deep():
    with pytest.raises(ParseError, match="nested more than"):
        parse("x" + " + x" * (MAX_DEPTH + 10), x=1.0)


@pytest.mark.parametrize(
    "text",
    [
        "-" * 9000 + "x",
        "x" + "+x" * 4900,
        "x" + "**x" * 3000,
        "(" * 1000 + "x" + ")" * 1000,
        "exp(" * 1000 + "x" + ")" * 1000,
        "x" + "[0]" * 3000,
        "x" + "()" * 4000,
        "not " * 2400 + "x",
    ],
    ids=["signs", "sum", "powers", "parens", "calls", "indexing", "call-chain", "not"],
)
def test_input_too_deep_for_pythons_parser_is_our_error(text):
    with pytest.raises(ParseError, match=r"nested|syntax error|not allowed") as caught:
        parse(text, x=1.0)
    assert "column" in str(caught.value)


def test_exponent_limit_is_inclusive():
    assert parse("x ** 10000", x=1.0).data == 1.0
    assert parse("x ** -10000", x=1.0).data == 1.0


# -- errors of the engine propagate ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "x"),
    [
        ("log(x)", -1.0),
        ("1 / x", 0.0),
        ("x ** 0.5", -1.0),
        ("exp(x)", 1000.0),
        ("sqrt(x)", -4.0),
        ("2 ** x ** 10", 10.0),
        ("x ** -1", 0.0),
    ],
)
def test_domain_errors_of_the_engine_propagate(text, x):
    with pytest.raises(DomainError):
        parse(text, x=x)


# -- never runs the text ---------------------------------------------------------------------


def test_parse_never_evaluates_or_compiles_the_text(monkeypatch):
    real_compile = builtins.compile

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec must not be used")

    def only_syntax_trees(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() may only build a syntax tree"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", only_syntax_trees)
    assert parse("sigmoid(w*x + b)", w=0.5, x=2.0, b=-1.0).data == 0.5
    with pytest.raises(ParseError):
        parse("__import__('os').system('echo hacked')")


# -- fuzzing: random text gives a Value or our error, quickly -----------------------------------


def _value_or_our_error(text: str) -> None:
    try:
        result = parse(text, x=0.5, y=-1.5, z=2.0)
    except (ParseError, DomainError):
        return
    assert isinstance(result, Value)


@settings(deadline=5000)
@given(st.text(max_size=300))
def test_fuzz_random_text(text):
    _value_or_our_error(text)


_TOKENS = [
    "x",
    "y",
    "z",
    "q",
    "ŷ",
    "_",
    "1",
    "0",
    "2.5",
    "1e308",
    "1e999",
    "1_0",
    "0x1F",
    "07",
    "1j",
    ".5",
    "5.",
    "+",
    "-",
    "*",
    "/",
    "**",
    "//",
    "%",
    "@",
    "~",
    "^",
    "&",
    "|",
    "<<",
    "=",
    "==",
    "<",
    ":=",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    ";",
    "'",
    '"',
    "#",
    "\\",
    "\n",
    "\t",
    " ",
    "\0",
    "\r",
    "exp(",
    "log(",
    "sqrt(",
    "tanh(",
    "sigmoid(",
    "relu(",
    "leaky_relu(",
    "abs(",
    "sin(",
    "cos(",
    "foo(",
    "slope=",
    "lambda",
    "if",
    "else",
    "not",
    "and",
    "or",
    "None",
    "True",
    "...",
    "*x",
    "**x",
    "__import__",
    "__class__",
    "f'",
    "b'",
    "€",
    "\u200b",
    "\ufeff",
    "损失",
]


@settings(deadline=5000)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_fuzz_near_valid_text(text):
    _value_or_our_error(text)


@settings(deadline=5000)
@given(
    st.sampled_from(
        ["-", "+", "(", "exp(", "x+", "x*", "x**", "[", "not ", "f(", "x.", "lambda:", "-(", "2**"]
    ),
    st.integers(0, 5000),
    st.sampled_from(["x", "x)", "", "1e5", ")"]),
)
def test_fuzz_deep_text(prefix, repeat, tail):
    text = (prefix * repeat + tail)[: MAX_LENGTH + 10]
    _value_or_our_error(text)


def test_errors_are_chaingrad_errors():
    assert issubclass(ParseError, ChaingradError)
    assert issubclass(DomainError, ChaingradError)


# -- where, comparisons, and every named op of the table ------------------------------------------


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        ("where(x > 0, x, 0)", 2.0, 2.0),
        ("where(x > 0, x, 0)", -2.0, 0.0),
        ("where(x >= 1, 1, where(x <= -1, -1, x))", 0.5, 0.5),
        ("where(x == 0, 1, 2)", 0.0, 1.0),
        ("where(x != 0, 1, 2)", 0.0, 2.0),
        ("where(x < 0, log(-x), log(x))", -2.0, math.log(2.0)),  # only the branch taken is computed
        ("where(x > 0, log(x), 0)", -1.0, 0.0),
        ("leaky_relu(x)", -2.0, -0.02),
        ("leaky_relu(x, 0.5)", -2.0, -1.0),
        ("prelu(x, 0.25)", -2.0, -0.5),
        ("logsumexp(x, x)", 0.0, math.log(2.0)),
        ("softplus(x)", 0.0, math.log(2.0)),
    ],
)
def test_where_comparisons_and_named_ops(text, x, expected):
    assert parse(text, x=x).data == pytest.approx(expected, rel=1e-12)


def test_where_differentiates_the_branch_it_takes():
    x = Value(2.0, "x")
    parse("where(x > 1, x * x, 3 * x)", x=x).backward()
    assert x.grad == 4.0


def test_ops_users_define_can_be_called_by_name():
    from opspec import swish  # noqa: F401 - defines the op

    assert parse("swish(x)", x=1.0).op == "swish"
    assert parse("scaled_tanh(x, 2)", x=0.5).data == pytest.approx(math.tanh(1.0))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("w^2", "not a power here (as in Python; write `**` for a power): `^` at column 2"),
        ("3*x^2", "`^` at column 4"),
        ("x < 1", "a comparison is not allowed"),
        ("where(x, 1, 0)", "the condition of where must be a comparison"),
        ("where(0 < x < 1, 1, 0)", "no chains"),
        ("where(x > 0, 1)", "where takes 3 arguments"),
        ("scaled_tanh(x, x)", "the k of scaled_tanh must be a number"),
    ],
)
def test_refusals_of_the_new_pieces(text, words):
    from opspec import scaled_tanh  # noqa: F401 - defines the op

    with pytest.raises(ParseError) as caught:
        parse(text, x=1.0, w=2.0)
    assert words in str(caught.value)


@settings(max_examples=200)
@given(st.data())
def test_formulas_written_from_expressions_parse_back_to_the_same_value(data):
    """notation.formula_text writes what parse reads: random expression trees,
    written as formulas, evaluate to the same number through parse."""
    from autograd.expressions import evaluate
    from autograd.notation import formula_text

    expr = data.draw(trees)
    x, y = data.draw(st.floats(-2.0, 2.0)), data.draw(st.floats(-2.0, 2.0))
    expected = outcome(lambda: evaluate(expr, {"x": x, "y": y}, FLOATS))
    text = formula_text(expr)
    try:
        got = parse(text, x=x, y=y).data
    except DomainError:
        got = "error"
    except ParseError as exc:  # only the limits of parse may refuse a formula
        assert "too" in str(exc), (text, exc)
        return
    if expected == "error" or got == "error":
        return  # a value that overflows on one side may be caught at a different node on the other
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), text
