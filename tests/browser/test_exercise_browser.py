"""The exercise widget (``vmapviz.exercise``) in a real JupyterLab 4 and Notebook 7.

Runs ``exercise.ipynb`` (an exercise on the tutorial's ``'ignore'`` policy call, and
one on which key a lane draws from), then answers as a student would: types a shape
(the notebook's shortcuts must not eat the keys) and checks it with Enter (right),
ticks a State and presses Check (wrong: the explanation cites the axes record), walks
a question by Tab and picks a key with the arrow keys, reveals the call (the Inspector
appears and reacts), and runs it for real. The kernel sees the answers. Screenshots go
to ``tests/artifacts/{app}_exercise_*.png``.

Needs ``/usr/bin/chromium`` and the ``playwright`` package; skips, saying which is
missing, otherwise.
"""

from __future__ import annotations

import pytest
from _lab import APPS, ARTIFACTS, HERE, STEP_MS, WIDGET_S, browser_page, open_and_run_all, serve

pytestmark = pytest.mark.browser

NOTEBOOK = HERE / "exercise.ipynb"

#: The focused element's class and outline style, read in the page.
FOCUS = ("() => { const e = document.activeElement; return [e.className, "
         "getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]; }")


@pytest.fixture(params=sorted(APPS))
def server(request, tmp_path):
    """The exercise notebook in JupyterLab 4, then in Notebook 7."""
    with serve(request.param, tmp_path, NOTEBOOK) as running:
        yield running


def _shot(locator, app: str, name: str) -> None:
    locator.screenshot(path=str(ARTIFACTS / f"{app}_exercise_{name}.png"))


