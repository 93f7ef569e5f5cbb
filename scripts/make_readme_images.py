"""Regenerate the README's pictures in docs/images/.

    python scripts/make_readme_images.py                 # writes into docs/images/
    python scripts/make_readme_images.py --out DIR       # somewhere else
    python scripts/make_readme_images.py --no-browser    # skip the player's screenshot

* graph.svg: the logistic-regression neuron u = w1·x1 + w2·x2 + b, ŷ = σ(u),
  L = ½ (y - ŷ)², after backward. Its numbers are easy to check by hand:
  u = 0, ŷ = 0.5, ∂L/∂ŷ = -0.5, ∂ŷ/∂u = 0.25, so ∂L/∂u = -0.125,
  ∂L/∂w1 = -0.125·x1, ∂L/∂w2 = -0.125·x2.
* step.svg: the step of backward at u, where ∂L/∂u is complete and is passed
  on to w1, w2, x1, x2 and b.
* neurons.png: the neuron view of a 2-2-1 sigmoid network (nn.MLP) on one
  sample with L = ½ (y - ŷ)², after backward.
* neurons_mlp.svg: the neuron view of MLP(2, [16, 16, 1]) on one sample (an SVG:
  a PNG of it would be a megabyte).
* player.png: the step player of the same neuron as graph.svg, saved with
  save_steps and photographed in headless Chromium at the step of u (needs
  Debian's chromium and chromium-driver and Selenium; see tests/browser.py).

Needs Graphviz's dot program (apt-get install graphviz).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nn
from autograd import Parameter, Value, backward_steps, linear, save_graph, save_steps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the one place that knows how to start Chromium


def sigmoid_neuron() -> Value:
    """The loss L of one sigmoid neuron, labelled as learners write it."""
    x1, x2 = Value(1.0, "x1"), Value(2.0, "x2")
    w1, w2, b = Parameter(0.5, "w1"), Parameter(-0.25, "w2"), Parameter(0.0, "b")
    u = linear([w1, w2], [x1, x2], b)
    u.label = "u"
    y_hat = u.sigmoid()
    y_hat.label = "ŷ"
    error = Value(1.0, "y") - y_hat
    error.label = "e"
    squared = error**2
    squared.label = "e²"
    loss = 0.5 * squared
    loss.label = "L"
    return loss


def one_sample_network(sizes: list[int], activation: str, output_activation: str | None) -> Value:
    """``nn.MLP(2, sizes)`` on the sample x = (1, -1) with target 1, after backward."""
    model = nn.MLP(2, sizes, activation=activation, output_activation=output_activation, seed=3)
    loss = nn.half_sse(model([1.0, -1.0]), 1.0)
    loss.backward()
    return loss


def player_screenshot(out: Path) -> Path:
    """The saved player of :func:`sigmoid_neuron`, in Chromium, at the step of u."""
    import browser
    from selenium.webdriver.common.by import By

    steps = [step.name for step in backward_steps(sigmoid_neuron())]
    with tempfile.TemporaryDirectory() as folder, browser.chromium(1100, 900) as driver:
        page = save_steps(sigmoid_neuron(), Path(folder) / "steps.html")
        driver.get(page.as_uri())
        player = driver.find_element(By.CSS_SELECTOR, ".chaingrad-player")
        for _ in range(steps.index("u")):
            player.find_element(By.CSS_SELECTOR, ".cgp-next").click()
        driver.execute_script("document.activeElement.blur()")
        return browser.screenshot_of(driver, player, out / "player.png")


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="folder for the images")
    parser.add_argument("--no-browser", action="store_true", help="skip player.png (needs Chromium)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    loss = sigmoid_neuron()
    loss.backward()
    written = [save_graph(loss, args.out / "graph.svg")]
    loss = sigmoid_neuron()
    step = next(s for s in backward_steps(loss) if s.name == "u")
    written.append(save_graph(step, args.out / "step.svg"))
    small = one_sample_network([2, 1], "sigmoid", "sigmoid")
    written.append(save_graph(small, args.out / "neurons.png", view="neurons"))
    large = one_sample_network([16, 16, 1], "tanh", None)
    written.append(save_graph(large, args.out / "neurons_mlp.svg", view="neurons"))
    if not args.no_browser:
        import browser

        reason = browser.why_not_available()
        if reason is None:
            written.append(player_screenshot(args.out))
        else:
            print(f"skipped player.png: {reason}")
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return written


if __name__ == "__main__":
    main()
