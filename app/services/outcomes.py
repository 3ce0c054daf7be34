"""The learning-outcome engine: ESCO skills, EQF level estimation and outcome alignment.

Built **once per process** (API start-up hook, CLI command, benchmark): it loads the ESCO
taxonomy and the policy file, picks the embedding backend from settings (``app.adapters
.embeddings.registry``), and loads the skill vectors from the on-disk cache (building them on a
miss). Every call then costs milliseconds.

Threading: the Rust tokenizer behind the models is not safe to share between threads (FastAPI's
``def`` thread pool produced "Already borrowed" under load, PERFORMANCE.md §6), and torch is
twice as slow when driven from a different thread per request. So all inference — encoding,
top-k, rescoring — runs on **one dedicated inference thread** (:meth:`OutcomeEngine.run`), which
``async def`` endpoints await; BLAS is pinned to one thread so it does not spin against the
inference engine's own threads.

With no model installed the engine runs lexical-only, and every response says so in
``warnings``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.core.alignment import Alignment, align_segmented
from app.core.level_estimation import Descriptor, LevelEstimate, LevelEstimator, TitleReference
from app.core.lexical import LabelIndex
from app.core.matching import OutcomeSkills, SkillMatcher
from app.core.outcome_policy import OutcomePolicy
from app.core.outcomes import segment
from app.core.ports import Embedder, VectorIndex
from app.core.release import Release
from app.core.taxonomy import Taxonomy, index_entries
from app.reference.esco import cached_esco
from app.reference.policies import load_policy, policy_hash
from app.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

INDEX_NAME = "esco-skills"
INDEX_FORMAT = "rows-v1"  # bump when index_entries() changes what a row holds
LEXICAL_MODEL_ID = "lexical-only"
MAX_OUTCOMES = 200
MAX_OUTCOME_CHARS = 5000
ENGLISH = frozenset({"en", "en-gb", "en-us", "eng"})


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    version: str


@dataclass(frozen=True, slots=True)
class SkillsResult:
    results: list[OutcomeSkills]
    model: ModelInfo
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class LevelResult:
    estimate: LevelEstimate
    model: ModelInfo
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class AlignResult:
    alignment: Alignment
    model: ModelInfo
    warnings: list[str]


def index_content_key(taxonomy: Taxonomy) -> str:
    """What determines the index texts: the ESCO content hash and the row format."""
    return f"{taxonomy.content_hash}:{INDEX_FORMAT}"


def build_index(
    embedder: Embedder,
    taxonomy: Taxonomy,
    vectors_dir: Path,
    *,
    progress: bool = False,
    build: bool = True,
) -> tuple[VectorIndex | None, bool]:
    """The skill index for ``embedder``: from the vector cache, else built (and cached).

    Returns the index (None when ``build`` is false and the cache misses) and whether it came
    from the cache.
    """
    from app.adapters.index import NumpyIndex, VectorCache

    cache = VectorCache(vectors_dir)
    texts = [e.text for e in index_entries(taxonomy.concepts)]
    key = index_content_key(taxonomy)
    if not build:
        matrix = cache.load(cache.entry(embedder, INDEX_NAME, key))
        if matrix is None or matrix.shape[0] != len(texts):
            return None, False
        return NumpyIndex(matrix), True
    matrix, cached = cache.get_or_build(
        embedder, texts, name=INDEX_NAME, content=key, progress=progress
    )
    return NumpyIndex(matrix), cached


def store_esco(factory: sessionmaker[Session], taxonomy: Taxonomy) -> bool:
    """Store the ESCO snapshot unless the database has it (keyed on its content hash).

    Returns whether it was stored now. Two processes starting together may race: the loser's
    unique-key violation means the snapshot is there, which is all that was wanted.
    """
    from sqlalchemy.exc import IntegrityError

    from app.adapters.db.esco_repository import EscoRepository
    from app.adapters.db.session import session_scope

    try:
        with session_scope(factory) as session:
            _row, created = EscoRepository(session).save(taxonomy)
    except IntegrityError:
        log.info("ESCO %s was stored by another process", taxonomy.short_hash)
        return False
    if created:
        log.info("stored ESCO %s (%s) in the database", taxonomy.version, taxonomy.short_hash)
    return created


def eqf_descriptors(release: Release) -> list[Descriptor]:
    out = []
    for level in release.eqf.levels:
        try:
            number = int(level.code)
        except ValueError:
            continue
        d = level.descriptors
        if d is None:
            continue
        for domain, text in (
            ("knowledge", d.knowledge),
            ("skills", d.skills),
            ("responsibility_autonomy", d.responsibility_autonomy),
        ):
            if text:
                out.append(Descriptor(number, domain, text))
    return out


def title_references(release: Release) -> list[TitleReference]:
    return [
        TitleReference(q.name, q.eqf_level, q.jurisdiction)
        for q in release.qualification_types
        if q.eqf_level is not None
    ]


@dataclass
class OutcomeEngine:
    """Everything the learning-outcome endpoints need, built once and shared by all requests."""

    taxonomy: Taxonomy
    policy: OutcomePolicy
    policy_sha256: str
    matcher: SkillMatcher
    estimator: LevelEstimator
    embedder: Embedder | None
    backend: str = "none"
    multilingual_matcher: SkillMatcher | None = None
    startup_warnings: tuple[str, ...] = ()
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- construction --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        taxonomy: Taxonomy,
        policy: OutcomePolicy,
        policy_sha256: str,
        release: Release,
        embedder: Embedder | None,
        index: VectorIndex | None,
        backend: str = "none",
        warnings: Sequence[str] = (),
        multilingual: tuple[Embedder, VectorIndex] | None = None,
    ) -> OutcomeEngine:
        labels = LabelIndex([c.labels for c in taxonomy.concepts])  # shared by both matchers
        matcher = SkillMatcher(taxonomy, policy.matching, embedder, index, labels=labels)
        ml_matcher = None
        if multilingual is not None:
            ml_matcher = SkillMatcher(
                taxonomy, policy.matching, multilingual[0], multilingual[1], labels=labels
            )
        estimator = LevelEstimator(
            eqf_descriptors(release), title_references(release), policy.level, embedder
        )
        return cls(
            taxonomy=taxonomy,
            policy=policy,
            policy_sha256=policy_sha256,
            matcher=matcher,
            estimator=estimator,
            embedder=embedder,
            backend=backend,
            multilingual_matcher=ml_matcher,
            startup_warnings=tuple(warnings),
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        release: Release,
        *,
        embedder: Embedder | None = None,
        progress: bool = False,
    ) -> OutcomeEngine:
        """Load ESCO, the policy and the configured backend; load or build the index.

        ``embedder`` overrides the backend chosen by settings (tests, benchmarks).
        """
        _pin_blas()
        taxonomy = cached_esco(settings.mappings_dir / "esco")
        policy = load_policy(settings.mappings_dir)
        sha = policy_hash(settings.mappings_dir)
        warnings: list[str] = []
        backend = "injected" if embedder is not None else "none"
        multilingual_embedder: Embedder | None = None
        if embedder is None:
            from app.adapters.embeddings.registry import select_embedders

            choice = select_embedders(settings.embeddings)
            embedder = choice.embedder
            backend = choice.backend
            warnings.extend(choice.warnings)
            if choice.multilingual is not None:
                multilingual_embedder = choice.multilingual.embedder
        index = None
        if embedder is not None:
            index, cached = build_index(
                embedder, taxonomy, settings.embeddings.vectors_dir, progress=progress
            )
            log.info(
                "outcomes: skill index %s (%d rows, %s)",
                "loaded from cache" if cached else "built",
                index.size if index else 0,
                embedder.model_id,
            )
        multilingual = None
        if multilingual_embedder is not None:
            ml_index, _ = build_index(
                multilingual_embedder, taxonomy, settings.embeddings.vectors_dir, build=False
            )
            if ml_index is None:
                warnings.append(
                    "the multilingual skill index is not built (it takes minutes): run "
                    "`passerelle index build --multilingual`; non-English text uses the "
                    "English model meanwhile"
                )
            else:
                multilingual = (multilingual_embedder, ml_index)
        engine = cls.build(
            taxonomy=taxonomy,
            policy=policy,
            policy_sha256=sha,
            release=release,
            embedder=embedder,
            index=index,
            backend=backend,
            warnings=warnings,
            multilingual=multilingual,
        )
        log.info(
            "outcomes engine ready: ESCO %s (%d concepts), policy %s, model %s",
            taxonomy.version,
            len(taxonomy.concepts),
            policy.version,
            engine.model.id,
        )
        return engine

    # --- execution -------------------------------------------------------------------------

    def run_sync(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the inference thread and wait (CLI, benchmarks, tests)."""
        return self._executor.submit(fn).result()

    async def run(self, fn: Callable[[], T]) -> T:
        """Await ``fn`` on the inference thread (the event loop stays free meanwhile)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    # --- descriptions --------------------------------------------------------------------

    @property
    def lexical_only(self) -> bool:
        return self.embedder is None

    @property
    def model(self) -> ModelInfo:
        if self.embedder is None:
            import rapidfuzz

            return ModelInfo(LEXICAL_MODEL_ID, f"rapidfuzz-{rapidfuzz.__version__}")
        return ModelInfo(self.embedder.model_id, self.embedder.model_version)

    def base_warnings(self) -> list[str]:
        warnings = list(self.startup_warnings)
        if self.embedder is None and not any("lexical-only" in w for w in warnings):
            warnings.append(
                "lexical-only: no embedding model is in use, so scores are label overlap "
                "(rapidfuzz) only and paraphrases are missed"
            )
        return warnings

    # --- use cases (call on the inference thread) -----------------------------------------

    def skills(
        self, outcomes: Sequence[str], top_k: int = 10, language: str = "en"
    ) -> SkillsResult:
        warnings = self.base_warnings()
        matcher, model = self.matcher, self.model
        lang = language.strip().lower()
        if lang not in ENGLISH:
            if self.multilingual_matcher is not None and self.multilingual_matcher.embedder:
                matcher = self.multilingual_matcher
                emb = self.multilingual_matcher.embedder
                model = ModelInfo(emb.model_id, emb.model_version)
            elif self.embedder is not None and not self.embedder.multilingual:
                warnings.append(
                    f"language {language!r}: the model is English-only, so recall on "
                    "non-English text is low; labels are matched in English (ESCO v1.1.1 en)"
                )
        segmented = [segment(o) for o in outcomes]
        with self._lock:
            results = matcher.match_segmented(segmented, top_k=top_k)
        return SkillsResult(results, model, warnings)

    def level(self, outcomes: Sequence[str], title: str | None = None) -> LevelResult:
        with self._lock:
            est = self.estimator.estimate_segmented([segment(o) for o in outcomes], title)
        return LevelResult(est, self.model, self.base_warnings())

    def align(self, source: Sequence[str], target: Sequence[str]) -> AlignResult:
        with self._lock:
            result = align_segmented(
                [segment(s) for s in source],
                [segment(t) for t in target],
                self.embedder,
                self.policy.alignment,
            )
        return AlignResult(result, self.model, self.base_warnings())

    def describe(self) -> dict[str, Any]:
        return {
            "esco_version": self.taxonomy.version,
            "esco_content_hash": self.taxonomy.content_hash,
            "concepts": len(self.taxonomy.concepts),
            "policy_version": self.policy.version,
            "backend": self.backend,
            "model": {"id": self.model.id, "version": self.model.version},
            "lexical_only": self.lexical_only,
            "multilingual": self.multilingual_matcher is not None,
            "warnings": list(self.startup_warnings),
        }


def _pin_blas() -> None:
    """Hold BLAS to one thread for the whole process (see the module docstring)."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - threadpoolctl ships with the index adapter
        return
    threadpool_limits(limits=1, user_api="blas")
