"""Credential importers: ELM v3 / EDC JSON-LD, Open Badges 3.0, plain JSON and CSV.

Entry points: :func:`registry.read_document` (one JSON or JWS credential, format detected or
forced) and :func:`csv_import.read_csv` (one credential per row). Both produce
:class:`app.core.credentials.ImportedCredential` values; nothing here touches the network, the
database or the reference data (levels are resolved by the service).
"""
