"""The trust store: certificates of the authorities whose seals Passerelle trusts.

A directory of PEM or DER files (``.pem``, ``.crt``, ``.cer``, ``.der``), named by the setting
``credentials.trust_anchors_dir`` (env ``PASSERELLE_CREDENTIALS__TRUST_ANCHORS_DIR``). The EU
trusted lists (eIDAS LOTL) are not downloaded: an operator who wants EU qualified seals trusted
exports the relevant CA certificates into that directory. With no directory configured, trust
is reported as ``not_established`` with that reason, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509

_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


@dataclass(frozen=True, slots=True)
class TrustStore:
    """Anchor certificates (possibly none) and where they came from."""

    anchors: tuple[x509.Certificate, ...] = ()
    source: str | None = None  # the directory, for messages
    problem: str | None = None  # why the configured directory could not be used

    @property
    def configured(self) -> bool:
        return self.source is not None

    @classmethod
    def from_directory(cls, directory: Path | str | None) -> TrustStore:
        """Read every certificate in ``directory``; cached per directory and modification time.

        Raises:
            ValueError: the directory does not exist or a file in it is not a certificate
                (a misconfigured trust store must fail loudly at start-up, not silently trust
                nothing).
        """
        if directory is None or str(directory) == "":
            return cls()
        path = Path(directory)
        if not path.is_dir():
            raise ValueError(f"trust anchors directory {str(path)!r} does not exist")
        stamp = tuple(
            (f.name, f.stat().st_mtime_ns) for f in sorted(path.iterdir()) if _is_cert_file(f)
        )
        return _load(str(path.resolve()), stamp)

    @classmethod
    def from_settings(cls, settings: object) -> TrustStore:
        """The configured store. A directory that cannot be read is not an error of the request
        that happens to read a credential: trust is then not established, and every
        verification says why (a 500 per request would hide the misconfiguration instead)."""
        group = getattr(settings, "credentials", None)
        try:
            return cls.from_directory(getattr(group, "trust_anchors_dir", None))
        except (ValueError, OSError) as exc:
            return cls(problem=f"the configured trust anchors cannot be used: {exc}")


def _is_cert_file(path: Path) -> bool:
    return path.is_file() and path.suffix.casefold() in _SUFFIXES


@lru_cache(maxsize=8)
def _load(directory: str, stamp: tuple[tuple[str, int], ...]) -> TrustStore:
    anchors: list[x509.Certificate] = []
    for name, _ in stamp:
        data = (Path(directory) / name).read_bytes()
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                anchors.extend(x509.load_pem_x509_certificates(data))
            else:
                anchors.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise ValueError(f"{name} in {directory!r} is not an X.509 certificate") from exc
    return TrustStore(tuple(anchors), directory)
