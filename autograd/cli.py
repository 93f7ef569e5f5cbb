"""The ``chaingrad`` command line (also ``python -m autograd``).

    chaingrad grad "EXPR" name=value ...   gradients of an expression, explained
    chaingrad train --dataset moons ...    train an MLP, save model and plots
    chaingrad demo                         the 2-2-1 sigmoid network worked by hand, checked

Every error is one line on stderr that says what is wrong, with exit status 2,
never a traceback; training that diverges stops with one line and exit status
1. Nothing the user typed reaches the terminal raw: control characters (the
escape sequences that move the cursor, clear the screen or change colours)
are shown escaped, as ``\x1b``. This module is the one place that ties
``autograd`` and ``nn`` together, so it imports ``nn`` only inside the
commands that train.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from autograd.errors import ChaingradError, DomainError, InfiniteDerivativeError, MissingValueError
from autograd.graph import topological_order
from autograd.value import Parameter, Value, linear, to_float


class UsageError(ChaingradError, ValueError):
    """A mistake in how the command was called; reported as one line, exit 2."""


def terminal_safe(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control and format character escaped (``\x1b``,
    ``\u202e``), so that printing it cannot drive the terminal: no escape
    sequences, no carriage returns over earlier text, no reversed text."""

    def shown(ch: str) -> str:
        if ch == "\n" and keep_newlines:
            return ch
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(ch)
            if code < 0x100:
                return f"\\x{code:02x}"
            return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
        return ch

    return "".join(map(shown, text))


def _say(text: str) -> None:
    """Print command output, escaped for the terminal."""
    print(terminal_safe(text))


