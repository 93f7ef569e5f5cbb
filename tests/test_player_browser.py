"""The step player and notebook drawings in a real browser: headless Chromium, driven by Selenium.

Each test opens what a learner opens (a file saved by ``save_steps``, a page
holding several players, an executed notebook exported by nbconvert) and uses
it the way a learner does: the buttons, the slider, the arrow keys, Play, a
click on a drawing. Skipped, with the reason, where Chromium, chromedriver or
Selenium is missing; CI installs all three (.ci/run).
"""

from __future__ import annotations

import os
from pathlib import Path

import browser
import pytest
from test_player import expression

import nn
from autograd import Parameter, Value, backward_steps, save_steps, step_through

REASON = browser.why_not_available()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.browser]

if REASON is None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chrome():
    with browser.chromium() as driver:
        yield driver


def unlabelled() -> Value:
    return (Value(2.0) * Value(3.0) + Value(1.0)).tanh()


def network() -> Value:
    model = nn.MLP(2, [3, 3, 1], activation="tanh", seed=4)
    return nn.half_sse(model([0.5, -1.5]), 1.0)


def markup_labels() -> Value:
    a = Value(1.5, "</script><script>window.pwned=1</script>")
    b = Parameter(-2.0, 'b & "c" <d>')
    c = a * b
    c.label = "<!-- c -->"
    out = (c + a).tanh()
    out.label = "it's <i>out</i>"
    return out


class Player:
    """One player on the page, read and used through its own elements."""

    def __init__(self, driver, element) -> None:
        self.driver = driver
        self.element = element

    def part(self, name: str):
        return self.element.find_element(By.CSS_SELECTOR, f".cgp-{name}")

    @property
    def counter(self) -> str:
        return self.part("counter").text

    @property
    def text(self) -> str:
        shown = self.element.find_element(By.CSS_SELECTOR, ".cgp-stage .cgp-text")
        assert shown.is_displayed() and shown.text.strip()
        return shown.get_attribute("textContent")

    @property
    def picture(self) -> str:
        return self.element.find_element(By.CSS_SELECTOR, ".cgp-stage .cgp-picture").get_attribute(
            "innerHTML"
        )

    def click(self, name: str) -> None:
        self.part(name).click()

    def keys(self, *keys: str) -> None:
        self.driver.execute_script("arguments[0].focus()", self.element)
        for key in keys:
            self.driver.switch_to.active_element.send_keys(key)

    def slide_to(self, k: int) -> None:
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
            self.part("slider"),
            str(k),
        )

    def fits(self) -> tuple[float, float]:
        """The drawing's width on screen and the width it has to fit in."""
        return self.driver.execute_script(
            "var s = arguments[0].querySelector('.cgp-stage svg');"
            "return [s.getBoundingClientRect().width, arguments[0].getBoundingClientRect().width];",
            self.element,
        )


def players(driver) -> list[Player]:
    return [Player(driver, e) for e in driver.find_elements(By.CSS_SELECTOR, ".chaingrad-player")]


