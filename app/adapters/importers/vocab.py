"""Small vocabularies the importers need: EU concept labels, credit systems, countries, languages.

Concept labels come from the bundled EU vocabulary files (``vocabularies/``, see its
PROVENANCE.md). Country codes: the EU Publications Office country authority uses ISO 3166-1
alpha-3 codes in its URIs (``.../country/IRL``); Passerelle reports alpha-2 (``IE``), the form the
framework registry uses for jurisdictions. The table covers Europe and the other countries with
a framework in the registry; any other code is reported as published.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

VOCAB_DIR = Path(__file__).resolve().parent / "vocabularies"

ECTS_URI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECVET_URI = "http://data.europa.eu/snb/education-credit/60b314e826"
CREDIT_SYSTEMS = {ECTS_URI: "ECTS", ECVET_URI: "ECVET"}

_ALPHA3_TO_ALPHA2 = {
    "ALB": "AL",
    "AND": "AD",
    "ARM": "AM",
    "AUS": "AU",
    "AUT": "AT",
    "AZE": "AZ",
    "BEL": "BE",
    "BGR": "BG",
    "BIH": "BA",
    "BLR": "BY",
    "BRN": "BN",
    "CAN": "CA",
    "CHE": "CH",
    "CYP": "CY",
    "CZE": "CZ",
    "DEU": "DE",
    "DNK": "DK",
    "ESP": "ES",
    "EST": "EE",
    "FIN": "FI",
    "FRA": "FR",
    "FRO": "FO",
    "GBR": "GB",
    "GEO": "GE",
    "GRC": "GR",
    "HRV": "HR",
    "HUN": "HU",
    "IDN": "ID",
    "IRL": "IE",
    "ISL": "IS",
    "ITA": "IT",
    "KHM": "KH",
    "KOS": "XK",
    "XKX": "XK",
    "LAO": "LA",
    "LIE": "LI",
    "LTU": "LT",
    "LUX": "LU",
    "LVA": "LV",
    "MCO": "MC",
    "MDA": "MD",
    "MKD": "MK",
    "MLT": "MT",
    "MMR": "MM",
    "MNE": "ME",
    "MYS": "MY",
    "NLD": "NL",
    "NOR": "NO",
    "NZL": "NZ",
    "PHL": "PH",
    "POL": "PL",
    "PRT": "PT",
    "ROU": "RO",
    "RUS": "RU",
    "SGP": "SG",
    "SMR": "SM",
    "SRB": "RS",
    "SVK": "SK",
    "SVN": "SI",
    "SWE": "SE",
    "THA": "TH",
    "TUR": "TR",
    "UKR": "UA",
    "USA": "US",
    "VAT": "VA",
    "VNM": "VN",
    "CHN": "CN",
    "IND": "IN",
    "JPN": "JP",
    "KOR": "KR",
    "BRA": "BR",
    "MEX": "MX",
    "ZAF": "ZA",
    "MAR": "MA",
    "TUN": "TN",
    "EGY": "EG",
    "ISR": "IL",
}
# EU language authority codes (ISO 639-2/B style) -> ISO 639-1, for the EU and EEA languages.
_LANG3_TO_LANG2 = {
    "BUL": "bg",
    "CES": "cs",
    "CZE": "cs",
    "DAN": "da",
    "DEU": "de",
    "GER": "de",
    "ELL": "el",
    "GRE": "el",
    "ENG": "en",
    "EST": "et",
    "FIN": "fi",
    "FRA": "fr",
    "FRE": "fr",
    "GLE": "ga",
    "HRV": "hr",
    "HUN": "hu",
    "ITA": "it",
    "LAV": "lv",
    "LIT": "lt",
    "MLT": "mt",
    "NLD": "nl",
    "DUT": "nl",
    "POL": "pl",
    "POR": "pt",
    "RON": "ro",
    "RUM": "ro",
    "SLK": "sk",
    "SLO": "sk",
    "SLV": "sl",
    "SPA": "es",
    "SWE": "sv",
    "ISL": "is",
    "ICE": "is",
    "NOR": "no",
    "NOB": "nb",
    "NNO": "nn",
    "TUR": "tr",
    "SRP": "sr",
    "MKD": "mk",
    "MAC": "mk",
    "SQI": "sq",
    "ALB": "sq",
    "BOS": "bs",
    "CAT": "ca",
    "EUS": "eu",
    "BAQ": "eu",
    "GLG": "gl",
    "UKR": "uk",
    "LTZ": "lb",
}


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country URI or code (alpha-2 or alpha-3).

    >>> country_code("http://publications.europa.eu/resource/authority/country/IRL")
    'IE'
    >>> country_code("be"), country_code("Naboo")
    ('BE', None)
    """
    if not value:
        return None
    code = value.strip().rstrip("/").rsplit("/", 1)[-1].upper()
    if code in _ALPHA3_TO_ALPHA2:
        return _ALPHA3_TO_ALPHA2[code]
    if re.fullmatch(r"[A-Z]{2}", code):
        # Greece and the United Kingdom appear as EL/UK in EU usage; ISO says GR/GB.
        return {"EL": "GR", "UK": "GB"}.get(code, code)
    return None


def language_code(value: str | None) -> str | None:
    """ISO 639-1 for an EU language URI or a language tag.

    >>> language_code("http://publications.europa.eu/resource/authority/language/ENG")
    'en'
    >>> language_code("en-EN")
    'en'
    """
    if not value:
        return None
    code = value.strip().rstrip("/").rsplit("/", 1)[-1]
    if code.upper() in _LANG3_TO_LANG2 and len(code) == 3:
        return _LANG3_TO_LANG2[code.upper()]
    m = re.fullmatch(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*", code)
    return m.group(1).casefold() if m else None


@cache
def concept_labels() -> dict[str, str]:
    """English labels of every bundled EU vocabulary concept, by URI."""
    labels: dict[str, str] = {}
    for path in sorted(VOCAB_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                labels[row["uri"]] = row["label_en"]
    return labels


def concept_label(uri: str | None) -> str | None:
    return concept_labels().get(uri.strip()) if uri else None


def credit_system(uri: str | None, label: str | None = None) -> str | None:
    """``ECTS``/``ECVET`` for an EU credit-system URI or a recognisable label."""
    if uri and uri.strip() in CREDIT_SYSTEMS:
        return CREDIT_SYSTEMS[uri.strip()]
    text = (label or uri or "").casefold()
    if "ects" in text or "european credit transfer" in text:
        return "ECTS"
    if "ecvet" in text or "vocational education and training" in text:
        return "ECVET"
    return None