def _complain(message: str) -> None:
    """One line on stderr: ``chaingrad: error: ...``."""
    print(f"chaingrad: error: {terminal_safe(message, keep_newlines=False)}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line instead of two."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples as written and ends each option's help with its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "(default" in text or default is argparse.SUPPRESS or action.nargs == 0:
            return text  # flags (store_true) are off unless given
        if default is None or default == []:
            return text
        return f"{text} (default: %(default)s)"


# -- chaingrad grad ------------------------------------------------------------


def _bindings(pairs: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"expected name=value, got {pair!r}")
        if not name.isidentifier():
            raise UsageError(f"{name!r} is not a valid name (in {pair!r})")
        try:
            values[name] = to_float(float(text), name)
        except (ValueError, TypeError):
            raise UsageError(f"{name}={text}: {text!r} is not a finite number") from None
    return values


def _leaves_by_label(root: Value) -> dict[str, Value]:
    return {v.label: v for v in topological_order(root) if v.label and not v.inputs}


DRAW_FORMATS = (".svg", ".png", ".pdf", ".dot")


def _draw_path(text: str) -> Path:
    """The file of ``--draw``, whose suffix picks the format (checked before any work)."""
    path = Path(text)
    if path.suffix.lower() not in DRAW_FORMATS:
        formats = ", ".join(DRAW_FORMATS[:-1]) + f" or {DRAW_FORMATS[-1]}"
        found = f"{path.suffix!r}" if path.suffix else "no suffix"
        raise UsageError(
            f"--draw {text}: the file name must end in {formats} (the suffix picks the format); got {found}"
        )
    return path


def _steps_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--save-steps {text}: the step player is a web page; give a name ending in .html")
    return path


def cmd_grad(args: argparse.Namespace) -> int:
    import autograd

    draw_path = _draw_path(args.draw) if args.draw else None
    steps_path = _steps_path(args.save_steps) if args.save_steps else None
    values = _bindings(args.bindings)
    root = autograd.parse(args.expression, **values)
    root.label = root.label or "f"
    out = [f"{args.expression} = {root.data:.6g}", ""]
    steps_text: list[str] = []
    if args.steps:
        steps_text = [str(step) for step in autograd.backward_steps(root)]
    else:
        root.backward()
    leaves = _leaves_by_label(root)
    width = max([len(name) for name in leaves] + [4])
    out.append(f"{'name':<{width}}  {'value':>12}  {'∂f/∂name':>12}")
    for name in sorted(leaves):
        leaf = leaves[name]
        out.append(f"{name:<{width}}  {leaf.data:>12.6g}  {leaf.grad:>12.6g}")
    for name in values:
        if name not in leaves:
            out.append(f"(note: {name} is not used in the expression)")
    if args.steps:
        out += ["", "backward, one node at a time:", *steps_text]
    if args.explain:
        out += ["", str(autograd.explain(root, _known(leaves, args.explain)))]
    if args.check:
        name, formula = args.check
        report = autograd.check_formula(root, _known(leaves, name).label, formula)
        out += ["", f"check ∂f/∂{name} = {formula}", str(report)]
    if draw_path is not None:
        path = autograd.save_graph(root, draw_path)
        out += ["", f"graph written to {path}"]
    if steps_path is not None:  # a fresh graph: stepping performs backward, which must not add up here
        fresh = autograd.parse(args.expression, **values)
        fresh.label = root.label
        path = autograd.save_steps(fresh, steps_path)
        out += ["", f"step player written to {path} (open it in a web browser)"]
    _say("\n".join(out))
    return 0 if not args.check or report.ok else 1


def _known(leaves: dict[str, Value], name: str) -> Value:
    if name not in leaves:
        known = ", ".join(sorted(leaves)) or "none"
        raise UsageError(f"unknown name {name!r}; the expression's names are: {known}")
    return leaves[name]


# -- chaingrad train -----------------------------------------------------------

DATASETS = ("moons", "circles", "xor", "blobs", "linear")


def _sizes(text: str) -> list[int]:
    """``--hidden``: one or more layer sizes, positive whole numbers separated by commas."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part.isdigit() for part in parts):
        raise UsageError(
            f"--hidden takes the sizes of the hidden layers separated by commas, like 16,16 or 8; "
            f"got {text!r}"
        )
    sizes = [int(part) for part in parts]
    if any(s <= 0 for s in sizes):
        raise UsageError(f"--hidden sizes must be at least 1, got {text!r}")
    return sizes


RUN_FILES = ("model.json", "loss.png", "loss.svg", "decision_boundary.png", "decision_boundary.svg")
"""What ``train`` writes; a folder that holds any of them holds a run."""


def _refuse_to_overwrite(folder: Path, force: bool) -> None:
    if force or not folder.is_dir():
        return
    found = [name for name in RUN_FILES if (folder / name).exists()]
    if found:
        raise UsageError(
            f"the output folder {str(folder)!r} already holds a run ({', '.join(found)}); "
            "pass --force to overwrite it, or choose another --out"
        )


def _output_folder(text: str) -> Path:
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".chaingrad-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write to the output folder {str(folder)!r}: {exc.strerror or exc}"
        ) from None
    return folder


def cmd_train(args: argparse.Namespace) -> int:
    import nn

    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(DATASETS)}")
    for flag, value in (("--epochs", args.epochs), ("--samples", args.samples)):
        if value <= 0:
            raise UsageError(f"{flag} must be positive, got {value}")
    if args.lr <= 0 or not math.isfinite(args.lr):
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    if args.batch_size is not None and args.batch_size <= 0:
        raise UsageError(f"--batch-size must be positive (omit it for full batch), got {args.batch_size}")
    hidden = _sizes(args.hidden)
    _refuse_to_overwrite(Path(args.out), args.force)
    folder = _output_folder(args.out)
    make = getattr(nn.datasets, args.dataset)
    X, y = make(args.samples, seed=args.seed)
    regression = args.dataset == "linear"
    classes = 1 if regression else max(y) + 1
    outputs = classes if classes > 2 else 1
    default_loss = (
        "mse" if regression else "cross_entropy" if outputs > 1 else "binary_cross_entropy_with_logits"
    )
    loss_name = args.loss or default_loss
    if loss_name not in nn.LOSSES:
        raise UsageError(f"unknown loss {loss_name!r}; choose one of: {', '.join(sorted(nn.LOSSES))}")
    _check_loss_suits(nn, loss_name, args.dataset, regression, classes)
    model = nn.MLP(len(X[0]), [*hidden, outputs], activation=args.activation, seed=args.seed)
    optimizer = nn.SGD(model.parameters(), lr=args.lr) if args.optimizer == "sgd" else None
    if args.optimizer == "adam":
        optimizer = nn.Adam(model.parameters(), lr=args.lr)
    try:
        history = nn.fit(
            model,
            X,
            y,
            loss_name,
            optimizer=optimizer,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            progress=not args.no_progress,
            compile=args.compile,
            on_epoch=lambda history: bool(divergence(history.loss, finished=False)),
        )
    except DomainError as exc:  # an overflow, or a non-finite gradient: the steps were too large
        first_line = str(exc).splitlines()[0]
        return _diverged(f"training diverged ({first_line})", args)
    verdict = divergence(history.loss)
    if verdict:
        return _diverged(f"training diverged: {verdict}", args)
    model_path = folder / "model.json"
    model.save(model_path)
    written = [model_path]
    written += _plots(nn, model, X, y, history, folder, regression)
    final = f"final loss {history.loss[-1]:.4f}"
    if history.accuracy and not regression:
        final += f", accuracy {history.accuracy[-1]:.1%}"
    _say(final)
    for path in written:
        _say(f"wrote {path}")
    return 0


def _check_loss_suits(nn: Any, loss_name: str, dataset: str, regression: bool, classes: int) -> None:
    """Refuse a loss that cannot read this dataset's targets, before building anything."""
    output = nn.losses.loss_info(nn.LOSSES[loss_name]).output
    if regression and output != "value":
        raise UsageError(
            f"--loss {loss_name} needs class labels, but {dataset} is a regression dataset (real-valued "
            "targets); use mse, mae or half_sse"
        )
    if output == "logits" and classes <= 2:
        raise UsageError(f"--loss {loss_name} needs a dataset with more than two classes (try blobs)")
    if output in ("probability", "logit", "margin") and classes > 2:
        raise UsageError(
            f"--loss {loss_name} separates two classes, but {dataset} has {classes}; "
            "use cross_entropy for more than two"
        )


DIVERGED_FACTOR = 2.0
"""Training whose last loss is this many times its first has diverged."""


RUNAWAY_FACTOR = 10.0
"""Training whose loss rises this many times above its first stops at once."""


def divergence(losses: Sequence[float], finished: bool = True) -> str:
    """Why a run of per-epoch losses diverged (one line), or "" if it did not.

    A loss that is not a finite number has diverged, and so has one that
    rises more than :data:`RUNAWAY_FACTOR` times above where it started
    (training stops there); a finished run whose loss ends more than
    :data:`DIVERGED_FACTOR` times above its start diverged too: gradient
    descent with a small enough step never does that.
    """
    for epoch, loss in enumerate(losses, start=1):
        if not math.isfinite(loss):
            return f"the loss became {loss} at epoch {epoch}"
        if loss > RUNAWAY_FACTOR * losses[0]:
            return f"the loss rose from {losses[0]:.4g} at epoch 1 to {loss:.4g} at epoch {epoch}"
    if finished and len(losses) > 1 and losses[-1] > DIVERGED_FACTOR * losses[0]:
        return (
            f"the loss rose from {losses[0]:.4g} at epoch 1 to {losses[-1]:.4g} at epoch {len(losses)} "
            f"(at most {max(losses):.4g})"
        )
    return ""


def _diverged(message: str, args: argparse.Namespace) -> int:
    print(
        f"chaingrad: {message}; the learning rate is too large for this problem: "
        f"try a smaller --lr, e.g. --lr {args.lr / 10:g} (nothing was written)",
        file=sys.stderr,
    )
    return 1


def _plots(nn: Any, model: Any, X: Any, y: Any, history: Any, folder: Path, regression: bool) -> list[Path]:
    """Each plot as a PNG (to look at) and an SVG (to scale without blur)."""
    try:
        import matplotlib  # noqa: F401  (only to know whether plots are possible)
    except ImportError:
        print('(no plots: matplotlib is not installed; pip install "chaingrad[train]")', file=sys.stderr)
        return []
    figures = {"loss": history.plot()}
    if not regression and len(X[0]) == 2:
        figures["decision_boundary"] = nn.decision_grid(model, X, steps=80).plot(X, y)
        figures["decision_boundary"].axes[0].set_title("decision boundary")
    written = []
    for name, figure in figures.items():
        figure.tight_layout()
        for suffix in ("png", "svg"):
            path = folder / f"{name}.{suffix}"
            figure.savefig(path, dpi=100)
            written.append(path)
    return written


# -- chaingrad demo ------------------------------------------------------------

NETWORK_2_2_1_HAND_FORMULAS = {
    "w1": "-(y - yhat) * yhat * (1 - yhat) * h1",
    "b": "-(y - yhat) * yhat * (1 - yhat)",
    "h1": "-(y - yhat) * yhat * (1 - yhat) * w1",
    "a1": "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1)",
    "w11": "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1) * x1",
    "b1": "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1)",
}
"""∂L/∂(name) of the 2-2-1 sigmoid network, derived by hand with the chain rule
(∂L/∂ŷ = -(y - ŷ), σ' = σ(1 - σ), ∂a/∂h1 = w1, ∂a1/∂w11 = x1) and written
with the graph's labels."""

COINCIDENCE = ("w11", NETWORK_2_2_1_HAND_FORMULAS["b1"])
"""A wrong formula for ∂L/∂w11 (the factor x1 left out) that the network's own
point cannot tell from the right one, because x1 = 1 there."""


DEMO_GRAPH = "network_2_2_1"
"""The file name (without suffix) of the graph ``chaingrad demo`` draws."""


def network_2_2_1(y_target: float = 1.0) -> Value:
    """The 2-2-1 sigmoid network worked by hand, with L = 1/2 (y - ŷ)².

    Two inputs, two sigmoid neurons h1 = σ(a1), h2 = σ(a2) in the hidden layer,
    one sigmoid output ŷ = σ(a). The hidden layer is W = [[1, -2], [-1, 1]],
    x = [1, -1], b = [1, 0], so (a1, a2) = W x + b = (4, -2): numbers small
    enough to follow with pencil and paper. The output layer is w1 = 0.5,
    w2 = -0.5, b = 0.1, and the target is ``y_target``.
    """
    x1, x2 = Value(1.0, "x1"), Value(-1.0, "x2")
    P = Parameter  # weights and biases: drawn in their own colour
    w11, w12, w21, w22 = P(1.0, "w11"), P(-2.0, "w12"), P(-1.0, "w21"), P(1.0, "w22")
    b1, b2 = P(1.0, "b1"), P(0.0, "b2")
    w1, w2, b = P(0.5, "w1"), P(-0.5, "w2"), P(0.1, "b")
    y = Value(y_target, "y")
    # each pre-activation is ONE node, as written by hand: a1 = w11·x1 + w12·x2 + b1
    a1 = linear([w11, w12], [x1, x2], b1)
    a2 = linear([w21, w22], [x1, x2], b2)
    a1.label, a2.label = "a1", "a2"
    h1, h2 = a1.sigmoid(), a2.sigmoid()
    h1.label, h2.label = "h1", "h2"
    a = linear([w1, w2], [h1, h2], b)
    a.label = "a"
    yhat = a.sigmoid()
    yhat.label = "yhat"
    loss = 0.5 * (y - yhat) ** 2
    loss.label = "L"
    return loss


def _formula_lines(loss: Value) -> tuple[list[str], bool]:
    """Each hand formula checked at many points, then a wrong formula that one point
    would accept; True when every right formula agrees and the wrong one is caught."""
    import autograd

    nodes = {v.label: v for v in topological_order(loss) if v.label}
    points = 10
    out = [f"formulas derived by hand, checked against the engine at {points + 1} points each:"]
    width = max(len(formula) for formula in NETWORK_2_2_1_HAND_FORMULAS.values())
    all_ok = True
    for wrt, formula in NETWORK_2_2_1_HAND_FORMULAS.items():
        report = autograd.check_formula(loss, wrt, formula, points=points)
        all_ok = all_ok and report.ok
        mark = "ok " if report.ok else "MISMATCH"
        agreed = f"{report.agreed}/{len(report.rows)} points agree"
        out.append(f"  [{mark}] ∂L/∂{wrt:<3} = {formula:<{width}} = {nodes[wrt].grad:9.6f}   {agreed}")
    wrt, wrong = COINCIDENCE
    report = autograd.check_formula(loss, wrt, wrong, points=points)
    out += [
        "",
        f"one point proves little: ∂L/∂{wrt} without its factor x1 agrees at this point, where x1 = 1,",
        "but not at the random points:",
        f"  [{'ok ' if report.ok else 'MISMATCH'}] ∂L/∂{wrt} = {wrong}   "
        f"{report.agreed}/{len(report.rows)} points agree",
    ]
    if report.counterexample:
        out.append(f"  {report.counterexample}")
    return out, all_ok and not report.ok


def cmd_demo(args: argparse.Namespace) -> int:
    import autograd

    folder = _output_folder(args.out)
    loss = network_2_2_1()
    nodes = {v.label: v for v in topological_order(loss) if v.label}
    out = ["The 2-2-1 sigmoid network worked by hand, L = 1/2 (y - ŷ)²", ""]
    out.append("forward:")
    for name in ("a1", "a2", "h1", "h2", "a", "yhat", "L"):
        out.append(f"  {name:>4} = {nodes[name].data:.6f}")
    loss.backward()
    checks, all_ok = _formula_lines(loss)
    out += ["", *checks]
    out += ["", "the chain rule for ∂L/∂w11, path by path:", str(autograd.explain(loss, "w11"))]
    try:
        path = autograd.save_graph(loss, folder / f"{DEMO_GRAPH}.{args.format}")
        out += ["", f"graph written to {path}"]
    except ChaingradError as exc:  # no `dot` binary: still show the numbers
        dot_path = autograd.save_graph(loss, folder / f"{DEMO_GRAPH}.dot")
        out += ["", f"({exc}); wrote the DOT text to {dot_path} instead"]
    _say("\n".join(out))
    return 0 if all_ok else 1


# -- wiring --------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chaingrad",
        description="Scalar autodiff that shows its work: gradients, chain-rule paths, training.",
        epilog='example: chaingrad grad "sigmoid(w*x + b)" w=0.5 x=2 b=-1 --explain w',
        formatter_class=_HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    grad = commands.add_parser(
        "grad",
        help="value and gradients of an expression",
        description="Parse an expression safely, print its value and the gradient for every named input.",
        epilog='example: chaingrad grad "tanh(w1*x1 + w2*x2 + b)" w1=0.5 x1=1 w2=-1 x2=2 b=0.1 --explain w1\n'
        '         chaingrad grad "x*x*3" x=2 --check x "6*x" --draw graph.svg\n'
        '         chaingrad grad "sigmoid(w*x + b)" w=0.5 x=2 b=-1 --save-steps steps.html',
        formatter_class=_HelpFormatter,
    )
    grad.add_argument(
        "expression", help='e.g. "sigmoid(w*x + b)"; functions: exp log sqrt tanh sigmoid relu ...'
    )
    grad.add_argument("bindings", nargs="*", metavar="name=value", help="a number for each name")
    grad.add_argument("--explain", metavar="NAME", help="print every chain-rule path from f down to NAME")
    grad.add_argument("--steps", action="store_true", help="print the backward pass one node at a time")
    grad.add_argument("--check", nargs=2, metavar=("NAME", "FORMULA"), help="check a hand-derived ∂f/∂NAME")
    grad.add_argument(
        "--draw", metavar="FILE", help="write the graph to FILE: .svg, .png, .pdf or .dot (the suffix picks)"
    )
    grad.add_argument(
        "--save-steps",
        metavar="FILE.html",
        help="write backward, step by step, as one web page with Previous / Next / Play "
        "(open it in any browser)",
    )
    grad.set_defaults(run=cmd_grad)

    train = commands.add_parser(
        "train",
        help="train an MLP on a toy dataset",
        description="Train an MLP, print the final loss and accuracy; write the model and plots into --out.",
        epilog="example: chaingrad train --dataset moons --hidden 16,16 --epochs 100 --out runs/moons",
        formatter_class=_HelpFormatter,
    )
    train.add_argument("--dataset", default="moons", help=f"one of {', '.join(DATASETS)}")
    train.add_argument("--samples", type=int, default=100, help="number of points")
    train.add_argument("--hidden", default="16,16", help="hidden layer sizes, separated by commas")
    activations = ["tanh", "sigmoid", "relu", "leaky_relu", "prelu"]
    train.add_argument("--activation", default="tanh", choices=activations, help="of the hidden layers")
    train.add_argument(
        "--loss",
        help="loss name (default: binary_cross_entropy_with_logits for two classes, "
        "cross_entropy for more, mse for `linear`)",
    )
    train.add_argument("--optimizer", default="adam", choices=["sgd", "adam"], help="the update rule")
    train.add_argument("--epochs", type=int, default=100, help="passes over the data")
    train.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="samples per update (default: all, full batch; 1: stochastic)",
    )
    train.add_argument("--lr", type=float, default=0.05, help="learning rate")
    train.add_argument("--seed", type=int, default=0, help="for the data, the weights and the shuffles")
    train.add_argument("--compile", action="store_true", help="train with the compiled graph (faster)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--out", default="chaingrad-run", help="folder for model.json and the plots (PNG and SVG)"
    )
    train.add_argument("--force", action="store_true", help="overwrite a run already in --out")
    train.set_defaults(run=cmd_train)

    demo = commands.add_parser(
        "demo",
        help="the 2-2-1 sigmoid network worked by hand: forward, hand formulas, chain rule, graph",
        description="The 2-2-1 sigmoid network worked by hand: every hand-derived gradient checked "
        "against the engine at 11 points, one gradient explained, the graph drawn.",
        epilog="example: chaingrad demo --out demo",
        formatter_class=_HelpFormatter,
    )
    demo.add_argument("--out", default=".", help="folder for the graph image")
    demo.add_argument(
        "--format", default="svg", choices=["svg", "png", "pdf", "dot"], help="of the graph image"
    )
    demo.set_defaults(run=cmd_demo)
    return parser


def _in_cli_words(exc: ChaingradError) -> str:
    """The problem, with advice for the command line instead of advice for Python code."""
    if isinstance(exc, MissingValueError) and exc.missing:
        names = " ".join(f"{name}=..." for name in exc.missing)
        return f"{exc.problem}; give {'it' if len(exc.missing) == 1 else 'them'} as {names}"
    if isinstance(exc, InfiniteDerivativeError):
        return f"{exc.problem}; choose a point where the derivative exists"
    return exc.problem or str(exc) if exc.hint else str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.run(args))
    except ChaingradError as exc:  # the first line names the problem; the rest is a caret display
        _complain(_in_cli_words(exc).split("\n")[0] or type(exc).__name__)
    except OSError as exc:
        _complain(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        print("chaingrad: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