def errors(driver) -> list[str]:
    """The page's errors, less failed downloads: nbconvert's page asks a CDN for
    MathJax and require.js, which a machine without network cannot reach."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "net::ERR_" not in entry["message"]
    ]


def open_page(driver, path: Path) -> None:
    driver.set_window_size(1280, 900)
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('.chaingrad-player:not([data-ready])').length === 0"
        )
    )


# -- a saved player -------------------------------------------------------------------------


def test_next_previous_arrows_and_the_slider_step_through_a_saved_file(chrome, tmp_path):
    steps = [str(s) for s in backward_steps(expression())]
    n = len(steps)
    open_page(chrome, save_steps(expression(), tmp_path / "steps.html"))
    (player,) = players(chrome)
    assert player.counter == f"step 1/{n}" and player.text == steps[0]
    assert not player.part("previous").is_enabled() and player.part("next").is_enabled()
    first_picture = player.picture

    player.click("next")
    assert player.counter == f"step 2/{n}" and player.text == steps[1]
    assert player.picture != first_picture and "<svg" in player.picture
    player.click("next")
    assert player.counter == f"step 3/{n}" and player.text == steps[2]
    player.click("previous")
    player.click("previous")
    assert player.counter == f"step 1/{n}" and player.text == steps[0] and player.picture == first_picture

    player.keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert player.counter == f"step 3/{n}" and player.text == steps[2]
    player.keys(Keys.ARROW_LEFT)
    assert player.counter == f"step 2/{n}" and player.text == steps[1]
    player.keys(Keys.END)
    assert player.counter == f"step {n}/{n}" and player.text == steps[-1]
    assert not player.part("next").is_enabled()
    player.keys(Keys.ARROW_RIGHT)  # nothing after the last step
    assert player.counter == f"step {n}/{n}"
    player.keys(Keys.HOME)
    assert player.counter == f"step 1/{n}"

    player.slide_to(4)
    assert player.counter == f"step 4/{n}" and player.text == steps[3]
    assert chrome.execute_script("return arguments[0].value", player.part("slider")) == "4"
    assert errors(chrome) == []


def test_the_arrow_keys_work_as_the_page_opens(chrome, tmp_path):
    open_page(chrome, save_steps(expression(), tmp_path / "steps.html"))
    (player,) = players(chrome)
    chrome.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)  # no click first: the player has focus
    assert player.counter.startswith("step 2/")


def test_play_reaches_the_last_step(chrome, tmp_path):
    steps = [str(s) for s in backward_steps(network())]
    open_page(chrome, save_steps(network(), tmp_path / "steps.html", delay=0.02))
    (player,) = players(chrome)
    player.click("play")
    WebDriverWait(chrome, 30).until(lambda d: player.counter == f"step {len(steps)}/{len(steps)}")
    assert player.text == steps[-1]
    WebDriverWait(chrome, 5).until(lambda d: player.part("play").text == "Play")
    player.click("play")  # at the end, Play starts again from the first step
    WebDriverWait(chrome, 30).until(lambda d: player.counter == f"step {len(steps)}/{len(steps)}")


def test_pause_stops_where_it_is(chrome, tmp_path):
    open_page(chrome, save_steps(network(), tmp_path / "steps.html", delay=0.5))
    (player,) = players(chrome)
    start = player.counter
    player.click("play")
    assert player.part("play").text == "Pause"
    WebDriverWait(chrome, 10).until(lambda d: player.counter != start)
    player.click("play")
    stopped = player.counter
    chrome.execute_script("return new Promise(r => setTimeout(r, 1200))")
    assert player.counter == stopped and player.part("play").text == "Play"


@pytest.mark.parametrize(
    "make", [unlabelled, network, markup_labels], ids=["unlabelled", "mlp-2-3-3-1", "markup"]
)
def test_every_step_shows_its_own_text_and_picture(chrome, tmp_path, make):
    steps = [str(s) for s in backward_steps(make())]
    open_page(chrome, save_steps(make(), tmp_path / "steps.html"))
    (player,) = players(chrome)
    pictures = []
    for k, expected in enumerate(steps, start=1):
        assert player.counter == f"step {k}/{len(steps)}"
        assert player.text == expected
        pictures.append(player.picture)
        if k < len(steps):
            player.click("next")
    assert len(set(pictures)) == len(steps)
    shown, room = player.fits()
    assert shown <= room + 1  # the whole drawing is in view
    assert chrome.execute_script("return window.pwned") is None
    assert errors(chrome) == []


def test_a_click_on_the_picture_toggles_full_size(chrome, tmp_path):
    open_page(chrome, save_steps(network(), tmp_path / "steps.html"))
    chrome.set_window_size(800, 900)
    (player,) = players(chrome)
    fitted, room = player.fits()
    assert fitted <= room + 1
    player.element.find_element(By.CSS_SELECTOR, ".cgp-stage .cgp-picture svg").click()
    full, _ = player.fits()
    assert full > room
    assert player.counter == f"step 1/{len(list(backward_steps(network())))}"  # zoom does not step
    player.click("next")
    assert player.fits()[0] == pytest.approx(full)  # the next frame keeps the zoom
    player.element.find_element(By.CSS_SELECTOR, ".cgp-stage .cgp-picture svg").click()
    assert player.fits()[0] <= room + 1


def test_two_players_on_one_page_act_independently(chrome, tmp_path):
    first, second = step_through(expression()), step_through(unlabelled())
    page = tmp_path / "two.html"
    page.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{first.html()}<hr>'
        f"{second.html()}{first.html()}</body></html>",
        encoding="utf-8",
    )
    open_page(chrome, page)
    a, b, a_again = players(chrome)
    a.click("next")
    assert (a.counter, b.counter, a_again.counter) == ("step 2/5", f"step 1/{len(second)}", "step 1/5")
    b.keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert (a.counter, b.counter, a_again.counter) == ("step 2/5", f"step 3/{len(second)}", "step 1/5")
    assert b.text == second.texts[2] and a.text == first.texts[1]
    a_again.click("play")
    WebDriverWait(chrome, 30).until(lambda d: a_again.counter == "step 5/5")
    assert a.counter == "step 2/5" and b.counter == f"step 3/{len(second)}"
    assert errors(chrome) == []


# -- the notebook form ---------------------------------------------------------------------------

NOTEBOOK_CELLS = [
    "import autograd as ag\nimport nn\nfrom autograd import Value",
    'x, y = Value(2.0, "x"), Value(-0.5, "y")\nq = x * y; q.label = "q"\nr = q + x; r.label = "r"\n'
    'f = r.sigmoid(); f.label = "f"\nag.step_through(f, delay=0.05)',
    "ag.zero_grad([x, y])\nag.step_through(f, delay=0.05)",
    "model = nn.MLP(2, [16, 16, 1], seed=0)\nloss = nn.half_sse(model([1.0, -1.0]), 1.0)\nloss.backward()\n"
    'ag.draw(loss, view="neurons")',
    "small = nn.half_sse(nn.MLP(2, [4, 1], seed=0)([1.0, -1.0]), 1.0)\nsmall.backward()\nag.draw(small)",
]


def executed_notebook_html(tmp_path: Path, monkeypatch) -> Path:
    """The notebook above, run in a fresh kernel and exported the way nbconvert exports it."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO) if not path else f"{REPO}{os.pathsep}{path}")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    body, _ = HTMLExporter().from_notebook_node(notebook)
    exported = tmp_path / "notebook.html"
    exported.write_text(body, encoding="utf-8")
    return exported


