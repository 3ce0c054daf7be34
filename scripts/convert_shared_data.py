#!/usr/bin/env python3
# ruff: noqa: E501  (curated research tables: long quoted source text is kept on one line)
"""One-off converter: shared research data (CSV) → Passerelle reference data (YAML).

Usage::

    python scripts/convert_shared_data.py SHARED_DATA_DIR OUT_DIR [--generated-on YYYY-MM-DD]

``SHARED_DATA_DIR`` is the shared ``data`` folder (with ``nqf/`` and ``eqf/``); ``OUT_DIR`` is the
repository root (the script writes ``frameworks/*.yaml``, ``mappings/confidence.yaml`` and
``mappings/crosswalks/*.yaml`` under it).

This script was run once by a human to create the repository's reference data. After that run the
YAML files are the source of truth and are edited by hand (bump ``version``, cite a source, run
``passerelle data check``). Nothing in the application or the test suite imports this script or
reads the shared folder.

Research corrections made after the first conversion are encoded in the CURATED tables below (not
hand-edited into the YAML), so re-running the script reproduces the committed files exactly (up to
the generation date in the header). Every curated entry names its source; the research behind it is
logged in ``docs/data-review.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any

import yaml

RETRIEVED = "2026-11-29"  # retrieval date of the shared data and of the research below
SCRIPT = "scripts/convert_shared_data.py"

# --------------------------------------------------------------------------------------------
# Identifiers and jurisdictions
# --------------------------------------------------------------------------------------------

#: EU-vocabulary (QDR) framework acronym → Passerelle framework id.
FRAMEWORK_IDS: dict[str, str] = {
    "HuQF": "HU-HUQF",
    "IE NQF": "IE-NFQ",
    "SCQF": "UK-SCT-SCQF",
    "IT NQF": "IT-NQF",
    "QDG": "BE-DG-QDG",
    "HQF": "GR-HQF",
    "SQF": "SI-SQF",
    "TQF": "TR-TQF",
    "CLQ": "LU-CLQ",
    "NNMQF": "MK-NNMQF",
    "FiNQF": "FI-FINQF",
    "ISQF": "IS-ISQF",
    "CQFW": "UK-WLS-CQFW",
    "AT: NQF": "AT-NQF",
    "SKKR": "SK-SKKR",
    "MQF": "MT-MQF",
    "CROQF": "HR-CROQF",
    "QNQ": "PT-QNQ",
    "NLQF": "NL-NLQF",
    "DK NQF": "DK-NQF",
    "NQFS": "RS-NQFS",
    "ME NQF": "ME-NQF",
    "PQF": "PL-PQF",
    "LTQF": "LT-LTQF",
    "LQF": "LV-LQF",
    "NKR": "NO-NKR",
    "NSK": "CZ-NSK",
    "CyQF": "CY-CYQF",
    "NQFL": "LI-NQFL",
    "BQF": "BG-BQF",
    "NQF RNCP": "FR-CNCP",
    "RQF": "UK-RQF",
    "AQF": "AL-AQF",
    "SeQF": "SE-SEQF",
    "BH NQF": "BA-NQF",
    "ROQF": "RO-ROQF",
    "MECU": "ES-MECU",
    "EstQF": "EE-ESTQF",
    "FQF": "BE-FL-FQF",
    "DQR": "DE-DQR",
    "CFC": "BE-FR-CFC",
    "KS NQF": "XK-NQF",
    "NQF VPET": "CH-NQF-VPET",
}

#: Jurisdiction labels of the shared CSVs that are not already codes.
JURISDICTION_CODES: dict[str, list[str]] = {
    "BE (German-speaking Community)": ["BE-DG"],
    "BE (Flemish Community)": ["BE-FL"],
    "BE (French Community)": ["BE-FR"],
    "GB-ENG;GB-NIR": ["GB-ENG", "GB-NIR"],
}

# --------------------------------------------------------------------------------------------
# Sources (declared once here; each file declares the ones it uses)
# --------------------------------------------------------------------------------------------

EU_REUSE = (
    "© European Union; reuse authorised with acknowledgement of the source "
    "(Commission Decision 2011/833/EU)"
)

SOURCES: dict[str, dict[str, Any]] = {
    "eu-qdr-vocabulary": {
        "title": (
            "EU Vocabularies — qualification framework levels concept scheme (QDR/NQF), as embedded "
            "in european-commission-empl/European-Learning-Model @ "
            "9d7c5d22002237c3afeb1750b7038e6fe2cdd371, xsd/loq/cv/nqf.xsd"
        ),
        "url": "http://data.europa.eu/snb/qdr/25831c2",
        "licence": EU_REUSE + "; the European-Learning-Model repository is EUPL-1.2",
        "note": "Framework and level URIs and English labels (381 level concepts, 43 frameworks).",
    },
    "esco-qdr-ids": {
        "title": (
            "ESCO qualification-framework identifiers (http://data.europa.eu/esco/qdr/QF/<code>) as "
            "listed in lheo/loms-schema @ d1ca7f2b14eb73562df4e946c3e7d903e3cc1331, "
            "src/1.0.0/loms.xsd (QualificationFrameworkEnumType)"
        ),
        "url": "https://github.com/lheo/loms-schema",
        "licence": "ESCO, European Commission (identifiers only; the repository has no licence file)",
    },
    "europass-compare": {
        "title": "Europass — Compare qualifications frameworks (results of national EQF referencing)",
        "url": "https://europass.europa.eu/en/compare-qualifications",
        "licence": EU_REUSE,
    },
    "tabiya-europass-scrape": {
        "title": (
            "Europass 'Compare qualifications' data as scraped in "
            "tabiya-tech/tabiya-livelihoods-classifier @ 2d68d55ac53871a24b777918f2caff08593a5f38, "
            "inference/files/qualifications.csv"
        ),
        "url": "https://github.com/tabiya-tech/tabiya-livelihoods-classifier",
        "licence": "CC BY 4.0 (tabiya compilation, DATA_LICENSE); Europass content " + EU_REUSE,
        "note": (
            "Qualification types and examples per (country, EQF level); 814 rows, 30 jurisdictions. "
            "Used to cross-check EQF levels and as the source of qualification types."
        ),
    },
    "pearson-eqf-table": {
        "title": (
            "Pearson qualifications — 'How do EQF levels compare with other qualification "
            "frameworks?' (EQF / SCQF / RQF / CQFW comparison table)"
        ),
        "url": (
            "https://qualifications.pearson.com/en/support/support-topics/"
            "understanding-our-qualifications/frameworks-eqf.html"
        ),
        "licence": "© Pearson; facts (level correspondences) only, no text copied",
        "note": (
            "The shared provenance names the page 'frameworks-scqf'; the same table is on the "
            "'frameworks-eqf' page, whose address is given here. A secondary source: Pearson calls "
            "it 'a rough comparison'."
        ),
    },
    "qcb-leaflet": {
        "title": (
            "Qualifications can cross boundaries — a guide to comparing qualifications in the UK and "
            "Ireland (QAA, CCEA Regulation, Ofqual, Qualifications Wales, QQI, SCQF Partnership; "
            "UK and Ireland Qualifications Frameworks and Policy Group), Table 1 'correspondence "
            "of levels established between national qualifications frameworks and the EQF' and "
            "Table 2 (higher-education frameworks FHEQ, FQHEIS/SCQF, NFQ IE and FQ-EHEA cycles)"
        ),
        "url": "https://www.qaa.ac.uk/",
        "licence": "© the publishing bodies; facts (level correspondences) only, no text copied",
        "note": (
            "Several editions (QCF-era and RQF-era; 8th edition August 2023, published by QAA on "
            "behalf of the UK and Ireland Qualifications Frameworks and Policy Group). Table 1 is "
            "identical in the editions read (copies at docslib.org/doc/5620981, docslib.org/doc/"
            "9371559, yumpu.com/en/document/view/26544243, scribd.com/document/751147681)."
        ),
    },
    "eni-referencing-2019": {
        "title": (
            "Referencing the Qualifications Frameworks of England and Northern Ireland to the "
            "European Qualifications Framework (Ofqual, CCEA Regulation, QAA; October 2019), "
            "Annex 2 'Mapping the RQF and the FHEQ to the EQF'"
        ),
        "url": "https://docslib.org/doc/9600148/qualifications-frameworks-of-england-and-northern-ireland-to-the-european-qualifications-framework",
        "licence": "© the publishing bodies; facts only",
        "note": (
            "Only the table of contents and introduction were readable here ('In 2010, the UK "
            "presented to the EQF Advisory Group its report on referencing three UK qualifications "
            "frameworks to the EQF'); the level table itself was not read."
        ),
    },
    "enic-naric-is-isqf": {
        "title": "ENIC/NARIC Iceland — The Icelandic Qualifications Framework (ISQF) table",
        "url": "https://english.enicnaric.is/isqf.html",
    },
    "cedefop-nqf-online-tool": {
        "title": "Cedefop — NQF online tool / European inventory of NQFs (country pages)",
        "url": "https://www.cedefop.europa.eu/en/tools/nqf-online-tool",
        "licence": "© Cedefop; reuse authorised with acknowledgement (CC BY 4.0 where stated)",
    },
    "cyqf-diagram": {
        "title": "Cyprus Qualifications Framework (CyQF) — official diagram",
        "url": "https://www.cyqf.gov.cy/index.php/el/diagramma",
    },
    "cedefop-news-nkr": {
        "title": (
            "Cedefop news — Norway: reviewing the Norwegian qualifications framework, focus on "
            "higher VET qualifications"
        ),
        "url": "https://www.cedefop.europa.eu/en/news/norway-reviewing-norwegian-qualifications-framework-focus-higher-vet-qualifications",
        "licence": "© Cedefop; reuse authorised with acknowledgement",
        "note": (
            "'The Norwegian National qualifications framework (NKR) was adopted in 2011 and "
            "referenced to the EQF in 2014' … 'the referencing report of 2012 states that NKR level "
            "5.1 (tertiary vocational qualifications 1), has a weak compliance with the EQF. Level "
            "5.2 … and level 6 … are considered as matching only partially.'"
        ),
    },
    "cedefop-iceland-2022": {
        "title": "Cedefop — European inventory of NQFs, Iceland 2022",
        "url": "https://www.cedefop.europa.eu/en/tools/nqfs-online-tool/countries/iceland-2022",
        "licence": "© Cedefop; reuse authorised with acknowledgement",
        "note": "'the Compulsory School Act No 91/2008 (ISQF level 1 covers EQF level 2)'.",
    },
    "cedefop-north-macedonia-2020": {
        "title": "Cedefop — European inventory of NQFs, North Macedonia 2020",
        "url": "https://www.cedefop.europa.eu/pt/tools/nqfs-online-tool/countries/north-macedonia-2020",
        "licence": "© Cedefop; reuse authorised with acknowledgement",
        "note": (
            "'a comprehensive, lifelong learning framework, consisting of eight levels, of which "
            "levels 5 to 7 have two sublevels each' … 'It referenced its NQF to the european "
            "qualifications framework and self-certified against the Bologna framework in "
            "higher education in 2016.'"
        ),
    },
    "mk-referencing-report": {
        "title": (
            "Referencing the Macedonian Qualifications Framework to the EQF (report, criterion 2; "
            "Table 37 'Comparison of the Macedonian Qualifications Framework and the EQF levels')"
        ),
        "url": "http://genderi.org/detailed-roadmap-for-the-eqf-referencing-of-the-nqf-in-fyrom/genderi.org/detailed-roadmap-for-the-eqf-referencing-of-the-nqf-in-fyrom.html?page=18",
        "note": (
            "Third-party copy. 'Both MQF and EQF have eight levels … the MQF level V, level VI and "
            "level VII have two sub-levels each. The sub-level VB is related only to the labour "
            "market. The sub-level VA is related to the labour market as well as could be part of "
            "first cycle study programmes.' Table 37 itself was not legible in the copy."
        ),
    },
    "me-referencing-2014": {
        "title": (
            "Referencing the Montenegrin Qualifications Framework to the EQF and the QF-EHEA — "
            "final report (November 2014); EQF Advisory Group decision at the end of 2014"
        ),
        "url": "https://docplayer.net/9150427-Final-report-montenegro.html",
        "note": (
            "Only the table of contents was readable. The end-2014 EQF Advisory Group decision is "
            "reported by juventas.co.me ('at the end of 2014 the Advisory Group for the EQF … "
            "adopted a decision on the compliance of the Montenegrin…')."
        ),
    },
    "eqf-recommendation-2017": {
        "title": (
            "Council Recommendation of 22 May 2017 on the European Qualifications Framework for "
            "lifelong learning (2017/C 189/03), Annexes II and III"
        ),
        "url": "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32017H0615(01)",
        "licence": "EUR-Lex legal text; " + EU_REUSE,
    },
    "eu-eqf-vocabulary": {
        "title": "EU Vocabularies — EQF levels (http://data.europa.eu/snb/eqf/<n>); ESCO EQF URIs",
        "url": "http://data.europa.eu/snb/eqf/25831c2",
        "licence": EU_REUSE,
        "note": (
            "Level URIs as in the ELM vocabulary eqf.xsd; concept-scheme URI as used in the ELM "
            "SHACL shapes (european-commission-empl/European-Learning-Model @ 9d7c5d2, "
            "rdf/ap/edc/EDC-generic-full.ttl). ESCO URIs http://data.europa.eu/esco/eqf/<n>."
        ),
    },
    "legifrance-decret-2019-14": {
        "title": (
            "Décret n° 2019-14 du 8 janvier 2019 relatif au cadre national des certifications "
            "professionnelles (JORF n°0007 du 9 janvier 2019, texte n° 11); code du travail "
            "art. D. 6113-18 à D. 6113-20"
        ),
        "url": "https://www.legifrance.gouv.fr/eli/decret/2019/1/8/MTRD1834949D/jo/texte",
        "licence": "Légifrance — French official legal text, free reuse (Licence Ouverte / Etalab 2.0)",
        "note": (
            "'Entrée en vigueur : le texte entre en vigueur le lendemain de sa publication' "
            "(published 9 January 2019 → in force 10 January 2019). Article 1 classes certifications "
            "of the 1969 nomenclature into the new framework: V→3, IV→4, III→5, II→6, I→7."
        ),
    },
    "insee-cncp": {
        "title": "INSEE — Définition : Cadre national des certifications professionnelles",
        "url": "https://insee.fr/fr/metadonnees/definition/c2296",
        "licence": "INSEE content, free reuse (Licence Ouverte / Etalab 2.0)",
        "note": (
            "'Ce cadre est cohérent avec le Cadre européen des certifications' … 'Les niveaux 7 et "
            "8 correspondent à l'ancien niveau I'; level 8 = doctorat."
        ),
    },
    "travail-emploi-cncp": {
        "title": "Ministère du Travail — Le cadre national des certifications professionnelles",
        "url": (
            "https://travail-emploi.gouv.fr/formation-professionnelle/"
            "reconnaissance-et-certification-des-competences-professionnelles/article/"
            "le-cadre-national-des-certifications-professionnelles"
        ),
        "licence": "French government content, free reuse (Licence Ouverte / Etalab 2.0)",
        "note": (
            "States the aim to 'aligner la nomenclature française sur la nomenclature définie par "
            "le cadre européen des certifications'."
        ),
    },
    "ie-diploma-supplement": {
        "title": (
            "Irish National Diploma Supplement template (Europass), table 'EQF level / EHEA "
            "framework / NFQ level / NFQ major award-types'"
        ),
        "url": "https://www.yumpu.com/en/document/view/34047621/see-the-national-diploma-supplement-template-europass/5",
        "note": (
            "Lists NFQ Level 7 'Ordinary Bachelor Degree'; NFQ Level 8 'Honours Bachelor Degree; "
            "Higher Diploma' (both EQF 6, first cycle); NFQ 1 'Level 1 Certificate', NFQ 2 'Level 2 "
            "Certificate' (both EQF 1). Read via a third-party copy."
        ),
    },
    "nfq-ie-award-types": {
        "title": "NFQ (nfq.ie / QQI) — Framework levels & award types; the NFQ 'fan' diagram",
        "url": "http://www.nfq.ie/nfq/en/about_NFQ/framework_levels_award_types.html",
        "note": (
            "Major award-types per level (16 major awards shown in the fan diagram). Corroborated by "
            "nightcourses.com: 'The Honours Bachelor Degree and the Higher Diploma both fall at "
            "Level 8'; 'Ordinary Bachelor Degrees are at Level 7'."
        ),
    },
    "aqf-2013": {
        "title": "Australian Qualifications Framework, Second Edition (January 2013)",
        "url": "https://www.aqf.edu.au/",
        "licence": "AQF Council / Commonwealth of Australia, CC BY (attribution)",
    },
    "aqf-eqf-joint-report-2016": {
        "title": (
            "Comparative Analysis of the Australian Qualifications Framework and the European "
            "Qualifications Framework for Lifelong Learning — Joint Technical Report (2016)"
        ),
        "url": "https://doi.org/10.2767/899976",
        "licence": "CC BY 3.0 AU",
        "note": "Exists; its level-to-level result could not be read here (see data-review).",
    },
    "nzqa-nzqf": {
        "title": (
            "NZQA — Understanding New Zealand qualifications; Qualification and Micro-credential "
            "Listing and Operational Rules 2022, Appendix 'NZQCF structure — levels … and "
            "qualification types'"
        ),
        "url": "http://www.nzqa.govt.nz/studying-in-new-zealand/understand-nz-quals/",
        "licence": "NZQA, Crown copyright (reuse under CC BY 4.0 NZ where stated)",
        "note": (
            "Rules appendix: 1–4 Certificate; 5–6 Certificate, Diploma; 7 Diploma, Graduate "
            "Certificate, Graduate Diploma, Bachelor's Degree; 8 Post-graduate Certificate, "
            "Post-graduate Diploma, Bachelor Honours Degree; 9 Master's Degree; 10 Doctoral Degree."
        ),
    },
    "asean-aqrf": {
        "title": "ASEAN Qualifications Reference Framework (endorsed 2014–2015)",
        "url": "https://asean.org/",
    },
}

# --------------------------------------------------------------------------------------------
# CURATED tables (research; see docs/data-review.md)
# --------------------------------------------------------------------------------------------

#: Year (or date) of EQF referencing, only where a source or the shared basis text states it.
REFERENCING_DATES: dict[str, tuple[str, str]] = {
    "IE-NFQ": ("2009", "shared basis text: 'Irish NFQ (10 levels) referenced 2009'"),
    "SI-SQF": ("2014", "shared basis text: 'Slovenian SQF (10 levels) referenced 2014'"),
    "NO-NKR": ("2014", "shared basis text: 'Norway NKR (referenced 2014)'"),
    "FR-CNCP": (
        "2010",
        "shared basis text: 'Old French RNCP nomenclature … as used in the 2010 referencing'",
    ),
    "MK-NNMQF": (
        "2016",
        "Cedefop NQF inventory, North Macedonia 2020: referenced and self-certified in 2016",
    ),
    "ME-NQF": (
        "2014",
        "EQF Advisory Group decision at the end of 2014 on the Montenegrin referencing report (November 2014)",
    ),
    "IS-ISQF": (
        "2014",
        "Reference report of the ISQF to the EQF, Ministry of Education, Science and Culture, March 2014 (docslib copy)",
    ),
    "UK-RQF": (
        "2010",
        "'In 2010, the UK presented to the EQF Advisory Group its report on referencing three UK "
        "qualifications frameworks to the EQF' (England/NI referencing report, 2019, introduction); "
        "an updated England/Northern Ireland (RQF) referencing report is dated October 2019",
    ),
    "UK-WLS-CQFW": (
        "2010",
        "UK referencing report of 2010 (three UK frameworks), as cited in the 2019 England/NI report",
    ),
    "UK-SCT-SCQF": (
        "2010",
        "UK referencing report of 2010 (three UK frameworks), as cited in the 2019 England/NI report",
    ),
}

REFERENCING_NOTES: dict[str, str] = {
    "UK-RQF": (
        "The United Kingdom left the EU on 31 January 2020; the referencing results remain the "
        "published correspondence (the UK–Ireland leaflet of 2023 still prints them)."
    ),
    "UK-WLS-CQFW": (
        "The United Kingdom left the EU on 31 January 2020; the referencing results remain the "
        "published correspondence (the UK–Ireland leaflet of 2023 still prints them)."
    ),
    "UK-SCT-SCQF": (
        "The United Kingdom left the EU on 31 January 2020; the referencing results remain the "
        "published correspondence (the UK–Ireland leaflet of 2023 still prints them)."
    ),
    "AL-AQF": "Referencing status/year not recorded in the shared data; check Europass/Cedefop before claiming 'officially referenced'.",
    "BA-NQF": "Referencing status/year not recorded in the shared data; check Europass/Cedefop before claiming 'officially referenced'.",
    "ES-MECU": "Referencing status/year not recorded in the shared data; check Europass/Cedefop before claiming 'officially referenced'.",
}

#: Frameworks whose levels 1–8 were checked against a source beyond the default (see data-review).
UK_TABLE1_BASIS = (
    "'Qualifications can cross boundaries' Table 1 ('correspondence of levels established between "
    "national qualifications frameworks and the EQF'): EQF 8↔RQF/CQFW 8↔SCQF 12↔NFQ 10; 7↔7↔7↔11↔9; "
    "6↔6↔6↔10/9↔8/7; 5↔5/4↔5/4↔8/7↔6; 4↔3↔3↔6↔5; 3↔2↔2↔5↔4; 2↔1↔1↔4↔3; 1↔E3↔E3↔3↔2/1; "
    "no EQF level for RQF/CQFW E2, E1 and SCQF 2, 1. Same table on Pearson's EQF page."
)

#: (framework id, level code) → replacement fields of the EQF edge (research results).
EDGE_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {}
for _code in ["3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]:
    EDGE_OVERRIDES[("UK-SCT-SCQF", _code)] = {
        "confidence": "high",
        "sources": ["qcb-leaflet", "pearson-eqf-table"],
        "basis": "SCQF (12 levels) referenced with the UK frameworks in 2010. " + UK_TABLE1_BASIS,
    }
for _code in ["Entry 3", "1", "2", "3", "4", "5", "6", "7", "8"]:
    EDGE_OVERRIDES[("UK-RQF", _code)] = {
        "confidence": "high",
        "sources": ["qcb-leaflet", "pearson-eqf-table"],
        "basis": "RQF (Entry 1–3, 1–8). " + UK_TABLE1_BASIS,
    }
for _code in ["1", "2", "3", "4", "5", "6", "7", "8"]:
    EDGE_OVERRIDES[("UK-WLS-CQFW", _code)] = {
        "confidence": "high",
        "sources": ["qcb-leaflet", "pearson-eqf-table"],
        "basis": "CQFW levels as the RQF's. " + UK_TABLE1_BASIS,
    }
EDGE_OVERRIDES[("UK-WLS-CQFW", "Entry 1-3")] = {
    "match_type": "related",
    "confidence": "medium",
    "sources": ["qcb-leaflet", "pearson-eqf-table"],
    "basis": (
        "The EU vocabulary has one concept 'CQFW Entry 1-3', but the UK–Ireland leaflet (Table 1) "
        "and Pearson list CQFW Entry 3 (E3) at EQF 1 and E2/E1 with no EQF level. The grouped "
        "concept therefore only partly overlaps EQF 1 (its E3 part): 'related', medium."
    ),
}
ISQF_TABLE = (
    "ENIC/NARIC Iceland ISQF table (ISQF | descriptors | EQF): 7→8, 6.2→7, 6.1→7, 5.2→6, 5.1→6."
)
for _code, _eqf in [("5.1", 6), ("5.2", 6), ("6.1", 7), ("6.2", 7), ("7", 8)]:
    EDGE_OVERRIDES[("IS-ISQF", _code)] = {
        "confidence": "high",
        "sources": ["enic-naric-is-isqf", "tabiya-europass-scrape"],
        "basis": ISQF_TABLE
        + " Europass data agree (bachelor degrees at EQF 6, master at 7, doctoral at 8).",
    }
EDGE_OVERRIDES[("IS-ISQF", "1")] = {
    "confidence": "medium",
    "sources": ["cedefop-iceland-2022", "tabiya-europass-scrape"],
    "basis": (
        "Cedefop (Iceland 2022): 'ISQF level 1 covers EQF level 2'. Kept medium because the Europass "
        "data also list Icelandic 'Special education programmes' at EQF 1, which no ISQF level "
        "is referenced to (sources partly conflict)."
    ),
}
for _code, _eqf, _ev in [
    (
        "2",
        3,
        "'Upper secondary school leaving certificate', 'Certificate in adult education' at EQF 3",
    ),
    ("3", 4, "'Other final examinations on level 3' and the matriculation examination at EQF 4"),
    ("4", 5, "'Vocational examination for professional rigths on level 4' at EQF 5"),
]:
    EDGE_OVERRIDES[("IS-ISQF", _code)] = {
        "confidence": "medium",
        "sources": ["tabiya-europass-scrape", "enic-naric-is-isqf"],
        "basis": (
            f"Inferred from the Europass compare data ({_ev}); the ENIC/NARIC Iceland table has a "
            f"row for ISQF {_code} but its EQF cell was not legible in the copy read, so this stays "
            "medium."
        ),
    }
for _code in ["5 A", "5 B", "6 A", "6 B", "7 A", "7 B"]:
    EDGE_OVERRIDES[("MK-NNMQF", _code)] = {
        "confidence": "high",
        "sources": ["cedefop-north-macedonia-2020", "mk-referencing-report"],
        "basis": (
            f"Sublevel {_code} is part of MQF level {_code[0]} ('eight levels, of which levels 5 to 7 "
            "have two sublevels each', Cedefop 2020; the referencing report: 'Both MQF and EQF have "
            "eight levels … level V, level VI and level VII have two sub-levels each'); the "
            f"framework (referenced 2016) links level {_code[0]} to EQF {_code[0]}."
        ),
    }
for _code in ["1.1", "1.2", "4.1", "4.2", "7.1", "7.2"]:
    EDGE_OVERRIDES[("ME-NQF", _code)] = {
        "sources": ["europass-compare", "me-referencing-2014"],
        "basis": (
            f"Montenegro (referenced end of 2014): sublevel {_code} mapped to the EQF level of its "
            "integer part. Not confirmed: the referencing report's level table could not be read "
            "here and Montenegro is absent from the Europass scrape; kept medium."
        ),
    }
for _code in ["5.1", "5.2"]:
    EDGE_OVERRIDES[("NO-NKR", _code)] = {
        "basis": (
            "Norway NKR (referenced 2014): tertiary vocational education (fagskole) at EQF 5 in the "
            "Europass data (two rows: 30–90 and 90–120 credits). Kept medium: Cedefop reports that "
            "the 2012 referencing report judged NKR 5.1 of 'weak compliance' with the EQF and 5.2 "
            "'matching only partially', and the NKR was under review for higher VET."
        ),
    }
for _code in ["6.1", "6.2"]:
    EDGE_OVERRIDES[("NO-NKR", _code)] = {
        "sources": ["eu-qdr-vocabulary", "cedefop-news-nkr"],
        "basis": (
            f"NKR {_code} exists in the EU vocabulary (a later NKR revision for higher VET, see the "
            "Cedefop news on the review) but no source read here states its EQF level; mapped to "
            "EQF 6 by the integer-part rule. Medium."
        ),
    }

IE_BASIS = (
    "Irish NFQ (10 levels) referenced 2009: NFQ 1–2→EQF 1, 3→2, 4→3, 5→4, 6→5, 7–8→6, 9→7, 10→8. "
    "Same correspondence in the UK–Ireland leaflet Table 1 (NFQ 2/1↔EQF 1 … 8/7↔EQF 6), in the "
    "Irish diploma-supplement table (Europass) and in the Europass compare data (Level 5 "
    "Certificate→EQF 4, Ordinary and Honours Bachelor→EQF 6)."
)
for _code in [str(n) for n in range(1, 11)]:
    EDGE_OVERRIDES[("IE-NFQ", _code)] = {
        "sources": [
            "europass-compare",
            "tabiya-europass-scrape",
            "qcb-leaflet",
            "ie-diploma-supplement",
        ],
        "basis": IE_BASIS,
    }

#: Texts for levels with no EQF edge (framework id, level code) → reason.
NOT_REFERENCED: dict[tuple[str, str], str] = {
    ("UK-SCT-SCQF", "1"): (
        "Not referenced to the EQF: SCQF levels 1–2 lie below EQF level 1 (the UK–Ireland leaflet "
        "Table 1 and Pearson's table give no EQF level for SCQF 1 and 2)."
    ),
    ("UK-SCT-SCQF", "2"): (
        "Not referenced to the EQF: SCQF levels 1–2 lie below EQF level 1 (the UK–Ireland leaflet "
        "Table 1 and Pearson's table give no EQF level for SCQF 1 and 2)."
    ),
    ("UK-RQF", "Entry Levels 1-2"): (
        "Not referenced to the EQF: RQF Entry 1 and Entry 2 lie below EQF level 1 (UK–Ireland "
        "leaflet Table 1 and Pearson's table list E2/E1 with no EQF level; Entry 3 ↔ EQF 1)."
    ),
    ("NL-NLQF", "Entry"): "Not referenced to the EQF: the NLQF entry level lies below EQF level 1.",
    ("MT-MQF", "A"): (
        "Not referenced to the EQF: MQF introductory level A lies below EQF level 1 "
        "(MQF levels 1–8 are referenced one-to-one)."
    ),
    ("MT-MQF", "B"): (
        "Not referenced to the EQF: MQF introductory level B lies below EQF level 1 "
        "(MQF levels 1–8 are referenced one-to-one)."
    ),
    ("BG-BQF", "0"): (
        "Not referenced to the EQF: BQF level 0 (preparatory) lies below EQF level 1 "
        "(BQF levels 1–8 are referenced one-to-one)."
    ),
}

#: France: the new CNCP levels (décret n° 2019-14), in force from the day after publication.
FR_SWITCH = "2019-01-10"
FR_NEW_LEVELS: list[dict[str, Any]] = []
for _n in range(1, 9):
    if _n >= 3:
        _edge = {
            "level": _n,
            "match_type": "exact",
            "confidence": "high",
            "sources": [
                "legifrance-decret-2019-14",
                "insee-cncp",
                "europass-compare",
                "tabiya-europass-scrape",
            ],
            "basis": (
                f"CNCP level {_n} (décret n° 2019-14, code du travail art. D. 6113-19) uses the EQF "
                f"numbering; Europass compare data show French qualification types at EQF {_n} "
                "under the new levels (e.g. 'Professional qualifications level 6' at EQF 6)."
            ),
        }
    else:
        _edge = {
            "level": _n,
            "match_type": "exact",
            "confidence": "medium",
            "sources": [
                "legifrance-decret-2019-14",
                "travail-emploi-cncp",
                "europass-compare",
                "tabiya-europass-scrape",
            ],
            "basis": (
                f"CNCP level {_n} is defined by the décret (level 1 = 'maîtrise des savoirs de base') "
                "with the declared aim of aligning on the EQF, but the Europass compare data show "
                "no French qualification at this EQF level ('No comparison possible (no "
                "descriptors)' at EQF 1, 'No qualifications registers available yet' at EQF 2); "
                "hence medium."
            ),
        }
    FR_NEW_LEVELS.append(
        {
            "code": str(_n),
            "label": f"CNCP niveau {_n} (cadre national des certifications professionnelles, level {_n})",
            "valid_from": FR_SWITCH,
            "eqf": [_edge],
        }
    )

FR_SUCCESSORS: dict[str, tuple[str, str, str]] = {
    # old code: (new code, confidence, basis)
    "V": ("3", "high", "Décret n° 2019-14, art. 1: niveau V → niveau 3."),
    "IV": ("4", "high", "Décret n° 2019-14, art. 1: niveau IV → niveau 4."),
    "III": ("5", "high", "Décret n° 2019-14, art. 1: niveau III → niveau 5."),
    "II-Grade de Licence": ("6", "high", "Décret n° 2019-14, art. 1: niveau II → niveau 6."),
    "I-Master": ("7", "high", "Décret n° 2019-14, art. 1: niveau I → niveau 7."),
    "I-Doctorat": (
        "8",
        "high",
        "Décret n° 2019-14 classes old level I at 7 by default; the doctorat is classed at level 8 "
        "(code du travail D. 6113-19; INSEE: 'Les niveaux 7 et 8 correspondent à l'ancien niveau I'; "
        "level-I certifications were to be reclassified at 7 or 8 by 1 January 2020).",
    ),
}

#: Europass rows that are placeholders, not qualification types.
SKIP_TYPES: set[tuple[str, str]] = {
    ("FR", "No qualifications registers available yet"),
    ("FR", "No comparison possible (no descriptors)"),
}

#: Rows that are example qualifications (beyond the automatic "TYPE in/of …" prefix rule).
EXAMPLES: set[tuple[str, str]] = {
    ("IE", "Doctor of Philosophy in Social Science"),
    ("IE", "Doctor of Science"),
    ("IE", "Master of Engineering"),
    ("BG", "Theory and History of Literature, Telecommunications"),
    ("BG", "Architecture"),
    ("BG", "Housing Policy and Real Estate"),
    ("BG", "Management"),
    ("BG", "Speech Therapy"),
    ("BG", "Social work"),
    ("BG", "Psychology"),
    ("BG", "Health Care, Tourism, Economics"),
    ("BG", "Education and Training"),
    ("BG", "Beauty Therapy"),
    ("BG", "Men’s Hairdressing/Barbering"),
}

#: Placement of Europass types where the EQF level holds several NQF levels:
#: (jurisdiction, eqf level, name) → [(level code, [sources])]. A name listed twice at one EQF
#: level in the Europass data (IE "Professional Award" at EQF 6) is placed at each listed code.
_IE_SRC = ["tabiya-europass-scrape", "ie-diploma-supplement", "nfq-ie-award-types"]
TYPE_PLACEMENTS: dict[tuple[str, int, str], list[tuple[str, list[str]]]] = {
    ("IE", 6, "Honours Bachelor Degree"): [("8", _IE_SRC)],
    ("IE", 6, "Honours Bachelor Degree in Construction Management"): [("8", _IE_SRC)],
    ("IE", 6, "Higher Diploma"): [("8", _IE_SRC)],
    ("IE", 6, "Higher Diploma in Legal Studies"): [("8", _IE_SRC)],
    ("IE", 6, "Ordinary Bachelor Degree"): [("7", _IE_SRC)],
    ("IE", 6, "Ordinary Bachelor Degree in Accounting & Finance"): [("7", _IE_SRC)],
    ("IE", 1, "Level 2 Certificate"): [("2", _IE_SRC)],
    ("IE", 1, "Level 1 Certificate"): [("1", _IE_SRC)],
    # Named after its own SQF level in the Europass data itself:
    ("SI", 4, "Certificate of supplementary qualification (SQF level 4)"): [
        ("4", ["tabiya-europass-scrape"])
    ],
    ("SI", 4, "Certificate of supplementary qualification (SQF level 5)"): [
        ("5", ["tabiya-europass-scrape"])
    ],
}

# --------------------------------------------------------------------------------------------
# Non-European frameworks (no EQF edges)
# --------------------------------------------------------------------------------------------

NON_EUROPEAN: dict[str, dict[str, Any]] = {
    "AQF-AU": {
        "id": "AU-AQF",
        "title": "Australian Qualifications Framework",
        "acronym": "AQF",
        "kind": "national",
        "jurisdictions": ["AU"],
        "other_uris": ["https://www.aqf.edu.au/"],
        "sources": ["aqf-2013", "aqf-eqf-joint-report-2016"],
        "type_sources": ["aqf-2013"],
        "not_referenced": (
            "No EQF edge recorded. The AQF–EQF Joint Technical Report (2016, doi:10.2767/899976) "
            "compares the two frameworks, but its level-to-level result could not be read for "
            "this data release, so no correspondence is asserted."
        ),
        "referencing_note": (
            "Not referenced to the EQF (only EU member and candidate/EEA countries reference). A "
            "comparison exists: AQF–EQF Joint Technical Report 2016 (result not transcribed)."
        ),
        "notes": (
            "Levels and qualification types per level from the AQF Second Edition (2013). The "
            "AQF–EQF Joint Technical Report (2016) compares the frameworks (Appendix 1 'Technical "
            "comparison of the AQF and EQF levels'); only its front matter could be read here."
        ),
    },
    "NZQF-NZ": {
        "id": "NZ-NZQF",
        "title": "New Zealand Qualifications Framework (now New Zealand Qualifications and Credentials Framework, NZQCF)",
        "acronym": "NZQF",
        "kind": "national",
        "jurisdictions": ["NZ"],
        "other_uris": [
            "https://www2.nzqa.govt.nz/qualifications-and-standards/understand-nz-quals/"
        ],
        "sources": ["nzqa-nzqf"],
        "type_sources": ["nzqa-nzqf"],
        "not_referenced": "No formal NZQF–EQF referencing or published level comparison is known; no EQF level is inferred.",
        "referencing_note": "No formal NZQF–EQF referencing or comparison known.",
        "notes": (
            "Qualification types per level checked against the NZQA listing rules 2022 appendix "
            "(the NZQF is now called the NZ Qualifications and Credentials Framework, NZQCF, and "
            "also lists micro-credentials at every level)."
        ),
    },
    "AQRF": {
        "id": "ASEAN-AQRF",
        "title": "ASEAN Qualifications Reference Framework",
        "acronym": "AQRF",
        "kind": "regional",
        "jurisdictions": ["ASEAN"],
        "other_uris": [],
        "sources": ["asean-aqrf"],
        "type_sources": [],
        "not_referenced": (
            "No formal AQRF–EQF alignment exists (the EU SHARE programme produced comparative "
            "studies only); no EQF level is inferred."
        ),
        "referencing_note": "A regional reference framework; no formal alignment with the EQF.",
        "notes": (
            "Eight-level regional reference framework (descriptors: knowledge and skills; "
            "application and responsibility). It has no qualification types of its own: ASEAN "
            "member states reference their national frameworks to it."
        ),
    },
}

# --------------------------------------------------------------------------------------------
# UK–Ireland crosswalk (published comparison; see data-review)
# --------------------------------------------------------------------------------------------

#: Rows of the leaflet's Table 1 (EQF | RQF | CQFW | SCQF | NFQ IE), read from several editions.
QCB_TABLE1: list[tuple[str, list[str], list[str], list[str], list[str]]] = [
    ("8", ["8"], ["8"], ["12"], ["10"]),
    ("7", ["7"], ["7"], ["11"], ["9"]),
    ("6", ["6"], ["6"], ["10", "9"], ["8", "7"]),
    ("5", ["5", "4"], ["5", "4"], ["8", "7"], ["6"]),
    ("4", ["3"], ["3"], ["6"], ["5"]),
    ("3", ["2"], ["2"], ["5"], ["4"]),
    ("2", ["1"], ["1"], ["4"], ["3"]),
    ("1", ["Entry 3"], ["Entry 1-3"], ["3"], ["2", "1"]),
]

#: Table 2 of the leaflet (higher-education frameworks and FQ-EHEA cycles) separates the two
#: NFQ/SCQF levels that share EQF 6 in Table 1: honours bachelor (FHEQ 6, SCQF 10, NFQ 8) and
#: ordinary bachelor (FHEQ 6, SCQF 9, NFQ 7). (NFQ code, SCQF code) → (confidence, note).
QCB_TABLE2: dict[tuple[str, str], tuple[str, str]] = {
    ("8", "10"): (
        "high",
        "Table 2 (HE, first cycle): Honours Bachelor Degree (NFQ 8) with Bachelor's degree with honours (SCQF 10).",
    ),
    ("7", "9"): (
        "high",
        "Table 2 (HE, first cycle): Ordinary Bachelor Degree (NFQ 7) with Bachelor's/ordinary degree (SCQF 9).",
    ),
    ("8", "9"): (
        "low",
        "Table 2 pairs NFQ 8 with SCQF 10 and NFQ 7 with SCQF 9, so this cross pairing rests on Table 1's shared row only.",
    ),
    ("7", "10"): (
        "low",
        "Table 2 pairs NFQ 8 with SCQF 10 and NFQ 7 with SCQF 9, so this cross pairing rests on Table 1's shared row only.",
    ),
}

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def jurisdictions_of(label: str) -> list[str]:
    return JURISDICTION_CODES.get(label, [label])


def europass_jurisdiction(label: str) -> str:
    """Map the Europass CSV jurisdiction label to the jurisdiction code used in frameworks."""
    return JURISDICTION_CODES.get(label, [label])[0]


def clean(obj: Any) -> Any:
    """Drop None values and empty lists/dicts so files stay short and readable."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            value = clean(value)
            if value is None or value == [] or (value == {} and key != "uris"):
                continue
            out[key] = value
        return out
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def source_entry(source_id: str) -> dict[str, Any]:
    data = SOURCES[source_id]
    return {
        "id": source_id,
        "title": data["title"],
        "url": data.get("url"),
        "retrieved": dt.date.fromisoformat(RETRIEVED),
        "licence": data.get("licence"),
        "note": data.get("note"),
    }


