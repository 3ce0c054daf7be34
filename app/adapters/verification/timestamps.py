"""RFC 3161 time-stamp tokens (JAdES ``sigTst``): when, and over what, the TSA says it stamped.

Only the TSTInfo is read (``genTime`` and the message imprint), with a minimal DER walk: the
imprint is compared with the JWS signature value it must cover (ETSI TS 119 182-1 §5.3.4.1:
the hash of the base64url signature value). The TSA's own CMS signature and certificate are
**not** verified, so a timestamp corroborates the signing time; it does not prove it, and the
report says so.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass

# DER of the hash algorithm OIDs a TSTInfo names (sha256/384/512, sha1).
_HASHES = {
    bytes.fromhex("608648016503040201"): "sha256",
    bytes.fromhex("608648016503040202"): "sha384",
    bytes.fromhex("608648016503040203"): "sha512",
    bytes.fromhex("2b0e03021a"): "sha1",
}


class _Malformed(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TimestampInfo:
    gen_time: dt.datetime
    covers_signature: bool  # the message imprint is the hash of the signature value


def _tlv(data: bytes, i: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``i``."""
    if i + 2 > len(data):
        raise _Malformed("truncated")
    tag, length = data[i], data[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or i + n > len(data):
            raise _Malformed("bad length")
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    if i + length > len(data):
        raise _Malformed("truncated")
    return tag, i, i + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    i = start
    while i < end:
        element = _tlv(data, i)
        out.append(element)
        i = element[2]
    return out


def _tst_info(token: bytes) -> bytes:
    """The DER TSTInfo inside a ContentInfo/SignedData time-stamp token."""
    _, s, e = _tlv(token, 0)
    content_info = _children(token, s, e)  # contentType OID, [0] content
    _, s, e = content_info[1]
    _, s, e = _children(token, s, e)[0]  # SignedData SEQUENCE
    signed_data = _children(token, s, e)  # version, digestAlgorithms, encapContentInfo, ...
    _, s, e = signed_data[2]
    encap = _children(token, s, e)  # eContentType, [0] eContent
    _, s, e = encap[1]
    _, s, e = _children(token, s, e)[0]  # OCTET STRING
    return token[s:e]


def read_timestamp(value: str, signature_value: str) -> TimestampInfo | None:
    """A base64 (DER) time-stamp token; None when it cannot be read."""
    try:
        token = base64.b64decode(value, validate=True)
        info = _tst_info(token)
        _, s, e = _tlv(info, 0)
        fields = _children(info, s, e)  # version, policy, messageImprint, serial, genTime
        _, s, e = fields[2]
        imprint = _children(info, s, e)
        _, s2, e2 = imprint[0]
        _, so, eo = _children(info, s2, e2)[0]
        algorithm = _HASHES.get(info[so:eo])
        digest = info[imprint[1][1] : imprint[1][2]]
        tag, s, e = fields[4]
        if tag != 0x18:
            return None
        text = info[s:e].decode("ascii").rstrip("Z").split(".")[0]
        gen_time = dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except (binascii.Error, ValueError, IndexError, UnicodeDecodeError):
        return None
    covers = (
        algorithm is not None
        and hashlib.new(algorithm, signature_value.encode("ascii")).digest() == digest
    )
    return TimestampInfo(gen_time, covers)