def test_exercise_checks_answers_then_reveals_the_call(server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    app, url, base, token = server
    with browser_page(1300, 1000, STEP_MS) as (page, expect):
        open_and_run_all(page, url, base, token)
        quiz = page.locator(".vmapviz-exercise").first
        try:
            quiz.wait_for(state="visible", timeout=WIDGET_S)
        except PlaywrightTimeout:
            page.screenshot(path=str(ARTIFACTS / f"{app}_exercise_failure.png"))
            outputs = page.locator(".jp-OutputArea").all_inner_texts()
            pytest.fail(f"no exercise after {WIDGET_S // 1000} s; cell outputs: {outputs}")
        expect(quiz.locator(".vmapviz-ex-call")).to_have_text("vmap2 of update_temp2 over 3 lanes")
        expect(quiz.locator(".vmapviz-ex-question")).to_have_count(5)
        expect(quiz.locator(".vmapviz-ex-verdict:visible")).to_have_count(0)
        _shot(quiz, app, "questions")

        _typed_right_by_enter(page, expect, quiz)
        _ticked_wrong_by_click(expect, quiz)
        _tab_order_and_focus_ring(page, expect, quiz)
        expect(quiz.locator(".vmapviz-ex-progress")).to_have_text("3 of 5 checked, 2 right")
        _shot(quiz, app, "checked")

        inspector = _reveal(expect, app, page, quiz)
        _run_for_real(expect, quiz, inspector)
        _lane_key_by_keyboard(page, expect, app, page.locator(".vmapviz-exercise").nth(1))

        # The kernel has the answers the browser sent, and the reveal and the run.
        page.locator(".jp-Cell").last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        expect(page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")).to_contain_text(
            "answers=['batched_states', 'output_shape:output 0', 'retraces'] revealed=True "
            "ran=True entries=2")


def _typed_right_by_enter(page, expect, quiz):
    """Type a shape key by key (no notebook shortcut may eat them), see how it reads,
    press Enter: right."""
    q = quiz.locator(".vmapviz-ex-question[data-id='output_shape:output 0']")
    field = q.locator("input.vmapviz-ex-text")
    field.click()
    page.keyboard.type("f32[3]")
    expect(field).to_have_value("f32[3]")
    expect(q.locator(".vmapviz-ex-reads")).to_have_text("reads as (3,)")
    page.keyboard.press("Enter")
    expect(q).to_have_attribute("data-state", "right")
    expect(q.locator(".vmapviz-ex-verdict")).to_contain_text(
        "Right. output 0 is f32[3]: each lane computes f32[], and the 3 lanes are stacked on "
        "axis 0")


def _ticked_wrong_by_click(expect, quiz):
    """Tick a State that is not batched and press Check: wrong, and why."""
    q = quiz.locator(".vmapviz-ex-question[data-id='batched_states']")
    q.locator("label.vmapviz-ex-choice", has_text="temp_state2").click()
    q.locator("button.vmapviz-ex-check").click()
    expect(q).to_have_attribute("data-state", "wrong")
    verdict = q.locator(".vmapviz-ex-verdict")
    expect(verdict).to_contain_text("\u2717 Not quite.")
    expect(verdict).to_contain_text("temp_state2 is not batched: no state_in_axes filter matched: "
                                    "shared by every lane (axes record).")


def _tab_order_and_focus_ring(page, expect, quiz):
    """From the typed field, Tab reaches its Check button, then the next question's
    radio buttons; the focused control has a visible ring. Arrows pick, Enter checks."""
    q = quiz.locator(".vmapviz-ex-question[data-id='state_shape_after:temp_state2']")
    q.locator("input.vmapviz-ex-text").focus()
    page.keyboard.press("Tab")
    cls, style, width = page.evaluate(FOCUS)
    assert "vmapviz-ex-check" in cls and style == "solid" and width == "2px", (cls, style, width)
    retraces = quiz.locator(".vmapviz-ex-question[data-id='retraces']")
    # Tab on through the write_state2 question to the radio group of the last one
    for _ in range(3):
        page.keyboard.press("Tab")
    cls, style, _ = page.evaluate(FOCUS)
    assert "vmapviz-ex-input" in cls and style == "solid", (cls, style)
    radios = retraces.locator("input[type=radio]")
    expect(radios.first).to_be_focused()
    page.keyboard.press("Enter")  # nothing picked yet: says so, checks nothing
    expect(retraces.locator(".vmapviz-ex-verdict")).to_have_text("Pick one first.")
    page.keyboard.press("ArrowDown")
    expect(radios.nth(1)).to_be_checked()  # "no"
    page.keyboard.press("ArrowUp")
    expect(radios.nth(0)).to_be_checked()  # "yes": the first call retraces
    page.keyboard.press("Enter")
    expect(retraces).to_have_attribute("data-state", "right")
    expect(retraces.locator(".vmapviz-ex-verdict")).to_contain_text(
        "It retraces: it is the first call, nothing is cached yet (cache record).")


def _reveal(expect, app, page, quiz):
    """Show the call: the Inspector of the dry run appears below, and reacts."""
    expect(quiz.locator("button.vmapviz-ex-run")).to_be_hidden()
    quiz.locator("button.vmapviz-ex-reveal").click()
    inspector = page.locator(".vmapviz-widget.vmapviz-inspector").first
    expect(inspector).to_be_visible()
    expect(inspector.locator(".vmapviz-title")).to_have_text("vmap2 of update_temp2 over 3 lanes")
    expect(quiz.locator("button.vmapviz-ex-reveal")).to_be_disabled()
    expect(quiz.locator("button.vmapviz-ex-reveal")).to_have_text("The call is shown below.")
    expect(inspector.locator(".vmapviz-states tbody tr", has_text="temp_state2").first).to_be_visible()
    inspector.locator("button.vmapviz-tab[data-tab='axes']").click()
    expect(inspector.locator(".vmapviz-axes")).to_be_visible()
    inspector.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{app}_exercise_revealed.png"))
    return inspector


def _run_for_real(expect, quiz, inspector):
    """The explicit real call: its report becomes the Inspector's second entry."""
    run = quiz.locator("button.vmapviz-ex-run")
    expect(run).to_be_visible()
    expect(run).to_have_text("Run it for real (changes States)")
    run.click()
    expect(quiz.locator(".vmapviz-ex-status")).to_contain_text("Ran the call for real")
    expect(run).to_be_disabled()
    expect(inspector.locator("select.vmapviz-entry option")).to_have_count(2)


def _lane_key_by_keyboard(page, expect, app, quiz):
    """Which key lane 2 draws from, by keyboard only: the arrows walk the keys, Enter
    checks; key 2 is wrong, key 3 right."""
    quiz.scroll_into_view_if_needed()
    q = quiz.locator(".vmapviz-ex-question[data-kind='lane_key']")
    expect(q.locator(".vmapviz-ex-prompt")).to_contain_text("Which key does lane 2 draw from?")
    radios = q.locator("input[type=radio]")
    expect(radios).to_have_count(5)
    radios.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(radios.nth(2)).to_be_checked()
    page.keyboard.press("Enter")
    expect(q).to_have_attribute("data-state", "wrong")
    expect(q.locator(".vmapviz-ex-verdict")).to_contain_text(
        "Not quite (you answered key 2). Lane 2 draws from key 3: [")
    _shot(quiz, app, "lane_key_wrong")
    page.keyboard.press("ArrowDown")
    expect(radios.nth(3)).to_be_checked()
    page.keyboard.press("Enter")
    expect(q).to_have_attribute("data-state", "right")
    expect(q.locator(".vmapviz-ex-verdict")).to_contain_text("the State keeps key 0 (keys record)")
    page.keyboard.press("Tab")
    expect(q.locator("button.vmapviz-ex-check")).to_be_focused()
    _shot(quiz, app, "lane_key_right")