def test_an_exported_notebook_holds_working_players_and_drawings_that_fit(chrome, tmp_path, monkeypatch):
    exported = executed_notebook_html(tmp_path, monkeypatch)
    open_page(chrome, exported)
    chrome.set_window_size(1100, 900)
    expected = step_through(expression())
    first, second = players(chrome)
    assert first.counter == "step 1/5" and first.text == expected.texts[0]
    first.click("next")
    assert first.counter == "step 2/5" and first.text == expected.texts[1]
    assert second.counter == "step 1/5"  # the second player of the page did not move
    first.keys(Keys.END)
    assert first.text == expected.texts[-1]
    second.click("play")
    WebDriverWait(chrome, 30).until(lambda d: second.counter == "step 5/5")
    assert second.text == expected.texts[-1]

    drawings = chrome.find_elements(By.CSS_SELECTOR, ".chaingrad-drawing svg")
    assert len(drawings) == 2
    for svg in drawings:
        width, room = chrome.execute_script(
            "var s = arguments[0], box = s.closest('.jp-OutputArea-output') || s.parentElement;"
            "return [s.getBoundingClientRect().right, box.getBoundingClientRect().right]",
            svg,
        )
        assert width <= room + 1  # no part of the graph is cut off
    natural = float(drawings[0].get_attribute("width").removesuffix("pt")) * 4 / 3
    before = drawings[0].rect["width"]
    assert before < natural  # scaled down to the cell
    drawings[0].click()
    assert drawings[0].rect["width"] == pytest.approx(natural, rel=0.02)
    assert errors(chrome) == []


def test_the_readme_script_photographs_the_player(tmp_path):
    import importlib.util

    from PIL import Image

    spec = importlib.util.spec_from_file_location(
        "make_readme_images", REPO / "scripts" / "make_readme_images.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.main(["--out", str(tmp_path)])
    assert tmp_path / "player.png" in written
    with Image.open(tmp_path / "player.png") as picture:
        width, height = picture.size
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert width >= 800 and 250 <= height <= 900  # the whole player: controls, text and drawing
    assert any(rgb == (220, 38, 38) for _, rgb in colours)  # the highlighted step, in red
