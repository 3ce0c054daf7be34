"""The workspace shell: sign-in, the layout, roles, CSRF, sign-out (in a real browser)."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from playwright.sync_api import expect

from tests.web.browser import check_page
from tests.web.conftest import PageFor, WebServer


def test_sign_in_page_refuses_a_wrong_key_with_a_linked_error(
    web: WebServer, anonymous_page: Any
) -> None:
    page = anonymous_page
    page.goto(f"{web.url}/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/$"))
    check_page(page, "sign-in", docs=True)
    page.get_by_label("API key").fill("psk_AAAAAAAA_" + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    field = page.get_by_label("API key")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    error_id = next(i for i in described.split() if i.endswith("-error"))
    expect(page.locator(f"#{error_id}")).to_contain_text("Unknown, revoked or expired")
    check_page(page, "sign-in-error")


def test_signed_in_home_shows_organisation_principal_and_allowed_journeys(
    web: WebServer, page_for: PageFor
) -> None:
    page = page_for("evaluator")
    page.goto(f"{web.url}/")
    header = page.locator("header")
    expect(header).to_contain_text("Eva Evaluator")
    expect(header).to_contain_text("evaluator")
    expect(header).to_contain_text("Default organisation")
    expect(page.get_by_role("main")).to_contain_text("Welcome, Eva Evaluator")
    # the skip link is the first thing a keyboard reaches, and it moves focus to main
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    check_page(page, "home", docs=True)


def test_home_on_a_phone_keeps_the_navigation_usable(web: WebServer, page_for: PageFor) -> None:
    page = page_for("evaluator", phone=True)
    page.goto(f"{web.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    check_page(page, "home-phone")


def test_a_post_without_the_csrf_token_is_refused(web: WebServer, page_for: PageFor) -> None:
    page = page_for("reader")
    page.goto(f"{web.url}/")
    answer = page.request.post(f"{web.url}/sign-out", form={"csrf_token": "forged"})
    assert answer.status == 403
    assert "form has expired" in answer.text()
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # still signed in


def test_sign_out_ends_the_session(web: WebServer, browser: Any) -> None:
    from tests.web.browser import sign_in

    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        sign_in(page, web.url, web.keys["reviewer"])
        cookie = next(c for c in context.cookies() if c["name"] == "passerelle_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You are signed out")
        # the old cookie, put back, no longer opens a page
        context.add_cookies([cookie])
        answer = context.request.get(f"{web.url}/", max_redirects=0)
        assert answer.status == 303
        assert answer.headers["location"].startswith("/sign-in")
    finally:
        context.close()


def test_sign_in_goes_back_only_to_local_pages(web: WebServer, anonymous_page: Any) -> None:
    page = anonymous_page
    page.goto(f"{web.url}/sign-in?next=" + urllib.parse.quote("//evil.example/"))
    page.get_by_label("API key").fill(web.keys["reader"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{web.url}/")


def test_pages_run_under_their_own_content_security_policy(web: WebServer, browser: Any) -> None:
    """The other tests bypass the CSP to inject axe-core; here it is enforced: no page loads
    an inline script or style the policy refuses, and htmx still works."""
    from tests.web.browser import sign_in

    context = browser.new_context()  # CSP enforced
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        sign_in(page, web.url, web.keys["reader"])
        for path in [
            "/",
            "/compare?from_fw=IE-NFQ&level=8&to_fw=EQF",
            "/compare/matrix?fw=IE-NFQ&fw=DE-DQR",
            "/frameworks/IE-NFQ",
            "/catalogue",
            "/cases",
            "/transfer",
            "/pathways",
        ]:
            page.goto(web.url + path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(f"{web.url}/compare")
        page.get_by_label("Framework", exact=True).select_option("DE-DQR")
        expect(page.get_by_label("Level", exact=True).locator("option")).to_have_count(9)
    finally:
        context.close()
    assert refused == []
