"""The real all-MiniLM-L6-v2: ONNX int8 against torch, integrity checks, thread safety.

Marked ``slow`` so they can be selected (``-m slow``) or left out (``-m "not slow"``); they run in
``make test`` like every other test.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.adapters.embeddings.weights import MINILM, ModelIntegrityError, PackagedModel
from app.core.ports import Embedder

pytestmark = pytest.mark.slow

SENTENCES = [
    "Manage a team of nurses in a hospital ward",
    "Analyse financial statements and report to the board",
    "Use spreadsheet software to organise and present data",
    "Communicate effectively with customers and colleagues",
    "Design machine learning pipelines for image classification",
    "Ensure compliance with health and safety regulations on construction sites",
    "bake bread",
    "Explain the legal framework of employment contracts in the European Union, including "
    "working time, dismissal protection and collective agreements.",
]


def test_onnx_implements_the_port(onnx_embedder: Any) -> None:
    assert isinstance(onnx_embedder, Embedder)
    assert onnx_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2/onnx-int8"
    assert onnx_embedder.model_version.startswith("0.1.0+53aa51172d14.onnx-")
    assert onnx_embedder.dimension == 384
    assert not onnx_embedder.multilingual


def test_onnx_agrees_with_torch(onnx_embedder: Any, torch_embedder: Any) -> None:
    fast = onnx_embedder.encode(SENTENCES)
    reference = torch_embedder.encode(SENTENCES)
    cosines = np.sum(fast * reference, axis=1)
    # PERFORMANCE.md 2.2: per-channel int8 gives a mean of 0.992 (per tensor: 0.961).
    assert cosines.mean() > 0.99, cosines
    assert cosines.min() > 0.98, cosines
    # Batched catalogue encoding agrees too.
    documents = onnx_embedder.encode_documents(SENTENCES)
    assert np.sum(documents * reference, axis=1).min() > 0.98


def test_torch_implements_the_port(torch_embedder: Any) -> None:
    assert isinstance(torch_embedder, Embedder)
    assert torch_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2/torch-fp32"
    assert torch_embedder.model_version == "0.1.0+53aa51172d14"
    vectors = torch_embedder.encode(SENTENCES[:2])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_onnx_rows_are_unit_and_independent_of_the_batch(onnx_embedder: Any) -> None:
    together = onnx_embedder.encode(SENTENCES)
    alone = np.vstack([onnx_embedder.encode([s]) for s in SENTENCES])
    # int8 activation scales are per tensor: batching would couple the texts; encode must not.
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.encode([]).shape == (0, 384)
    assert onnx_embedder.encode_documents([]).shape == (0, 384)


def test_fp32_batches_keep_each_statement_as_it_is_alone(
    onnx_artefact: Path, onnx_embedder: Any
) -> None:
    from app.adapters.embeddings.onnx import OnnxEmbedder

    assert not onnx_embedder.batched_queries  # the default: int8, one statement per pass
    assert onnx_embedder.model_version == onnx_embedder.catalogue_version
    fp32 = OnnxEmbedder(onnx_artefact, threads=2, verify=False, batch_queries=True)
    try:
        assert fp32.batched_queries
        assert fp32.model_version.startswith(fp32.catalogue_version + ".q-fp32-")
        texts = [*SENTENCES, "word " * 200, "lead a team"]
        together = fp32.encode(texts)
        alone = np.vstack([fp32.encode([t]) for t in texts])
        # Padding and the attention mask keep each vector what it is alone (measured bitwise
        # equal; 1e-6 leaves room for a BLAS that blocks differently), whatever the buckets.
        np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
        # The two graphs encode one text almost alike (fp32 statements, int8 catalogue).
        catalogue = onnx_embedder.encode_documents(SENTENCES)
        assert float((together[: len(SENTENCES)] * catalogue).sum(axis=1).min()) > 0.98
    finally:
        fp32.close()


def test_semantics_survive_quantisation(onnx_embedder: Any) -> None:
    a, b, c = onnx_embedder.encode(
        ["supervise nursing staff", "manage a team of nurses", "repair car engines"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_long_text_is_truncated_not_rejected(onnx_embedder: Any) -> None:
    vector = onnx_embedder.encode(["word " * 2000])
    assert np.isfinite(vector).all()


def test_concurrent_encode_is_safe(onnx_embedder: Any) -> None:
    # FastAPI's def endpoints run in a thread pool; the tokenizer raised "Already borrowed"
    # when shared without care (PERFORMANCE.md 6).
    expected = onnx_embedder.encode(SENTENCES[:3])
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: onnx_embedder.encode(SENTENCES[:3]), range(32)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_lanes_do_not_change_the_vectors(onnx_artefact: Path, onnx_embedder: Any) -> None:
    # Texts run side by side on the lanes; a text's vector must not depend on how many lanes
    # there are or which one ran it, on the query side or the catalogue side.
    from app.adapters.embeddings.onnx import OnnxEmbedder

    one_lane = OnnxEmbedder(onnx_artefact, threads=1, verify=False)
    try:
        texts = [*SENTENCES, "lead a team", "analyse " * 60]
        np.testing.assert_array_equal(one_lane.encode(texts), onnx_embedder.encode(texts))
        docs = [f"{t} ({i})" for i, t in enumerate(texts * 12)]  # several batches of 32
        np.testing.assert_array_equal(
            one_lane.encode_documents(docs), onnx_embedder.encode_documents(docs)
        )
    finally:
        one_lane.close()


def test_packaged_weights_match_their_pins() -> None:
    assert MINILM.verify() == MINILM.directory()


def test_a_tampered_weight_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MINILM.directory(), copy)
    MINILM.verify(copy, files=("config.json",))
    config = copy / "config.json"
    config.write_text(config.read_text().replace('"hidden_act": "gelu"', '"hidden_act": "relu"'))
    with pytest.raises(ModelIntegrityError, match=r"checksum mismatch .*config\.json"):
        MINILM.verify(copy)
    (copy / "model.safetensors").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        MINILM.verify(copy, files=("model.safetensors",))


def test_torch_backend_refuses_before_loading() -> None:
    from app.adapters.embeddings.sentence_transformers import SentenceTransformerEmbedder

    wrong = PackagedModel(
        name=MINILM.name,
        distribution=MINILM.distribution,
        module=MINILM.module,
        subdir=MINILM.subdir,
        checksums={**MINILM.checksums, "config.json": "0" * 64},
    )
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        SentenceTransformerEmbedder(model=wrong)


def test_onnx_backend_refuses_a_tampered_artefact(onnx_artefact: Path, tmp_path: Path) -> None:
    from app.adapters.embeddings.onnx import OnnxEmbedder

    copy = tmp_path / onnx_artefact.name
    shutil.copytree(onnx_artefact, copy)
    with (copy / "model.onnx").open("r+b") as fh:
        fh.seek(-16, 2)
        last = fh.read(1)
        fh.seek(-16, 2)
        fh.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError, match=r"model\.onnx"):
        OnnxEmbedder(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ModelIntegrityError, match="manifest"):
        OnnxEmbedder(copy)


def test_export_is_cached(onnx_artefact: Path) -> None:
    from app.adapters.embeddings.onnx_export import add_query_model, build_minilm_onnx

    # A second build with the artefact present returns at once without re-exporting.
    assert build_minilm_onnx(onnx_artefact.parent) == onnx_artefact
    assert add_query_model(onnx_artefact) is False  # the fp32 graph is already there


def test_an_artefact_without_the_fp32_graph_encodes_on_lanes(
    onnx_artefact: Path, onnx_embedder: Any, tmp_path: Path
) -> None:
    import json

    from app.adapters.embeddings.onnx import OnnxEmbedder

    copy = tmp_path / onnx_artefact.name
    copy.mkdir()
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copyfile(onnx_artefact / name, copy / name)
    manifest = json.loads((onnx_artefact / "manifest.json").read_text("utf-8"))
    manifest["files"].pop("model.fp32.onnx", None)
    (copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    older = OnnxEmbedder(copy, threads=1)
    try:
        assert not older.batched_queries
        assert older.model_version == older.catalogue_version == onnx_embedder.catalogue_version
        # int8, one statement per pass: the request cannot change a statement's vector.
        alone = np.vstack([older.encode([s]) for s in SENTENCES])
        np.testing.assert_array_equal(older.encode(SENTENCES), alone)
    finally:
        older.close()
