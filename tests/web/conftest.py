"""Browser tests of the workspace: one real server and one Chromium for the whole session.

* ``web`` (session): the real service (``create_app``) served by uvicorn on a free port in a
  thread, on a fresh SQLite database migrated and loaded with the real reference data at start;
  API keys for each role of the ``default`` organisation (and an admin of ``other-centre``)
  made through the identity service. ``web.url``, ``web.keys[role]``, ``web.app``.
* ``browser`` (session): Debian's ``/usr/bin/chromium`` driven by Playwright (never a
  downloaded browser). Skips with a reason only when Chromium is absent (``make test`` installs
  it, as root).
* ``web_site`` (session, SQLite and PostgreSQL): the pages without a browser, for tests of
  roles, CSRF and organisations on both databases; ``web_site.signed_in(role)`` is an HTTP
  client with a session cookie (on SQLite, the ``web`` server itself, so no second start-up).
* ``page_for(role, phone=False)``: a fresh page signed in as ``role`` (the first time through
  the sign-in page, then from the saved cookie); ``page`` is ``page_for("evaluator")``;
  ``anonymous_page`` is signed in as nobody.

Every test in tests/web runs in one xdist group, so the server and the browser start once.
Helpers: ``tests/web/browser.py`` (``sign_in``, ``audit``, ``screenshot``, ``check_page``).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.settings import RecordSettings
from tests.conftest import make_settings

CHROMIUM = Path("/usr/bin/chromium")
ORG = "default"
OTHER_ORG = "other-centre"
#: role → (key name shown in the header, roles)
PEOPLE: dict[str, tuple[str, list[str]]] = {
    "admin": ("Ada Admin", ["admin"]),
    "evaluator": ("Eva Evaluator", ["evaluator"]),
    "reviewer": ("Rob Reviewer", ["reviewer"]),
    "reader": ("Rea Reader", ["reader"]),
}
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("web"))


@dataclass
class WebServer:
    url: str
    app: Any
    keys: dict[str, str]
    other_org_key: str
    states: dict[str, Any] = field(default_factory=dict)  # role → Playwright storage state


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    import uvicorn

    from app.api.main import create_app
    from app.core.identity import Role
    from app.services import identity

    tmp = tmp_path_factory.mktemp("web")
    settings = make_settings(
        f"sqlite:///{tmp / 'passerelle.db'}",
        records=RecordSettings(
            signing_key=tmp / "keys" / "records-ed25519.pem",
            checkpoints_file=tmp / "checkpoints" / "records.jsonl",
        ),
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the workspace server did not start")
        time.sleep(0.05)
    keys: dict[str, str] = {}
    with app.state.sessionmaker() as session:
        for role, (name, roles) in PEOPLE.items():
            issued = identity.create_key(
                session, ORG, name=name, roles=frozenset(Role(r) for r in roles)
            )
            keys[role] = issued.secret
        other = identity.bootstrap(session, OTHER_ORG, name="Other Centre", key_name="Otto Other")
        assert other is not None
        session.commit()
    try:
        yield WebServer(f"http://127.0.0.1:{port}", app, keys, other.secret)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "no /usr/bin/chromium: `make test` installs Debian's chromium (as root); "
            "or run `apt-get install -y chromium chromium-driver`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


PageFor = Callable[..., Any]


@pytest.fixture
def page_for(web: WebServer, browser: Any) -> Iterator[PageFor]:
    """``page_for(role, phone=False)``: a new page signed in as ``role`` (a key in ``web.keys``,
    or ``"other"`` for the admin of another organisation)."""
    from tests.web.browser import sign_in

    contexts: list[Any] = []

    def make(role: str | None = "evaluator", *, phone: bool = False) -> Any:
        # bypass_csp: the audit injects axe-core, which the pages' CSP would refuse
        options: dict[str, Any] = {
            "viewport": PHONE if phone else LAPTOP,
            "bypass_csp": True,
            "locale": "en-GB",
        }
        if role is not None and role in web.states:
            options["storage_state"] = web.states[role]
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if role is not None and role not in web.states:
            key = web.other_org_key if role == "other" else web.keys[role]
            sign_in(page, web.url, key)
            web.states[role] = context.storage_state()
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_for: PageFor) -> Any:
    return page_for("evaluator")


@pytest.fixture
def anonymous_page(page_for: PageFor) -> Any:
    return page_for(None)


# --- pages without a browser, on both databases ----------------------------------------------


@dataclass
class Site:
    """The workspace on one database: ``signed_in(role)`` is an HTTP client holding a session
    cookie, signed in through the sign-in form (``"other"``: the admin of another organisation;
    ``None``: anonymous)."""

    backend: str
    base_url: str
    app: Any
    keys: dict[str, str]
    other_key: str
    make_client: Callable[[], Any]
    clients: dict[str | None, Any] = field(default_factory=dict)

    def signed_in(self, role: str | None) -> Any:
        if role not in self.clients:
            client = self.make_client()
            if role is not None:
                form = client.get("/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                key = self.other_key if role == "other" else self.keys[role]
                answer = client.post(
                    "/sign-in",
                    data={"csrf_token": token.group(1), "api_key": key, "next": "/"},
                    follow_redirects=False,
                )
                assert answer.status_code == 303, answer.text
            self.clients[role] = client
        return self.clients[role]


def csrf_of(html: str) -> str:
    """The CSRF token of a page's forms."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None, "no CSRF field on the page"
    return token.group(1)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def web_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The workspace on SQLite (the browser tests' running server, over real HTTP) and on
    PostgreSQL (an app of its own behind a TestClient), with the same people as ``web``."""
    import httpx

    if request.param == "sqlite":
        server: WebServer = request.getfixturevalue("web")
        clients: list[httpx.Client] = []

        def make_http() -> httpx.Client:
            client = httpx.Client(base_url=server.url, timeout=60)
            clients.append(client)
            return client

        yield Site("sqlite", server.url, server.app, server.keys, server.other_org_key, make_http)
        for client in clients:
            client.close()
        return

    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from app.core.identity import Role
    from app.services import identity
    from tests.conftest import _backend_url

    tmp = tmp_path_factory.mktemp("web-pg")
    settings = make_settings(
        _backend_url("postgres", tmp_path_factory, "webpages"),
        records=RecordSettings(
            signing_key=tmp / "keys" / "records-ed25519.pem",
            checkpoints_file=tmp / "checkpoints" / "records.jsonl",
        ),
    )
    app = create_app(settings)
    with TestClient(app) as started:
        keys: dict[str, str] = {}
        with app.state.sessionmaker() as session:
            for role, (name, roles) in PEOPLE.items():
                issued = identity.create_key(
                    session, ORG, name=name, roles=frozenset(Role(r) for r in roles)
                )
                keys[role] = issued.secret
            other = identity.bootstrap(session, OTHER_ORG, name="Other Centre", key_name="Otto")
            assert other is not None
            session.commit()

        def make_test_client() -> TestClient:
            return TestClient(app, base_url=str(started.base_url))

        yield Site("postgres", str(started.base_url), app, keys, other.secret, make_test_client)


@pytest.fixture(autouse=True)
def _no_process_organisation(_default_organisation: None) -> None:
    """As in tests/api: no process-wide organisation, so a page that forgot to bind the
    officer's organisation to its database session fails here instead of acting for
    "default" (tests/conftest.py sets one for the other test folders)."""
    from app.adapters.db.tenancy import set_process_organisation

    set_process_organisation(None)
