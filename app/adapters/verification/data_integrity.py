"""VC Data Integrity proofs: ``eddsa-rdfc-2022``, ``ecdsa-rdfc-2019``, ``eddsa-jcs-2022``.

The verification of W3C VC Data Integrity 1.0 and its cryptosuites: the proof configuration
(the proof without ``proofValue``, under the document's ``@context``) and the document without
its proof are each canonicalised — RDF Dataset Canonicalization (RDFC-1.0) by pyld for the
``-rdfc-`` suites, RFC 8785 JCS for the ``-jcs-`` suites — and hashed, and the signature is
checked over ``hash(proof configuration) || hash(document)`` with ``cryptography``.

Contexts come from the bundled ones only (the importers' frozen document loader; plus the W3C
examples context the test vectors use): a context that is not bundled makes the proof
"not checked", never fetched. Keys come from ``did:key``/``did:jwk`` or a Multikey fragment
(:mod:`.keys`); ``did:web`` keys and status lists are not fetched, and the report says so.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyld import jsonld  # type: ignore[import-untyped]
from pyld.canon import URDNA2015  # type: ignore[import-untyped]

from app.adapters.importers.jsonld import (
    CONTEXT_DIR,
    ContextNotBundled,
    document_loader,
    normalise_url,
)
from app.adapters.verification import keys
from app.core.credentials import Proof, Trust, Verification

MAX_PROOFS = 4
SUITES = ("eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022", "ecdsa-jcs-2019")

# Contexts the verifier needs beyond the importers' (the W3C test vectors' examples context).
_EXTRA_CONTEXTS = {
    normalise_url(
        "https://www.w3.org/ns/credentials/examples/v2"
    ): "credentials-examples-v2.jsonld",
}


@cache
def _extra(file: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTEXT_DIR / file).read_text(encoding="utf-8"))
    return data


def _loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    file = _EXTRA_CONTEXTS.get(normalise_url(url)) if isinstance(url, str) else None
    if file is None:
        return document_loader(url, options)
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_extra(file))}


class CanonicalisationTooComplex(ValueError):
    """RDFC-1.0 would take too long: blank nodes arranged so that canonical labelling explodes."""


class _BoundedRdfc(URDNA2015):  # type: ignore[misc]
    """RDFC-1.0 (URDNA2015) with a work budget: the algorithm is exponential on "poison" graphs
    (many interlinked, indistinguishable blank nodes), and the document is untrusted."""

    BUDGET = 500  # N-degree hash calls (about 0.5 s here); a credential needs a few at most

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self.calls += 1
        if self.calls > self.BUDGET:
            raise CanonicalisationTooComplex(
                f"RDFC-1.0 canonicalisation stopped after {self.BUDGET} blank-node hashing "
                "steps: the document's blank nodes are arranged so that canonical labelling "
                "explodes (a known denial-of-service shape)"
            )
        return super().hash_n_degree_quads(id_, issuer)


def _rdfc(document: Mapping[str, Any]) -> bytes:
    dataset = jsonld.to_rdf(
        document,
        {
            "documentLoader": _loader,
            "safe": True,  # a term no context defines is an error, not silently unsigned
            "produceGeneralizedRdf": False,
        },
    )
    # RDFC-1.0 is URDNA2015 under its W3C Recommendation name
    text: str = _BoundedRdfc().main(dataset, {"format": "application/n-quads"})
    return text.encode("utf-8")


def _jcs(document: Mapping[str, Any]) -> bytes:
    return rfc8785.dumps(document)


def _proof_type(proof: Mapping[str, Any]) -> str:
    kind = proof.get("type")
    kind = ", ".join(k for k in kind if isinstance(k, str)) if isinstance(kind, list) else kind
    suite = proof.get("cryptosuite")
    text = str(kind) if kind else "proof"
    return f"{text} ({suite})" if isinstance(suite, str) else text


def is_real_proof(proof: Any) -> bool:
    """A proof object that claims a signature (a type and a value), not ``{}`` or a stub."""
    return (
        isinstance(proof, Mapping)
        and bool(proof.get("type"))
        and bool(proof.get("proofValue") or proof.get("jws") or proof.get("signatureValue"))
    )


def _controller_of(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error pyld wrapped (it nests the loader's error in ``cause``)."""
    seen = 0
    while seen < 20:
        inner = getattr(exc, "cause", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            return exc
        exc, seen = inner, seen + 1
    return exc


def _check_signature(suite: str, public: Any, signature: bytes, data: bytes) -> str | None:
    """None when the signature verifies, else why not."""
    try:
        if suite.startswith("eddsa"):
            if not isinstance(public, ed25519.Ed25519PublicKey):
                return f"{suite} needs an Ed25519 key"
            public.verify(signature, data)
            return None
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return f"{suite} needs a P-256 or P-384 key"
        size = (public.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            return "the ECDSA signature is not r||s of the key's size"
        der = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
        algorithm = hashes.SHA384() if public.curve.key_size == 384 else hashes.SHA256()
        public.verify(der, data, ec.ECDSA(algorithm))
        return None
    except InvalidSignature:
        return (
            "the signature does not match the signed content (the document was changed after "
            "it was signed, or signed with another key)"
        )


def verify_one(document: Mapping[str, Any], proof: Mapping[str, Any]) -> Verification:
    """Verify one proof of ``document`` (the document including its ``proof`` member)."""
    method = _proof_type(proof)
    suite = proof.get("cryptosuite")
    signer = proof.get("verificationMethod")
    signer = signer if isinstance(signer, str) else None
    created = proof.get("created") if isinstance(proof.get("created"), str) else None

    def unchecked(reason: str, trust: Trust = Trust.NOT_CHECKED) -> Verification:
        return Verification(method, None, signer, created, trust, (reason,))

    def invalid(reason: str) -> Verification:
        return Verification(method, False, signer, created, Trust.NOT_ESTABLISHED, (reason,))

    if proof.get("type") != "DataIntegrityProof" or suite not in SUITES:
        return unchecked(
            f"proof type {method!r} is not verified here (only DataIntegrityProof with "
            f"{', '.join(SUITES)})"
        )
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return invalid("proofValue is not a multibase base58btc value")
    try:
        signature = keys.b58decode(value[1:])
    except ValueError:
        return invalid("proofValue is not valid base58btc")
    if signer is None:
        return Verification(
            method,
            False,
            None,
            created,
            Trust.NOT_ESTABLISHED,
            ("the proof names no verificationMethod",),
        )
    try:
        resolved = keys.resolve(signer)
    except keys.KeyNotAvailable as exc:
        return unchecked(str(exc))

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = document["@context"]
    canonical = _jcs if "-jcs-" in str(suite) else _rdfc
    try:
        config_bytes, document_bytes = canonical(config), canonical(unsecured)
    except jsonld.JsonLdError as exc:
        root = _root_cause(exc)
        text = (root.args[0] if root.args else str(root)).split("\n", 1)[0][:300]
        if isinstance(root, ContextNotBundled):
            return unchecked(f"cannot canonicalise offline: {text}")
        return invalid(f"the document cannot be canonicalised (RDFC-1.0): {text}")
    except CanonicalisationTooComplex as exc:
        return unchecked(str(exc))
    except (TypeError, ValueError) as exc:
        return invalid(f"the document cannot be canonicalised: {exc}")
    digest = (
        hashlib.sha384
        if (
            isinstance(resolved.key, ec.EllipticCurvePublicKey)
            and resolved.key.curve.key_size == 384
        )
        else hashlib.sha256
    )
    data = digest(config_bytes).digest() + digest(document_bytes).digest()
    problem = _check_signature(str(suite), resolved.key, signature, data)
    if problem is not None:
        return invalid(problem)

    reasons = [resolved.note]
    if resolved.self_certifying:
        reasons.append("a did:key names a key, not an organisation: who holds it is not shown")
    issuer = _controller_of(document)
    if issuer is not None and issuer != resolved.controller:
        reasons.append(
            f"the key's controller {resolved.controller[:120]!r} is not the issuer {issuer[:120]!r}"
        )
    if proof.get("proofPurpose") != "assertionMethod":
        reasons.append(f"proofPurpose is {proof.get('proofPurpose')!r}, not assertionMethod")
    status = document.get("credentialStatus")
    if status:
        reasons.append("the credential's status (revocation) list is not fetched: not checked")
    return Verification(method, True, signer, created, Trust.NOT_ESTABLISHED, tuple(reasons))


def embedded_proof(document: Mapping[str, Any]) -> Proof | None:
    """The :class:`Proof` of a document with an embedded ``proof`` member (None without one).

    An empty or stub proof (``{}``, no type or value) is reported as *not* signed.
    """
    if "proof" not in document:
        return None
    raw = document["proof"]
    proofs = [p for p in (raw if isinstance(raw, list) else [raw]) if is_real_proof(p)]
    if not proofs:
        return Proof(
            note="the proof member carries no signature (no type and proofValue)",
            verification=Verification(
                reasons=("the proof member is empty or has no proof value: nothing is signed",)
            ),
        )
    results = [verify_one(document, p) for p in proofs[:MAX_PROOFS]]
    if len(proofs) > MAX_PROOFS:  # each canonicalises the document again: bounded work
        results.append(
            Verification(
                "proof set",
                None,
                None,
                None,
                Trust.NOT_CHECKED,
                (f"only the first {MAX_PROOFS} of {len(proofs)} proofs are checked",),
            )
        )
    kinds = ", ".join(dict.fromkeys(_proof_type(p) for p in proofs))
    return Proof.checked(kinds, Verification.combine(results, "proof"))
