"""Build the fast CPU model: all-MiniLM-L6-v2 exported to ONNX and quantised to int8 per channel.

Run once at set-up (``python scripts/build_models.py``), never while serving: it needs torch,
transformers and onnx, which the serving process does not load. Steps, as measured in
PERFORMANCE.md 2.2 (a):

1. verify the packaged weights against their pinned checksums;
2. export ``BertModel`` (eager attention, so the graph has the plain pattern ORT's BERT fusions
   recognise) with the TorchScript exporter, dynamic batch and sequence axes, opset 17; the
   example input contains padding so the attention-mask path is traced, not constant-folded away;
3. fuse the graph with ``onnxruntime.transformers.optimizer`` (attention, GELU, layer norm);
4. quantise the weights dynamically to int8 **per channel** (per tensor drifts to a mean cosine of
   0.96 against torch; per channel stays at 0.99);
5. keep the fused fp32 graph of step 3 as ``model.fp32.onnx``: statements are encoded with it
   in one padded batch, which int8's per-batch activation scales do not allow (onnx.py);
6. copy the tokenizer and write a manifest with every checksum, all into a directory named after
   the source weights' checksum, via a temporary directory and an atomic rename.

Output: ``<cache_dir>/all-MiniLM-L6-v2-onnx-int8-<weights sha256[:12]>/{model.onnx,
model.fp32.onnx, tokenizer.json, manifest.json}`` (about 113 MB). Building takes 15–30 s.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from app.adapters.embeddings.weights import (
    MINILM,
    PackagedModel,
    offline_environment,
    sha256_file,
)

__all__ = [
    "QUERY_MODEL",
    "RECIPE",
    "add_query_model",
    "artefact_dir",
    "build_minilm_onnx",
    "find_artefact",
]

log = logging.getLogger(__name__)

# Bump when the export or quantisation steps change, so old artefacts are not reused.
RECIPE = "int8-per-channel-v1"
# The fused fp32 graph beside the int8 one (absent from artefacts built before it was kept;
# ``add_query_model`` adds it without touching the int8 model, so cached vectors stay valid).
QUERY_MODEL = "model.fp32.onnx"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OUTPUT = "last_hidden_state"


def artefact_dir(cache_dir: Path, model: PackagedModel = MINILM) -> Path:
    return Path(cache_dir) / f"{model.name}-onnx-int8-{model.weights_sha256[:12]}"


def find_artefact(cache_dir: Path, model: PackagedModel = MINILM) -> Path | None:
    """The built artefact directory if it exists and was built with the current recipe."""
    target = artefact_dir(cache_dir, model)
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("recipe") != RECIPE:
        return None
    return target


def build_minilm_onnx(
    cache_dir: Path, *, force: bool = False, model: PackagedModel = MINILM
) -> Path:
    """Export, optimise and quantise the packaged model; return the artefact directory.

    Does nothing when a matching artefact exists (unless ``force``).
    """
    existing = find_artefact(cache_dir, model)
    if existing is not None and not force:
        log.info("ONNX model already built: %s", existing)
        return existing
    offline_environment()
    source = model.verify()
    target = artefact_dir(cache_dir, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=target.parent) as tmp:
        work = Path(tmp)
        fp32 = work / "model.fp32.onnx"
        fused = work / "model.fused.onnx"
        final = work / "model.onnx"
        _export(source, fp32)
        _optimise(fp32, fused)
        _quantise(fused, final)
        shutil.copyfile(source / "tokenizer.json", work / "tokenizer.json")
        fp32.unlink()
        # The fused fp32 graph is kept: statements are encoded with it in one padded batch
        # (see onnx.OnnxEmbedder.encode); the int8 graph encodes the catalogue.
        fused.rename(work / QUERY_MODEL)
        manifest = _manifest(model, work)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
        target.chmod(0o755)  # mkdtemp made it private; the serving user may differ
        # TemporaryDirectory's cleanup tolerates the directory having been moved away.
        work.mkdir()
    log.info("ONNX model built: %s", target)
    return target


def add_query_model(artefact: Path, *, model: PackagedModel = MINILM) -> bool:
    """Add the fp32 query graph to an artefact built without it; False if it was there.

    The int8 model and its checksum are untouched, so the catalogue vectors cached for it stay
    valid. The manifest is rewritten through a temporary file and an atomic rename.
    """
    manifest_path = artefact / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if QUERY_MODEL in manifest.get("files", {}) and (artefact / QUERY_MODEL).is_file():
        return False
    offline_environment()
    source = model.verify()
    with tempfile.TemporaryDirectory(prefix=".query-", dir=artefact.parent) as tmp:
        work = Path(tmp)
        _export(source, work / "raw.onnx")
        _optimise(work / "raw.onnx", work / QUERY_MODEL)
        (work / QUERY_MODEL).chmod(0o644)
        os.replace(work / QUERY_MODEL, artefact / QUERY_MODEL)
        manifest["files"][QUERY_MODEL] = sha256_file(artefact / QUERY_MODEL)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        (work / "manifest.json").chmod(0o644)
        os.replace(work / "manifest.json", manifest_path)
    log.info("ONNX query model added: %s", artefact / QUERY_MODEL)
    return True


def _export(source: Path, out: Path) -> None:
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    bert: Any = BertModel.from_pretrained(str(source), attn_implementation="eager")
    bert.eval()

    class _LastHidden(torch.nn.Module):
        # transformers 5 changed the positional order of BertModel.forward; name everything.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            result: torch.Tensor = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            return result

    ids = torch.tensor([[101, 7592, 2088, 2003, 102], [101, 7592, 102, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        # The legacy exporter warns about itself and about traced Python booleans in the mask
        # helpers; both are expected here (the graph is checked against torch by the tests).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(out),
            input_names=list(_INPUTS),
            output_names=[_OUTPUT],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, _OUTPUT)},
            opset_version=17,
            dynamo=False,
        )


def _optimise(source: Path, out: Path) -> None:
    from onnxruntime.transformers.optimizer import (  # type: ignore[import-untyped]
        optimize_model,
    )

    optimised = optimize_model(
        str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    optimised.save_model_to_file(str(out))


def _quantise(source: Path, out: Path) -> None:
    from onnxruntime.quantization import (  # type: ignore[import-untyped]
        QuantType,
        quantize_dynamic,
    )

    # The quantiser logs an INFO line per tensor and a "consider pre-processing" warning on the
    # root logger; neither is actionable here (the graph is already optimised).
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT
        )
    finally:
        root.setLevel(level)


def _manifest(model: PackagedModel, work: Path) -> dict[str, Any]:
    return {
        "model": model.name,
        "recipe": RECIPE,
        "source_distribution": model.distribution,
        "source_version": model.package_version(),
        "source_weights_sha256": model.weights_sha256,
        "files": {
            name: sha256_file(work / name)
            for name in ("model.onnx", "tokenizer.json", QUERY_MODEL)
            if (work / name).is_file()
        },
        "built_with": {
            pkg: version(pkg) for pkg in ("torch", "transformers", "onnx", "onnxruntime")
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
