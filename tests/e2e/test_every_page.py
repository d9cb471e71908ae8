"""Every main page on a phone (390 and 320 px wide: the document is exactly as wide as the
screen, and the menu button stays beside brand and logo) and through axe-core."""

import json

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

from tests.e2e.pages import make_pages
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settle(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")


def overflow(page) -> dict:
    return page.evaluate(
        """() => {
          const width = window.innerWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5 && e.offsetParent !== null)
            .slice(0, 5).map(e => `${e.tagName}.${e.className}`);
          return {document: document.documentElement.scrollWidth, viewport: width, wide};
        }"""
    )


def axe(page) -> list[dict]:
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("axe.run(document).then(r => r.violations)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:3]],
        }
        for v in result
    ]


@pytest.mark.parametrize(
    ("width", "check_layout", "run_axe"),
    [(1366, False, True), (390, True, True), (320, True, False)],
    ids=["1366-axe", "390-layout-axe", "320-layout"],
)
def test_every_main_page_fits_the_screen_and_axe_core_finds_nothing(
    new_page, alice, bob, charlie, password, width, check_layout, run_axe
):
    pages = make_pages(alice, bob, charlie)
    size = {"viewport": {"width": width, "height": 844 if width < 500 else 900}}
    if width < 500:
        size.update(is_mobile=True, has_touch=True)
    wide, violations = {}, {}

    def check(page, path: str) -> None:
        settle(page, path)
        if check_layout:
            found = overflow(page)
            if found["document"] != found["viewport"]:
                wide[path] = found
        if run_axe and (found_violations := axe(page)):
            violations[path] = found_violations

    anonymous = new_page("/accounts/login/", **size)
    for path in pages.anonymous:
        check(anonymous, path)
    page = new_page("/accounts/login/", **size)
    sign_in(page, alice, password)
    for path in pages.signed_in:
        check(page, path)
    assert wide == {}, json.dumps(wide, indent=1)
    assert violations == {}, json.dumps(violations, indent=1)
    if check_layout:
        # with the company logo, the menu button stays on the brand's row
        settle(page, "/")
        toggler = page.get_by_role("button", name="Toggle navigation").bounding_box()
        brand = page.get_by_role("link", name="UC Web").bounding_box()
        middle = toggler["y"] + toggler["height"] / 2
        assert abs(middle - (brand["y"] + brand["height"] / 2)) < 12


def test_the_skip_link_moves_focus_into_the_page(new_page, alice, password):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the page, not the top bar
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