def header(inputs: list[str], generated_on: str) -> str:
    if inputs:
        origin = [
            f"Generated once by {SCRIPT} on {generated_on} from the shared research data:",
            *[f"  shared/data/{name}" for name in inputs],
            "plus the curated research tables inside the script (see docs/data-review.md).",
        ]
    else:
        origin = [
            f"Generated once by {SCRIPT} on {generated_on} from the curated tables inside the",
            "script (no shared input file; the research is logged in docs/data-review.md).",
        ]
    lines = [
        *origin,
        "This YAML is now the source of truth and is edited by hand: change a value together",
        "with its source, bump `version`, and run `passerelle data check`.",
    ]
    return "".join(f"# {line}\n".replace("#  \n", "#\n") for line in lines)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(OrderedDict, lambda d, data: d.represent_dict(data.items()))


def write_yaml(path: Path, data: dict[str, Any], inputs: list[str], generated_on: str) -> None:
    text = yaml.dump(
        clean(data),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
        default_flow_style=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header(inputs, generated_on) + "\n" + text, encoding="utf-8")


def level_sort_key(code: str) -> tuple:
    """Ascending order: entry/sub-unit levels first, then numeric with sublevels."""
    c = code.casefold()
    if c in {"a"}:
        return (-3, 0.0, c)
    if c in {"b"}:
        return (-2, 0.0, c)
    if c.startswith("entry"):
        nums = re.findall(r"\d+", c)
        return (-1, float(nums[-1]) if nums else 0.0, c)
    roman = {"v": 3, "iv": 4, "iii": 5, "ii-grade de licence": 6, "i-master": 7, "i-doctorat": 8}
    if c in roman:
        return (0, float(roman[c]), c)
    m = re.match(r"^(\d+)(?:[.\s]?([0-9a-z+]+))?$", c)
    if m:
        return (0, float(m.group(1)), m.group(2) or "")
    return (1, 0.0, c)


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def build_eqf(shared: Path) -> dict[str, Any]:
    levels = read_csv(shared / "eqf" / "eqf_level_descriptors.csv")
    domains = read_csv(shared / "eqf" / "eqf_descriptor_domains.csv")
    domain_ids = {"responsibility_and_autonomy": "responsibility_autonomy"}
    return {
        "schema_version": 1,
        "id": "EQF",
        "title": "European Qualifications Framework for lifelong learning",
        "version": "1",
        "valid_from": dt.date(2017, 5, 22),
        "uris": {"eu_vocabulary": "http://data.europa.eu/snb/eqf/25831c2"},
        "sources": [source_entry("eqf-recommendation-2017"), source_entry("eu-eqf-vocabulary")],
        "domains": [
            {"id": domain_ids.get(d["domain"], d["domain"]), "definition": d["definition"]}
            for d in domains
        ],
        "levels": [
            {
                "level": int(r["eqf_level"]),
                "uri": r["uri_eu_vocabularies"],
                "esco_uri": r["uri_esco"] or None,
                "knowledge": r["knowledge"],
                "skills": r["skills"],
                "responsibility_autonomy": r["responsibility_and_autonomy"],
                "qf_ehea_cycle": r["qf_ehea_cycle"].replace(" cycle", "") or None,
            }
            for r in levels
        ],
    }


