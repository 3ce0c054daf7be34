"""Examples of the OpenAPI document, taken from the tests (issue 15, item 5).

``tests/api/test_openapi_hygiene.py`` sends every example request to the app and checks that it
is accepted (never a 422 or a 5xx), so an example cannot drift from the API. The plain
credential is ``tests/data/credentials/plain/plain-full.json`` shortened (the CSV is a row of
``bulk.csv`` beside it); the programme is the shape of ``samples/catalogue/``; the other
bodies are those of ``tests/api/test_*_api.py``.

A new operation gets its example here: by parameter name (shared by every operation that takes
it), by operationId for a request body, or a response example when it takes no input.
"""

from __future__ import annotations

from typing import Any

#: Path, query and header parameters by name.
PARAMETER_EXAMPLES: dict[str, Any] = {
    "framework": "IE-NFQ",
    "code": "8",
    "identifier": "IE:8",
    "jurisdiction": "IE",
    "q": "bachelor",
    "source": "IE-NFQ:8",
    "target": "DE-DQR:6",
    "as_of": "2024-01-01",
    "frameworks": "IE-NFQ,DE-DQR,FR-CNCP",
    "limit": 20,
    "offset": 0,
    "format": "plain",
    "language": "en",
    "credential_id": "0d9c1f8e-3c5a-4c1e-9a43-9b7d2f6a1e10",
    "programme_id": "5b1f2d7c-9e4a-4f0b-8c3d-2a6e1b9f7d40",
    "qualification_id": "5b1f2d7c-9e4a-4f0b-8c3d-2a6e1b9f7d40",
    "record_id": "7f3e9a2b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
    "job_id": "3a8d5c1e-7b2f-4e9a-9c6d-1f0e2b3a4c5d",
    "purpose": "admission",
    "outcome": "recognised",
    "target_framework": "DE-DQR",
    "prefix": "psk_a1b2c3d4",
    "if-match": '"1"',
}

_PROGRAMME_ID = PARAMETER_EXAMPLES["programme_id"]

_PLAIN_CREDENTIAL: dict[str, Any] = {
    "$schema": "https://passerelle.dev/schemas/plain-credential/v1",
    "id": "urn:example:plain:42",
    "title": "Introduction to relational databases",
    "issuer": {"name": "Technological University Example", "country": "IE"},
    "issued_on": "2025-06-30",
    "learning_outcomes": [
        "Design a normalised relational schema for a small business case",
        "Write SQL queries that join, filter and aggregate data",
    ],
    "level": {"eqf": 6, "nqf": "IE-NFQ:7"},
    "credits": {"system": "ECTS", "value": 5},
    "language": "en",
}

_PROGRAMME: dict[str, Any] = {
    "title": "MSc in Computer Science",
    "institution": {"name": "Uppsala University", "country": "SE"},
    "award": "Master of Science",
    "level": "EQF:7",
    "credits": {"value": 120, "system": "ects"},
    "modules": [
        {
            "code": "1DL301",
            "title": "Database Design II",
            "credits": {"value": 7.5, "system": "ects"},
            "learning_outcomes": ["design and query relational databases"],
        }
    ],
}

_COURSE: dict[str, Any] = {
    "id": "c-1",
    "title": "Relational databases",
    "credits": {"value": 7.5, "system": "ects"},
    "level": "EQF:7",
    "learning_outcomes": ["design and query relational databases"],
}

