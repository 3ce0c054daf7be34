"""Exports of what Passerelle knows in the ecosystem's formats (issue 15, item 1).

* :mod:`.skos` — frameworks, levels and their typed, sourced edges as SKOS (rdflib: Turtle,
  JSON-LD), and the reader that rebuilds them (round trip);
* :mod:`.ctdl` — CTDL JSON-LD: ``ceterms:QualificationsFramework`` with an
  ``asn:ProgressionModel`` of levels, ``ceterms:AlignmentMap`` of comparisons and crosswalks,
  ``ceterms:TransferValueProfile`` of articulation proposals;
* :mod:`.open_badges` — a recognition decision's level and outcomes as Open Badges 3.0
  ``Alignment`` objects.

Identifiers are minted once, in :mod:`.iris`. See ``docs/exports.md``.
"""
