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
from app.core.level_estimation import title_references as level_title_references
from app.core.lexical import LabelIndex
from app.core.matching import (
    ROWS_PER_CONCEPT,
    OutcomeSkills,
    SkillMatch,
    SkillMatcher,
    merge_statement_matches,
)
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
# A multilingual model indexes each concept's preferred label only (its vector fills both of
# the concept's rows): embedding ESCO's descriptions with multilingual-e5 (12 layers, 4-bit, no
# BLAS) costs 20–25 min of 2 free cores, labels under 3 min, and the statements it serves are
# matched against labels across languages (recall in docs/outcomes.md).
LABELS_FORMAT = "labels-v1"
LEXICAL_MODEL_ID = "lexical-only"
MAX_OUTCOMES = 200
MAX_OUTCOME_CHARS = 5000
ENGLISH = frozenset({"en", "en-gb", "en-us", "eng"})
# Below this many rows an fp32 scan is already cheap (test taxonomies, small catalogues).
_INT8_MIN_ROWS = 4096
# Rows the int8 pass pre-selects per statement for the exact re-rank: twice the policy's
# retrieval_rows (150), the least the index accepts before scanning exhaustively. Exact either
# way (the bound proves the top k, else that statement is scanned); 400 -> 300 cut a 10-statement
# search from 3.83 to 3.23 ms of CPU with 0 fallbacks on 2,400 benchmark sentences.
_INT8_CANDIDATES = 300


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    version: str


@dataclass(frozen=True, slots=True)
class SkillsResult:
    results: list[OutcomeSkills]
    model: ModelInfo
    warnings: list[str]
    # Per outcome, the language of each statement as routed ("en" → the English model).
    languages: list[list[str]] = field(default_factory=list)
    # The multilingual model, when it matched at least one statement.
    multilingual_model: ModelInfo | None = None


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


def index_content_key(taxonomy: Taxonomy, *, labels_only: bool = False) -> str:
    """What determines the index texts: the ESCO content hash and the row format."""
    return f"{taxonomy.content_hash}:{LABELS_FORMAT if labels_only else INDEX_FORMAT}"


def index_texts(taxonomy: Taxonomy, *, labels_only: bool = False) -> list[str]:
    """The texts an index embeds: label and description rows, or one label per concept."""
    if labels_only:
        return [c.label for c in taxonomy.concepts]
    return [e.text for e in index_entries(taxonomy.concepts)]


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
    from app.adapters.index import VectorCache
    from app.adapters.index.shipped import load_shipped

    labels_only = embedder.multilingual
    cache = VectorCache(vectors_dir)
    texts = index_texts(taxonomy, labels_only=labels_only)
    key = index_content_key(taxonomy, labels_only=labels_only)
    entry = cache.entry(embedder, INDEX_NAME, key)
    matrix = cache.load(entry)
    if matrix is None:
        # Vectors computed once by the project and shipped in the package: checksummed, keyed
        # like the cache, so a different model version or ESCO release builds its own instead.
        matrix = load_shipped(entry)
    cached = matrix is not None and matrix.shape[0] == len(texts)
    if not cached:
        if not build:
            return None, False
        matrix, cached = cache.get_or_build(
            embedder, texts, name=INDEX_NAME, content=key, progress=progress
        )
    assert matrix is not None
    if labels_only:  # each concept's label vector answers for its label row
        from app.adapters.index.label_rows import LabelRowsIndex

        return LabelRowsIndex(_exact_index(matrix), ROWS_PER_CONCEPT), cached
    return _exact_index(matrix), cached


def _hubness_corrected(
    index: VectorIndex, embedder: Embedder, taxonomy: Taxonomy, vectors_dir: Path
) -> VectorIndex:
    """The multilingual label index re-ranked with its shipped hubness vector (CSLS,
    ``app.core.multilingual``) when one ships for this model and ESCO release."""
    from app.adapters.embeddings.multilingual_hubness import with_hubness
    from app.adapters.index import VectorCache

    key = index_content_key(taxonomy, labels_only=True)
    stem = VectorCache(vectors_dir).entry(embedder, INDEX_NAME, key).stem
    corrected, _ = with_hubness(index, stem, len(taxonomy.concepts), ROWS_PER_CONCEPT)
    return corrected


def _exact_index(matrix: Any) -> VectorIndex:
    """Exact top-k: through an int8 pre-selection when ONNX Runtime is there (several times
    faster on VNNI CPUs, same answers: ``app.adapters.index.int8_index``), else NumPy's GEMM."""
    from app.adapters.index import NumpyIndex
    from app.adapters.index.int8_index import Int8PreselectIndex, int8_available

    if int8_available() and matrix.shape[0] >= _INT8_MIN_ROWS:
        return Int8PreselectIndex(matrix, candidates=_INT8_CANDIDATES)
    return NumpyIndex(matrix)


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
    return level_title_references(release.qualification_types)