#: Request bodies by operationId, then media type.
BODY_EXAMPLES: dict[str, dict[str, Any]] = {
    "erasePersonalData": {"application/json": {"learner": "urn:example:learner:erased-example"}},
    "convertCredits": {"application/json": {"value": 10, "from": "uk-cats", "to": "ects"}},
    "extractSkills": {
        "application/json": {"outcomes": ["write SQL queries"], "top_k": 5, "language": "en"}
    },
    "estimateLevel": {
        "application/json": {
            "outcomes": [
                "critically evaluate research literature at the forefront of the field",
            ],
            "title": "Master of Science",
        }
    },
    "alignOutcomes": {
        "application/json": {
            "source": ["write SQL queries"],
            "target": ["query relational databases with SQL"],
        }
    },
    "createCredential": {"application/json": _PLAIN_CREDENTIAL},
    "validateCredential": {"application/json": _PLAIN_CREDENTIAL},
    "importCredentialsCsv": {
        "text/csv": "title,issuer_name,issuer_country,issued_on,learning_outcomes,eqf_level,"
        "nqf_level,credits_value\n"
        "Introduction to relational databases,Technological University Example,IE,2025-06-30,"
        "Write SQL queries that join and aggregate data,6,IE-NFQ:7,5\n"
    },
    "createQualifications": {"application/json": _PROGRAMME},
    # tests/data/loq/Sample-MC-Annex1-qualification.jsonld (the EC's sample), shortened
    "importLoq": {
        "application/ld+json": {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "http://data.europa.eu/snb/model/context/edc-ap",
            ],
            "id": "urn:epass:qualification:1",
            "type": "Qualification",
            "title": {"en": "Digital micro-credential creation"},
            "eqfLevel": {"id": "http://data.europa.eu/snb/eqf/6", "type": "Concept"},
            "creditPoint": {
                "id": "urn:epass:creditPoint:1",
                "type": "CreditPoint",
                "framework": {
                    "id": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
                    "type": "Concept",
                },
                "point": "2",
            },
            "learningOutcome": [
                {
                    "id": "urn:epass:learningOutcome:2",
                    "type": "LearningOutcome",
                    "title": {"en": "Developing digital content"},
                }
            ],
            "awardingOpportunity": {
                "id": "urn:epass:awardingOpportunity:1",
                "type": "AwardingOpportunity",
                "awardingBody": {
                    "id": "urn:epass:org:1",
                    "type": "Organisation",
                    "legalName": {"en": "University of Zed"},
                },
            },
        }
    },
    "createRecognition": {
        "application/json": {
            "credential": _PLAIN_CREDENTIAL,
            "target": "DE",
            "purpose": "admission",
        }
    },
    "reviewRecognition": {"application/json": {"action": "confirm", "reason": "agreed"}},
    "articulateCourses": {
        "application/json": {
            "qualification_id": _PROGRAMME_ID,
            "courses": [_COURSE],
        }
    },
    "submitArticulationBatch": {
        "application/json": {
            "qualification_id": _PROGRAMME_ID,
            "courses": [_COURSE],
        }
    },
    "planPathways": {
        "application/json": {
            "qualification_id": _PROGRAMME_ID,
            "held": [{"credential": _PLAIN_CREDENTIAL}],
        }
    },
    "planStackInto": {"application/json": {"held": [{"credential": _PLAIN_CREDENTIAL}]}},
    "createApiKey": {"application/json": {"name": "registry sync", "roles": ["reader"]}},
}

#: Response examples of the operations that take no input (by operationId).
RESPONSE_EXAMPLES: dict[str, Any] = {
    "getHealth": {"status": "ok", "data_release": "2026.12.03-b5c3bd24"},
    "getMeta": {
        "app_version": "0.1.0",
        "data_release": {"id": "2026.12.03-b5c3bd24", "content_hash": "b5c3bd24e5ac3f0e…"},
        "framework_count": 48,
    },
    "listCreditSystems": {
        "items": [
            {
                "id": "ects",
                "title": "European Credit Transfer and Accumulation System",
                "unit": "ECTS credit",
                "credits_per_year": 60.0,
            }
        ]
    },
    "getPlainCredentialSchema": {
        "$id": "https://passerelle.dev/schemas/plain-credential/v1",
        "type": "object",
    },
    "getCatalogueSchema": {"$id": "https://passerelle.dev/schemas/catalogue/v1", "type": "object"},
    "whoAmI": {
        "principal": "key:psk_a1b2c3d4",
        "kind": "api_key",
        "name": "registry sync",
        "organisation": "default",
        "roles": ["reader"],
        "permissions": ["compute", "reference:read", "tenant:read"],
    },
    "listApiKeys": {
        "items": [
            {
                "prefix": "psk_a1b2c3d4",
                "organisation": "default",
                "name": "registry sync",
                "roles": ["reader"],
                "created_at": "2026-12-01T09:00:00Z",
                "created_by": "oidc:admin",
                "expires_at": None,
                "revoked_at": None,
            }
        ]
    },
}
