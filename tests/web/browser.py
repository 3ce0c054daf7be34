"""Helpers of the browser tests (tests/web): sign in through the page, audit, screenshot.

* :func:`sign_in` — fill the sign-in form with an API key, as an officer would.
* :func:`audit` — inject the vendored axe-core and fail on any serious or critical WCAG 2.1
  A/AA violation, naming the rule and the elements.
* :func:`screenshot` — save ``build/screenshots/<name>.png`` (the viewport; ``full_page=True``
  for the whole page); with ``docs=True`` and
  ``PASSERELLE_DOCS_SCREENSHOTS=1`` also ``docs/screenshots/<name>.png`` (README pictures).
* :func:`check_page` — both, the usual last line of a test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from app.settings import PROJECT_ROOT

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
DOCS_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
DOCS_MAX_HEIGHT = 1600


def sign_in(page: Page, base_url: str, api_key: str, next_path: str = "/") -> None:
    page.goto(f"{base_url}/sign-in?next={next_path}")
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{next_path}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def audit(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on serious/critical violations; return all of them."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = result["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, (
        "axe-core WCAG 2.1 A/AA violations on "
        + page.url
        + ":\n"
        + json.dumps(
            [
                {
                    "rule": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"][:5]],
                }
                for v in blocking
            ],
            indent=1,
        )
    )
    return violations


def screenshot(page: Page, name: str, *, docs: bool = False, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    if docs and os.environ.get("PASSERELLE_DOCS_SCREENSHOTS") == "1":
        # README pictures: the top of the page (at most DOCS_MAX_HEIGHT px), to keep them small
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size or {"width": 1280, "height": 800}
        height = min(DOCS_MAX_HEIGHT, page.evaluate("() => document.documentElement.scrollHeight"))
        page.screenshot(
            path=str(DOCS_SCREENSHOTS / path.name),
            full_page=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": height},
            animations="disabled",
        )
    return path


def check_page(page: Page, name: str, *, docs: bool = False) -> list[dict[str, Any]]:
    """Audit the page as it is now, then screenshot it."""
    violations = audit(page)
    screenshot(page, name, docs=docs)
    return violations
