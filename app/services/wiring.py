"""Build services that depend on several start-up products (registry, engines, policies)."""

from __future__ import annotations

from typing import Any

from app.services.catalogue import CatalogueService
from app.services.credentials import CredentialService
from app.services.recognition import Aligner, CachedEmbedder, RecognitionService
from app.services.registry import Registry


def aligner_from_state(state: Any) -> Aligner:
    """Use the outcome engine's model (cached per text) when there is one; else lexical only."""
    engine = getattr(state, "outcomes", None)
    if engine is None or getattr(engine, "embedder", None) is None:
        return Aligner.lexical()
    embedder = CachedEmbedder(engine.embedder)
    return Aligner(
        embedder=embedder,
        policy=engine.policy.alignment,
        model_id=embedder.model_id,
        model_version=embedder.model_version,
        run=engine.run_sync,
    )


def build_recognition_service(state: Any, registry: Registry) -> RecognitionService:
    from app.reference.recognition_policy import load_recognition_policy

    settings = state.settings
    policy, sha = load_recognition_policy(settings.mappings_dir / "policies" / "recognition.yaml")
    return RecognitionService(
        registry=registry,
        credit_systems=state.credit_systems,
        policy=policy,
        policy_sha256=sha,
        credentials=CredentialService.from_settings(registry, settings),
        catalogue=CatalogueService(registry),
        aligner=aligner_from_state(state),
    )