def build_qf_ehea(shared: Path) -> dict[str, Any]:
    levels = read_csv(shared / "eqf" / "eqf_level_descriptors.csv")
    labels = {
        "short": "Short cycle (within or linked to the first cycle)",
        "first": "First cycle",
        "second": "Second cycle",
        "third": "Third cycle",
    }
    out_levels = []
    for r in levels:
        cycle = r["qf_ehea_cycle"].replace(" cycle", "")
        if not cycle:
            continue
        out_levels.append(
            {
                "code": cycle,
                "label": labels[cycle],
                "eqf": [
                    {
                        "level": int(r["eqf_level"]),
                        "match_type": "exact",
                        "confidence": "high",
                        "sources": ["eqf-recommendation-2017"],
                        "basis": (
                            f"EQF Recommendation 2017, Annex III: the QF-EHEA {cycle}-cycle "
                            f"descriptors are compatible with EQF level {r['eqf_level']}."
                        ),
                    }
                ],
            }
        )
    return {
        "schema_version": 1,
        "id": "QF-EHEA",
        "title": "Framework for Qualifications of the European Higher Education Area",
        "acronym": "QF-EHEA",
        "kind": "meta",
        "jurisdictions": ["EHEA"],
        "uris": {},
        "version": "1",
        "eqf_referencing": {
            "referenced": True,
            "date": "2017",
            "sources": ["eqf-recommendation-2017"],
            "note": (
                "Not a national referencing: the 2017 EQF Recommendation (Annex III) states the "
                "compatibility of the QF-EHEA cycles with EQF levels 5–8."
            ),
        },
        "sources": [source_entry("eqf-recommendation-2017")],
        "notes": (
            "The overarching higher-education framework of the Bologna Process (adopted Bergen 2005). "
            "Its cycles are not national levels; they are used to link higher-education "
            "qualifications of national frameworks to the EQF."
        ),
        "levels": out_levels,
    }