@dataclass
class OutcomeEngine:
    """Everything the learning-outcome endpoints need, built once and shared by all requests."""

    taxonomy: Taxonomy
    policy: OutcomePolicy
    policy_sha256: str
    matcher: SkillMatcher
    # Built by the first level estimate, not at start-up (it encodes the EQF descriptors with
    # the model: 0.15–0.6 s of a cold start that a skills request never needs).
    estimator_factory: Callable[[], LevelEstimator]
    embedder: Embedder | None
    backend: str = "none"
    multilingual_matcher: SkillMatcher | None = None
    startup_warnings: tuple[str, ...] = ()
    # Per-statement language detection (None: everything is taken as English).
    detect_language: Callable[[str], str] | None = None
    # Why non-English text cannot go to a multilingual model, if it cannot (for the warnings).
    multilingual_missing: str | None = None
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _estimator: LevelEstimator | None = None
    _estimator_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def estimator(self) -> LevelEstimator:
        """The level estimator, built on first use (thread-safe; the same one afterwards)."""
        if self._estimator is None:
            with self._estimator_lock:
                if self._estimator is None:
                    self._estimator = self.estimator_factory()
        return self._estimator

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
        multilingual_missing: str | None = None,
        lexical: tuple[LabelIndex, Callable[[str], str]] | None = None,
    ) -> OutcomeEngine:
        """``lexical``: :func:`lexical_parts` of ``taxonomy`` when the caller built them already
        (``from_settings`` builds them on a second thread while the vector index loads)."""
        labels, detector = lexical or lexical_parts(taxonomy)  # labels: shared by both matchers
        matcher = SkillMatcher(taxonomy, policy.matching, embedder, index, labels=labels)
        ml_matcher = None
        if multilingual is not None:
            ml_matcher = SkillMatcher(
                taxonomy, policy.matching, multilingual[0], multilingual[1], labels=labels
            )
        descriptors, titles = eqf_descriptors(release), title_references(release)

        def estimator() -> LevelEstimator:
            return LevelEstimator(descriptors, titles, policy.level, embedder)

        return cls(
            taxonomy=taxonomy,
            policy=policy,
            policy_sha256=policy_sha256,
            matcher=matcher,
            estimator_factory=estimator,
            embedder=embedder,
            backend=backend,
            multilingual_matcher=ml_matcher,
            startup_warnings=tuple(warnings),
            detect_language=detector,
            multilingual_missing=multilingual_missing,
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
        # The label index and the language detector's vocabulary (pure Python, ~0.6 s of CPU)
        # are built on a second thread while this one loads the models and the vector index
        # (mostly NumPy and ONNX Runtime, which release the GIL): on 2 cores the two overlap.
        helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="startup-lexical")
        try:
            lexical = helper.submit(lexical_parts, taxonomy)
            return cls._from_settings(
                settings, release, taxonomy, lexical.result, embedder, progress
            )
        finally:
            helper.shutdown(wait=True, cancel_futures=True)

    @classmethod
    def _from_settings(
        cls,
        settings: Settings,
        release: Release,
        taxonomy: Taxonomy,
        lexical: Callable[[], tuple[LabelIndex, Callable[[str], str]]],
        embedder: Embedder | None,
        progress: bool,
    ) -> OutcomeEngine:
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
        multilingual_missing = None
        if multilingual_embedder is not None:
            ml_index, _ = build_index(
                multilingual_embedder, taxonomy, settings.embeddings.vectors_dir, build=False
            )
            if ml_index is None:
                multilingual_missing = (
                    f"no ESCO index for {multilingual_embedder.model_id} (neither shipped for "
                    "this model version nor built: run `passerelle index build`)"
                )
                warnings.append(
                    f"multilingual matching is off: {multilingual_missing}; non-English text "
                    "is matched with the English model"
                )
            else:
                ml_index = _hubness_corrected(
                    ml_index, multilingual_embedder, taxonomy, settings.embeddings.vectors_dir
                )
                multilingual = (multilingual_embedder, ml_index)
        elif embedder is not None and backend not in ("fake", "injected"):
            multilingual_missing = next(
                (w for w in warnings if "multilingual" in w), "no multilingual model is configured"
            )
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
            multilingual_missing=multilingual_missing,
            lexical=lexical(),
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
        self, outcomes: Sequence[str], top_k: int = 10, language: str | None = None
    ) -> SkillsResult:
        """Skills per outcome. ``language`` (BCP 47) applies to every statement when given;
        otherwise each statement's language is detected and non-English statements go to the
        multilingual model (when one is installed and indexed)."""
        warnings = self.base_warnings()
        segmented = [segment(o) for o in outcomes]
        owners = [o for o, out in enumerate(segmented) for _seg in out.segments]
        statements = [(s, seg.text) for out in segmented for s, seg in enumerate(out.segments)]
        langs = self._languages([t for _s, t in statements], language)
        ml = self.multilingual_matcher
        routes: list[tuple[SkillMatcher, list[int]]] = []
        english = [i for i, lang in enumerate(langs) if lang == "en"]
        other = [i for i, lang in enumerate(langs) if lang != "en"]
        if ml is not None and ml.embedder is not None:
            routes = [(self.matcher, english), (ml, other)]
        else:
            routes = [(self.matcher, list(range(len(statements))))]
        per_statement: list[list[SkillMatch]] = [[] for _ in statements]
        with self._lock:
            for matcher, positions in routes:
                if not positions:
                    continue
                found = matcher.match_statements([statements[i] for i in positions], top_k=top_k)
                for i, matches in zip(positions, found, strict=True):
                    per_statement[i] = matches
        results = merge_statement_matches(segmented, owners, per_statement, top_k)
        model, ml_model = self.model, None
        if other and ml is not None and ml.embedder is not None:
            ml_model = ModelInfo(ml.embedder.model_id, ml.embedder.model_version)
            if not english:
                model = ml_model
            unsupported = sorted(
                {langs[i] for i in other} - set(getattr(ml.embedder, "languages", None) or ())
            )
            if getattr(ml.embedder, "languages", None) and unsupported:
                warnings.append(
                    f"language {', '.join(unsupported)}: not among the languages of "
                    f"{ml.embedder.model_id}, so those statements are matched poorly"
                )
        elif other:
            warnings.append(self._english_only_warning("skills", langs, owners))
        per_outcome: list[list[str]] = [[] for _ in segmented]
        for owner, lang in zip(owners, langs, strict=True):
            per_outcome[owner].append(lang)
        return SkillsResult(results, model, warnings, per_outcome, ml_model)

    def level(self, outcomes: Sequence[str], title: str | None = None) -> LevelResult:
        segmented = [segment(o) for o in outcomes]
        with self._lock:
            est = self.estimator.estimate_segmented(segmented, title)
        warnings = self.base_warnings()
        owners = [o for o, out in enumerate(segmented) for _seg in out.segments]
        langs = self._languages([seg.text for out in segmented for seg in out.segments], None)
        if any(lang != "en" for lang in langs):
            warnings.append(
                self._english_only_warning("level", langs, owners)
                + "; the verb and cue signals read English only"
            )
        return LevelResult(est, self.model, warnings)

    def align(self, source: Sequence[str], target: Sequence[str]) -> AlignResult:
        src, tgt = [segment(s) for s in source], [segment(t) for t in target]
        with self._lock:
            result = align_segmented(src, tgt, self.embedder, self.policy.alignment)
        warnings = self.base_warnings()
        for side, outs in (("source", src), ("target", tgt)):
            owners = [o for o, out in enumerate(outs) for _seg in out.segments]
            langs = self._languages([seg.text for out in outs for seg in out.segments], None)
            if any(lang != "en" for lang in langs):
                warnings.append(
                    self._english_only_warning(f"align {side}", langs, owners)
                    + "; their pair scores and the coverage are understated"
                )
        return AlignResult(result, self.model, warnings)

    # --- languages -------------------------------------------------------------------------

    def _languages(self, texts: Sequence[str], language: str | None) -> list[str]:
        """The routing language of each statement: the caller's, or detected."""
        if language is not None and language.strip():
            lang = language.strip().lower()
            code = "en" if lang in ENGLISH else lang.split("-", 1)[0]
            return [code] * len(texts)
        if self.detect_language is None:
            return ["en"] * len(texts)
        return [self.detect_language(t) for t in texts]

    def _english_only_warning(self, what: str, langs: Sequence[str], owners: Sequence[int]) -> str:
        """The warning for statements in a language the model in use cannot read."""
        by_lang: dict[str, set[int]] = {}
        for lang, owner in zip(langs, owners, strict=True):
            if lang != "en":
                by_lang.setdefault(lang, set()).add(owner)
        found = "; ".join(
            f"'{lang}' in outcome(s) {', '.join(str(o) for o in sorted(items))}"
            for lang, items in sorted(by_lang.items())
        )
        if self.embedder is None:
            why = "they were compared with English labels only (lexical-only), which misses them"
        elif what == "skills":
            why = "they were matched with the English model, whose recall on them is low"
        else:
            why = "the English model read them, and its scores on them are low"
        reason = f" ({self.multilingual_missing})" if self.multilingual_missing else ""
        return f"{what}: non-English text ({found}); {why}{reason}"

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
            "multilingual_model": (
                self.multilingual_matcher.embedder.model_id
                if self.multilingual_matcher is not None and self.multilingual_matcher.embedder
                else None
            ),
            "warnings": list(self.startup_warnings),
        }


def lexical_parts(taxonomy: Taxonomy) -> tuple[LabelIndex, Callable[[str], str]]:
    """The label index (lexical rescoring, lexical-only mode) and the language detector."""
    return LabelIndex([c.labels for c in taxonomy.concepts]), _language_detector(taxonomy)


def _language_detector(taxonomy: Taxonomy) -> Callable[[str], str]:
    """Per-statement detection that keeps text made only of ESCO's English words English."""
    from app.adapters.embeddings.language import LanguageDetector, english_vocabulary

    texts = [t for c in taxonomy.concepts for t in (c.label, c.description, *c.alt_labels)]
    return LanguageDetector(english_vocabulary(texts)).language


def _pin_blas() -> None:
    """Hold BLAS to one thread for the whole process (see the module docstring)."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - threadpoolctl ships with the index adapter
        return
    threadpool_limits(limits=1, user_api="blas")
