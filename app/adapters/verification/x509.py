"""A signer's certificate chain, judged against the trust store at the time of signing.

The chain is built from the signer certificate upwards through the certificates the signature
carries (``x5c``, and for JAdES the ``xVals`` of ``etsiU``) to an anchor of the
:class:`~app.adapters.verification.trust.TrustStore`; each link's signature is checked with
``cryptography``. Validity periods are judged at the signing time, because a seal made while
its certificate was valid stays valid after the certificate expires (the reason the EDC seals
carry B-LTA timestamps). Revocation (CRL/OCSP) is not checked offline and the report says so.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from app.adapters.verification.trust import TrustStore
from app.core.credentials import Trust

_MAX_CHAIN = 8
_SHA256 = hashes.SHA256()
NO_ANCHORS = (
    "no trust anchors are configured (setting credentials.trust_anchors_dir): the EU trusted "
    "lists are not consulted offline, so the signer's certificate is not shown to come from a "
    "trusted authority"
)
REVOCATION_NOT_CHECKED = "revocation (CRL/OCSP) is not checked offline"


@dataclass(frozen=True, slots=True)
class ChainReport:
    trust: Trust
    signer: str
    reasons: tuple[str, ...]


def describe(cert: x509.Certificate) -> str:
    """A short human name for a certificate: its CN and organisation, else the full subject."""
    parts: list[str] = []
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        for attr in cert.subject.get_attributes_for_oid(oid):
            value = attr.value if isinstance(attr.value, str) else attr.value.decode()
            if value not in parts:
                parts.append(value)
    return ", ".join(parts) or cert.subject.rfc4514_string()


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool | None:
    """The basicConstraints CA flag; None when the extensions cannot be parsed (some real CA
    certificates carry policy texts cryptography refuses as non-DER)."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
    except ValueError:
        return None


def _validity(cert: x509.Certificate, moment: dt.datetime, label: str) -> tuple[Trust, str] | None:
    if moment < cert.not_valid_before_utc:
        return Trust.NOT_YET_VALID_AT_SIGNING, (
            f"certificate {describe(cert)!r} was not yet valid at {label} {_stamp(moment)} "
            f"(valid from {_stamp(cert.not_valid_before_utc)})"
        )
    if moment > cert.not_valid_after_utc:
        return Trust.EXPIRED_AT_SIGNING, (
            f"certificate {describe(cert)!r} had expired at {label} {_stamp(moment)} "
            f"(valid until {_stamp(cert.not_valid_after_utc)})"
        )
    return None


def evaluate_chain(
    leaf: x509.Certificate,
    carried: Sequence[x509.Certificate],
    store: TrustStore,
    times: Sequence[tuple[dt.datetime, str]],
) -> ChainReport:
    """Judge ``leaf`` (the signer) at each of ``times`` (``(moment, label)``, e.g. sigT).

    With no time the current time is used, and the report says so.
    """
    reasons: list[str] = []
    moments = list(times)
    if not moments:
        moments = [(dt.datetime.now(dt.UTC), "the time of reading")]
        reasons.append("the signature states no signing time: validity judged now")

    path = [leaf]
    anchored: x509.Certificate | None = None
    anchor_prints = {a.fingerprint(_SHA256): a for a in store.anchors}
    current = leaf
    for _ in range(_MAX_CHAIN):
        if current.fingerprint(_SHA256) in anchor_prints:
            anchored = current
            break
        anchor = next(
            (a for a in store.anchors if a.subject == current.issuer and _issued_by(current, a)),
            None,
        )
        if anchor is not None:
            anchored = anchor
            break
        if current.issuer == current.subject:
            break  # self-signed and not an anchor: the end of what the signature carries
        issuer = next(
            (
                c
                for c in carried
                if c.subject == current.issuer and c not in path and _issued_by(current, c)
            ),
            None,
        )
        if issuer is None:
            break
        is_ca = _is_ca(issuer)
        if is_ca is False:
            reasons.append(f"{describe(issuer)!r} is not a CA certificate")
            break
        if is_ca is None:
            reasons.append(
                f"the extensions of {describe(issuer)!r} cannot be parsed: its CA flag is not "
                "checked"
            )
        path.append(issuer)
        current = issuer

    worst: Trust | None = None
    for cert in [*path, *([anchored] if anchored is not None and anchored not in path else [])]:
        for moment, label in moments:
            problem = _validity(cert, moment, label)
            if problem is not None:
                worst = worst or problem[0]
                reasons.append(problem[1])
    if worst is None and leaf.not_valid_after_utc < dt.datetime.now(dt.UTC):
        reasons.append(
            f"the signer certificate expired on {_stamp(leaf.not_valid_after_utc)}; it was "
            f"valid at {moments[0][1]} {_stamp(moments[0][0])}"
        )

    chain = " <- ".join(repr(describe(c)) for c in path)
    if anchored is not None:
        reasons.append(f"chain {chain} leads to the trust anchor {describe(anchored)!r}")
    elif not store.configured:
        reasons.append(store.problem or NO_ANCHORS)
        reasons.append(
            f"chain carried by the signature: {chain} (issuer of the last: "
            f"{current.issuer.rfc4514_string()!r})"
        )
    else:
        reasons.append(
            f"chain {chain} does not lead to any of the {len(store.anchors)} trust anchors in "
            f"{store.source!r} (last issuer {current.issuer.rfc4514_string()!r})"
        )
    reasons.append(REVOCATION_NOT_CHECKED)
    if worst is not None:
        trust = worst
    elif anchored is not None:
        trust = Trust.ESTABLISHED
    else:
        trust = Trust.NOT_ESTABLISHED
    return ChainReport(trust, describe(leaf), tuple(reasons))


def load_der_list(values: Sequence[object]) -> tuple[list[x509.Certificate], list[str]]:
    """Certificates from base64 (standard, as in ``x5c``) DER strings; problems by index."""
    certs: list[x509.Certificate] = []
    problems: list[str] = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            problems.append(f"certificate {i} is not a base64 string")
            continue
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(value, validate=True)))
        except (binascii.Error, ValueError):
            problems.append(f"certificate {i} is not a base64 DER X.509 certificate")
    return certs, problems
