"""The shell without a browser: the organisation's rate limit applies to pages too."""

from __future__ import annotations

import httpx
import pytest

from app.api.rate_limit import RateLimiter
from app.settings import RateLimitSettings
from tests.web.conftest import Site, WebServer


def test_pages_charge_the_organisations_read_bucket(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one backend: the limiter keeps no state in the database
    def make() -> httpx.Client:
        return httpx.Client(base_url=web.url)

    site = Site("sqlite", web.url, web.app, web.keys, web.other_org_key, make)
    client = site.signed_in("reader")
    limits = RateLimitSettings(enabled=True, read_per_minute=1, read_burst=2)
    monkeypatch.setattr(web.app.state, "rate_limiter", RateLimiter(limits))
    assert client.get("/frameworks").status_code == 200
    assert client.get("/frameworks").status_code == 200
    refused = client.get("/frameworks")
    assert refused.status_code == 429
    assert "Too many requests" in refused.text
    # another organisation has its own bucket
    assert site.signed_in("other").get("/frameworks").status_code == 200
    for opened in site.clients.values():
        opened.close()


def test_revoking_the_key_ends_its_sessions(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from app.core.identity import Role
    from app.services import identity
    from app.web import sessions

    with web.app.state.sessionmaker() as db:
        issued = identity.create_key(
            db, "default", name="Short-lived", roles=frozenset({Role.READER})
        )
        db.commit()
    site = Site(
        "sqlite",
        web.url,
        web.app,
        {"temp": issued.secret},
        "",
        lambda: httpx.Client(base_url=web.url),
    )
    client = site.signed_in("temp")
    assert client.get("/frameworks").status_code == 200
    with web.app.state.sessionmaker() as db:
        identity.revoke_key(db, "default", issued.info.prefix)
        db.commit()
    monkeypatch.setattr(sessions, "RECHECK_AFTER", dt.timedelta(0))
    answer = client.get("/frameworks", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/frameworks"
    client.close()
