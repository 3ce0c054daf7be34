"""Checking the signatures and proofs credentials arrive with, offline.

* :mod:`.jose` — JWS in JSON serialisation (JAdES, as the European Digital Credentials seal
  them: RS256, unencoded payload ``b64:false`` per RFC 7797, ``x5c``, ``sigT``, B-LTA timestamps)
  and compact JWS/JWT (VC-JWT, Open Badges 3.0), with joserfc;
* :mod:`.x509` — the certificate chain of a seal against the configured trust anchors, judged
  at the signing time;
* :mod:`.data_integrity` — VC Data Integrity proofs (``eddsa-rdfc-2022``, ``ecdsa-rdfc-2019``,
  ``eddsa-jcs-2022``): RDFC-1.0 with pyld and the bundled contexts, keys from ``did:key``;
* :mod:`.trust` — the trust store (a directory of anchor certificates named in the settings).

Nothing here fetches anything: a key, context, trusted list or status list that is not at hand
is reported as "not checked" with the reason, never looked up.
"""

from __future__ import annotations

from app.adapters.verification.trust import TrustStore

__all__ = ["TrustStore"]
