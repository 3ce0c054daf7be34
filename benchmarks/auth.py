"""What authentication costs per request (issue 12).

Prints, on SQLite: the API key look-up (SHA-256 of the key, one indexed query) and an OIDC token
check (RS256 signature with joserfc, then the claims) on their own; then ``GET /v1/compare``
through the whole app (TestClient, in process) anonymously, with an API key and with a bearer
JWT. The anonymous figure is the baseline the other two are read against: the difference is what
a caller pays for being identified.

    .venv/bin/python -m benchmarks.auth [--rounds 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def timed(name: str, rounds: int, fn: Callable[[], object]) -> None:
    for _ in range(min(100, rounds)):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    p50 = statistics.median(samples) * 1e6
    p99 = samples[int(len(samples) * 0.99) - 1] * 1e6
    print(f"{name:<52} p50 {p50:8.0f} µs  p99 {p99:8.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from app.adapters.db.identity_repository import IdentityRepository
    from app.adapters.db.session import session_scope
    from app.adapters.oidc import OidcVerifier
    from app.api.main import create_app
    from app.core.identity import Role
    from app.settings import EmbeddingSettings, Settings
    from benchmarks.machine import describe
    from tests import identity

    describe()
    root = Path(tempfile.mkdtemp(prefix="passerelle-auth-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{root / 'bench.db'}",
        embeddings=EmbeddingSettings(backend="none"),
        auth=identity.auth_settings(),
    )
    app = create_app(settings)
    with TestClient(app) as client:
        with session_scope(app.state.sessionmaker) as session:
            key, _ = IdentityRepository(session).create_key(
                "default", name="bench", roles=frozenset({Role.READER})
            )
        token = identity.token("reader")
        verifier = OidcVerifier(
            issuer=identity.ISSUER, audience=identity.AUDIENCE, jwks_file=identity.jwks_file()
        )

        def lookup() -> None:
            with app.state.sessionmaker() as session:
                assert IdentityRepository(session).principal_for_key(key.secret) is not None

        rounds = args.rounds
        timed("API key look-up (SHA-256 + one query)", rounds, lookup)
        timed("OIDC token check (RS256 + claims)", rounds, lambda: verifier.verify(token))
        url = "/v1/compare?source=IE-NFQ:8&target=DE-DQR"
        timed("GET /v1/compare, anonymous", rounds, lambda: client.get(url))
        timed(
            "GET /v1/compare, X-API-Key",
            rounds,
            lambda: client.get(url, headers={"X-API-Key": key.secret}),
        )
        timed(
            "GET /v1/compare, Authorization: Bearer <JWT>",
            rounds,
            lambda: client.get(url, headers={"Authorization": f"Bearer {token}"}),
        )


if __name__ == "__main__":
    main()