def match_types(levels: list[dict[str, Any]]) -> None:
    """Set match_type: exact if the level is alone at its EQF level (within one validity period),
    broad if several levels of the framework share it (the EQF level is broader than each)."""
    groups: dict[tuple[Any, Any, int], list[dict[str, Any]]] = defaultdict(list)
    for lvl in levels:
        for edge in lvl.get("eqf", []):
            key = (lvl.get("valid_from"), lvl.get("valid_to"), edge["level"])
            groups[key].append(edge)
    for edges in groups.values():
        for edge in edges:
            if "match_type" not in edge:
                edge["match_type"] = "exact" if len(edges) == 1 else "broad"


def default_edge_sources(fid: str, in_scrape: bool) -> list[str]:
    if fid == "UK-SCT-SCQF" or fid == "UK-RQF" or fid == "UK-WLS-CQFW":
        return ["pearson-eqf-table"]
    if fid == "IS-ISQF":
        return ["enic-naric-is-isqf", "tabiya-europass-scrape", "cedefop-nqf-online-tool"]
    if fid == "CY-CYQF":
        return ["cyqf-diagram"]
    if fid == "NO-NKR":
        return ["europass-compare", "tabiya-europass-scrape", "cedefop-news-nkr"]
    return ["europass-compare", "tabiya-europass-scrape"] if in_scrape else ["europass-compare"]


def default_basis(basis: str, in_scrape: bool) -> str:
    if basis == "level number referenced one-to-one to the same EQF level":
        if in_scrape:
            return (
                "Level number referenced one-to-one to the same EQF level; consistent with the "
                "Europass compare data (qualification types of this country shown at these EQF "
                "levels)."
            )
        return (
            "Level number referenced one-to-one to the same EQF level (8-level framework). This "
            "jurisdiction is not in the machine-readable Europass scrape, so the edge was not "
            "cross-checked against data here."
        )
    return basis


def build_types(
    jur: str,
    rows: list[dict[str, str]],
    levels: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Attach Europass types to levels; return the unplaced ones."""
    current = [lvl for lvl in levels if not lvl.get("valid_to")]
    by_eqf: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for lvl in current:
        for edge in lvl.get("eqf", []):
            by_eqf[edge["level"]].append(lvl)
    by_code = {lvl["code"]: lvl for lvl in levels}

    groups: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        name = re.sub(r"\s+", " ", row["qualification_type_or_example"]).strip().strip('"').strip()
        if (jur, name) in SKIP_TYPES:
            continue
        groups[int(row["eqf_level"])].append(name)

    unplaced: list[dict[str, Any]] = []
    for eqf_level in sorted(groups):
        names = groups[eqf_level]
        seen_count: dict[str, int] = defaultdict(int)
        for name in names:
            seen_count[name] += 1
            occurrence = seen_count[name]
            is_example = (jur, name) in EXAMPLES or any(
                other != name and name.startswith(other + " ") for other in names
            )
            entry_base = {"name": name}
            placement = TYPE_PLACEMENTS.get((jur, eqf_level, name))
            candidates = by_eqf.get(eqf_level, [])
            if placement:
                targets = [(by_code[code], srcs) for code, srcs in placement]
                if occurrence > 1:
                    continue
            elif len(candidates) == 1:
                if occurrence > 1:
                    continue
                targets = [(candidates[0], ["tabiya-europass-scrape"])]
            elif jur == "IE" and name == "Professional Award" and eqf_level == 6:
                # Listed twice at EQF 6 in the Europass data: once for NFQ 8, once for NFQ 7
                # (QQI Professional Award-types exist at NFQ levels 5–9).
                code = "8" if occurrence == 1 else "7"
                targets = [(by_code[code], _IE_SRC)]
            else:
                if occurrence > 1:
                    continue
                unplaced.append(
                    {
                        "name": name,
                        "sources": ["tabiya-europass-scrape"],
                        "example": True if is_example else None,
                        "eqf_level": eqf_level,
                    }
                )
                continue
            for lvl, srcs in targets:
                existing = {qt["name"] for qt in lvl.setdefault("qualification_types", [])}
                if name in existing:
                    continue
                lvl["qualification_types"].append(
                    {**entry_base, "sources": list(srcs), "example": True if is_example else None}
                )
    return unplaced


def build_framework(
    fw: dict[str, str],
    level_rows: list[dict[str, str]],
    type_rows: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    fid = FRAMEWORK_IDS[fw["framework_acronym"]]
    jurs = jurisdictions_of(fw["jurisdiction"])
    jur_key = jurs[0] if fid != "UK-RQF" else "GB-ENG"
    in_scrape = jur_key in type_rows
    cited: set[str] = {"eu-qdr-vocabulary"}
    if fw["esco_qdr_qf_uri"]:
        cited.add("esco-qdr-ids")

    levels: list[dict[str, Any]] = []
    for row in level_rows:
        code = row["nqf_level_code"]
        level: dict[str, Any] = {
            "code": code,
            "label": row["nqf_level_label_qdr"],
            "uri": row["nqf_level_uri_qdr"],
        }
        if row["eqf_level"]:
            edge: dict[str, Any] = {
                "level": int(row["eqf_level"]),
                "confidence": row["eqf_mapping_confidence"],
                "sources": default_edge_sources(fid, in_scrape),
                "basis": default_basis(row["eqf_mapping_basis"], in_scrape),
            }
            override = EDGE_OVERRIDES.get((fid, code), {})
            edge.update(override)
            ordered = {
                "level": edge["level"],
                "match_type": edge.get("match_type"),
                "confidence": edge["confidence"],
                "sources": edge["sources"],
                "basis": edge["basis"],
            }
            if ordered["match_type"] is None:
                del ordered["match_type"]
            level["eqf"] = [ordered]
            cited.update(edge["sources"])
        else:
            text = NOT_REFERENCED.get((fid, code))
            if not text:
                raise SystemExit(f"{fid} {code}: no EQF level and no curated not_referenced text")
            level["not_referenced"] = text
        levels.append(level)

    if fid == "FR-CNCP":
        for level in levels:
            level["valid_to"] = FR_SWITCH
            new_code, conf, basis = FR_SUCCESSORS[level["code"]]
            level["successors"] = [
                {
                    "code": new_code,
                    "match_type": "exact",
                    "confidence": conf,
                    "sources": ["legifrance-decret-2019-14", "insee-cncp"],
                    "basis": basis,
                }
            ]
            for edge in level.get("eqf", []):
                edge["basis"] = (
                    "Old RNCP nomenclature (1969) as referenced to the EQF in 2010: V→3, IV→4, "
                    "III→5, II→6, I→7/8 (I-Master 7, I-Doctorat 8). Consistent with the décret "
                    "n° 2019-14 reclassification into CNCP levels that use the EQF numbering. "
                    "Valid until that framework replaced the nomenclature on 10 January 2019."
                )
                edge["sources"] = ["legifrance-decret-2019-14", "insee-cncp"]
        cited.update(["legifrance-decret-2019-14", "insee-cncp", "travail-emploi-cncp"])
        levels.extend(
            {
                **{k: v for k, v in new.items() if k != "eqf"},
                "eqf": [dict(e) for e in new["eqf"]],
            }
            for new in FR_NEW_LEVELS
        )
        for new in FR_NEW_LEVELS:
            for edge in new["eqf"]:
                cited.update(edge["sources"])

    levels.sort(key=lambda lvl: (lvl.get("valid_to") is None, level_sort_key(lvl["code"])))
    match_types(levels)

    unplaced: list[dict[str, Any]] = []
    if in_scrape:
        unplaced = build_types(jur_key, type_rows[jur_key], levels)
        for lvl in levels:
            for qt in lvl.get("qualification_types", []):
                cited.update(qt["sources"])
        for qt in unplaced:
            cited.update(qt["sources"])

    # key order of each level as in the schema
    ordered_levels = []
    for lvl in levels:
        ordered_levels.append(
            {
                "code": lvl["code"],
                "label": lvl["label"],
                "valid_from": dt.date.fromisoformat(lvl["valid_from"])
                if lvl.get("valid_from")
                else None,
                "valid_to": dt.date.fromisoformat(lvl["valid_to"]) if lvl.get("valid_to") else None,
                "uri": lvl.get("uri"),
                "eqf": [
                    {k: e.get(k) for k in ("level", "match_type", "confidence", "sources", "basis")}
                    for e in lvl.get("eqf", [])
                ],
                "not_referenced": lvl.get("not_referenced"),
                "qualification_types": lvl.get("qualification_types"),
                "successors": lvl.get("successors"),
            }
        )

    date, date_basis = REFERENCING_DATES.get(fid, (None, None))
    ref_sources = sorted({s for lvl in levels for e in lvl.get("eqf", []) for s in e["sources"]})
    note_parts = []
    if date_basis:
        note_parts.append(f"Date: {date_basis}.")
    if fid in REFERENCING_NOTES:
        note_parts.append(REFERENCING_NOTES[fid])
    source_order = [s for s in SOURCES if s in cited]
    notes = None
    if fid == "FR-CNCP":
        notes = (
            "The EU vocabulary (QDR) still lists the 1969 RNCP nomenclature (levels V…I, acronym "
            "'NQF RNCP'). Since 10 January 2019 (décret n° 2019-14) France uses the cadre national "
            "des certifications professionnelles (CNCP), levels 1–8; the old levels carry valid_to "
            "and successors. No EU-vocabulary URI was found for the new levels."
        )
    elif fid == "UK-WLS-CQFW":
        notes = (
            "The EU vocabulary groups CQFW Entry 1–3 in one concept; published UK tables split it "
            "into Entry 1, 2 and 3 (only Entry 3 corresponds to EQF 1)."
        )
    return {
        "schema_version": 1,
        "id": fid,
        "title": fw["framework_label_en"],
        "acronym": fw["framework_acronym"],
        "kind": "national",
        "jurisdictions": jurs,
        "uris": {"eu_vocabulary": fw["framework_uri_qdr"], "esco": fw["esco_qdr_qf_uri"] or None},
        "version": "1",
        "eqf_referencing": {
            "referenced": True,
            "date": date,
            "sources": ref_sources,
            "note": " ".join(note_parts) or None,
        },
        "sources": [source_entry(s) for s in source_order],
        "notes": notes,
        "levels": ordered_levels,
        "unplaced_qualification_types": unplaced,
    }


def build_non_european(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    by_fw: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_fw[row["framework_id"]].append(row)
    out = []
    for key, fw_rows in by_fw.items():
        meta = NON_EUROPEAN[key]
        levels = []
        for row in sorted(fw_rows, key=lambda r: int(r["level"])):
            types = []
            raw = row["qualification_types"]
            if meta["type_sources"] and not raw.startswith("("):
                types = [
                    {"name": t.strip(), "sources": meta["type_sources"]}
                    for t in raw.split(";")
                    if t.strip()
                ]
            levels.append(
                {
                    "code": row["level"],
                    "label": f"{meta['acronym']} Level {row['level']}",
                    "not_referenced": meta["not_referenced"],
                    "qualification_types": types,
                }
            )
        out.append(
            {
                "schema_version": 1,
                "id": meta["id"],
                "title": meta["title"],
                "acronym": meta["acronym"],
                "kind": meta["kind"],
                "jurisdictions": meta["jurisdictions"],
                "uris": {"other": meta["other_uris"]},
                "version": "1",
                "eqf_referencing": {"referenced": False, "note": meta["referencing_note"]},
                "sources": [source_entry(s) for s in meta["sources"]],
                "notes": meta["notes"],
                "levels": levels,
            }
        )
    return out


def build_confidence() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "version": "1",
        "high": 0.9,
        "medium": 0.6,
        "low": 0.3,
        "notes": (
            "high (0.9): the level correspondence is stated by an authoritative source — the "
            "country's EQF referencing result as published by Europass/the EU, the framework owner, "
            "or a legal text — or follows from an 8-level framework referenced one-to-one and is "
            "consistent with Europass data. medium (0.6): taken from a secondary source (e.g. an "
            "awarding body's table), inferred by a rule (e.g. a sublevel mapped to the EQF level of "
            "its integer part), or only partly matching (a grouped level of which only a part "
            "corresponds). low (0.3): plausible but unverified, or sources conflict. The numbers are "
            "weights for combining evidence along a path, not probabilities; a human confirms every "
            "recommendation."
        ),
    }


def build_crosswalk() -> dict[str, Any]:
    pairs = []
    cols = {"RQF": "UK-RQF", "CQFW": "UK-WLS-CQFW", "SCQF": "UK-SCT-SCQF"}
    note = (
        "Same row of the leaflet's Table 1 (EQF {eqf}): the leaflet offers 'broad comparisons, "
        "rather than direct equivalences'."
    )
    for eqf, rqf, cqfw, scqf, nfq in QCB_TABLE1:
        for ie_code in nfq:
            for fw_key, codes in (("RQF", rqf), ("CQFW", cqfw), ("SCQF", scqf)):
                for code in codes:
                    confidence = "high" if len(nfq) == 1 and len(codes) == 1 else "medium"
                    pair_note = note.format(eqf=eqf)
                    table2 = QCB_TABLE2.get((ie_code, code)) if fw_key == "SCQF" else None
                    if table2:
                        confidence, extra = table2
                        pair_note += " " + extra
                    pairs.append(
                        {
                            "source": f"IE-NFQ:{ie_code}",
                            "target": f"{cols[fw_key]}:{code}",
                            "match_type": "related",
                            "confidence": confidence,
                            "sources": ["qcb-leaflet"],
                            "note": pair_note,
                        }
                    )
    # UK frameworks among themselves (same rows)
    for eqf, rqf, cqfw, scqf, _nfq in QCB_TABLE1:
        for s_code in scqf:
            for fw_key, codes in (("RQF", rqf), ("CQFW", cqfw)):
                for code in codes:
                    pairs.append(
                        {
                            "source": f"UK-SCT-SCQF:{s_code}",
                            "target": f"{cols[fw_key]}:{code}",
                            "match_type": "related",
                            "confidence": "high"
                            if len(scqf) == 1 and len(codes) == 1
                            else "medium",
                            "sources": ["qcb-leaflet"],
                            "note": note.format(eqf=eqf),
                        }
                    )
        for r_code in rqf:
            for c_code in cqfw:
                pairs.append(
                    {
                        "source": f"UK-RQF:{r_code}",
                        "target": f"UK-WLS-CQFW:{c_code}",
                        "match_type": "close" if r_code == c_code else "related",
                        "confidence": "high" if r_code == c_code else "medium",
                        "sources": ["qcb-leaflet"],
                        "note": (
                            "The CQFW uses the RQF levels and level descriptors for regulated "
                            "qualifications; same level number in Table 1."
                            if r_code == c_code
                            else "RQF Entry 3 sits inside the grouped EU-vocabulary concept "
                            "'CQFW Entry 1-3' (Table 1 lists E3 in both columns)."
                        ),
                    }
                )
    # The leaflet also lists RQF/CQFW Entry 1–2 and SCQF 1–2 below EQF 1 in the same rows.
    pairs.append(
        {
            "source": "UK-RQF:Entry Levels 1-2",
            "target": "UK-WLS-CQFW:Entry 1-3",
            "match_type": "related",
            "confidence": "medium",
            "sources": ["qcb-leaflet"],
            "note": "Table 1 lists E2 and E1 in both columns; the CQFW concept groups Entry 1–3.",
        }
    )
    for s_code in ("1", "2"):
        for target in ("UK-RQF:Entry Levels 1-2", "UK-WLS-CQFW:Entry 1-3"):
            pairs.append(
                {
                    "source": f"UK-SCT-SCQF:{s_code}",
                    "target": target,
                    "match_type": "related",
                    "confidence": "medium",
                    "sources": ["qcb-leaflet"],
                    "note": (
                        f"Table 1 puts SCQF {s_code} on the row of RQF/CQFW Entry "
                        f"{'2' if s_code == '2' else '1'} (below EQF 1); the vocabulary groups "
                        "these entry levels."
                    ),
                }
            )
    return {
        "schema_version": 1,
        "id": "uk-ireland",
        "title": "Qualifications can cross boundaries — UK and Ireland framework levels (Table 1)",
        "version": "1",
        "frameworks": ["IE-NFQ", "UK-RQF", "UK-WLS-CQFW", "UK-SCT-SCQF"],
        "sources": [source_entry("qcb-leaflet")],
        "notes": (
            "Pairs are the rows of Table 1 of the UK–Ireland leaflet 'Qualifications can cross "
            "boundaries', which the publishers describe as broad comparisons of the level of "
            "challenge, 'rather than direct equivalences'. They are therefore SKOS 'related' "
            "(RQF↔CQFW same-number levels 'close', since the CQFW adopted the RQF levels). "
            "Where a cell holds two levels (e.g. NFQ 8/7 or SCQF 10/9) each pairing is medium "
            "confidence; one-to-one cells are high. Table 2 (higher education) refines EQF 6: "
            "NFQ 8↔SCQF 10 and NFQ 7↔SCQF 9 are high, the cross pairings low. Only one direction "
            "is listed; the graph adds the reverse."
        ),
        "pairs": pairs,
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared_data_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--generated-on",
        default=dt.date.today().isoformat(),
        help="date written into the file headers (default: today)",
    )
    args = parser.parse_args(argv)
    shared: Path = args.shared_data_dir
    out: Path = args.out_dir
    gen = args.generated_on

    nqf_inputs = [
        "nqf/nqf_frameworks.csv",
        "nqf/nqf_levels_eqf_referencing.csv",
        "nqf/europass_qualification_types_by_eqf.csv",
    ]
    frameworks = read_csv(shared / "nqf" / "nqf_frameworks.csv")
    level_rows = read_csv(shared / "nqf" / "nqf_levels_eqf_referencing.csv")
    type_rows_raw = read_csv(shared / "nqf" / "europass_qualification_types_by_eqf.csv")
    type_rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in type_rows_raw:
        type_rows[europass_jurisdiction(row["jurisdiction"])].append(row)

    rows_by_fw: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in level_rows:
        rows_by_fw[row["framework_acronym"]].append(row)

    fw_dir = out / "frameworks"
    written = []
    for fw in frameworks:
        data = build_framework(fw, rows_by_fw[fw["framework_acronym"]], type_rows)
        path = fw_dir / f"{data['id'].lower()}.yaml"
        write_yaml(path, data, nqf_inputs, gen)
        written.append(path)

    for data in build_non_european(read_csv(shared / "nqf" / "non_european_frameworks.csv")):
        path = fw_dir / f"{data['id'].lower()}.yaml"
        write_yaml(path, data, ["nqf/non_european_frameworks.csv"], gen)
        written.append(path)

    eqf_inputs = ["eqf/eqf_level_descriptors.csv", "eqf/eqf_descriptor_domains.csv"]
    write_yaml(fw_dir / "eqf.yaml", build_eqf(shared), eqf_inputs, gen)
    write_yaml(
        fw_dir / "qf-ehea.yaml", build_qf_ehea(shared), ["eqf/eqf_level_descriptors.csv"], gen
    )
    written += [fw_dir / "eqf.yaml", fw_dir / "qf-ehea.yaml"]

    write_yaml(out / "mappings" / "confidence.yaml", build_confidence(), [], gen)
    write_yaml(out / "mappings" / "crosswalks" / "uk-ireland.yaml", build_crosswalk(), [], gen)
    written += [
        out / "mappings" / "confidence.yaml",
        out / "mappings" / "crosswalks" / "uk-ireland.yaml",
    ]
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
