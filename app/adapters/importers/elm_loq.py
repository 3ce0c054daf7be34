"""ELM v3 learning-opportunity and qualification (LOQ) documents -> catalogue programmes.

The documents the Europass Qualification Dataset Register (QDR) publishes and the EU LOQ
application profile constrains (``LOQ-constraints.ttl`` of european-commission-empl/
European-Learning-Model): a ``LearningOpportunity`` with its ``learningAchievementSpecification``
and ``providedBy``, or a ``Qualification`` / ``LearningAchievementSpecification`` on its own with
its ``awardingOpportunity/awardingBody``. One document holds one root, a list of them, or a
``@graph`` (which the pyld frozen loader frames into the same tree; no URL is fetched).

What the catalogue keeps, and where it comes from:

* title: the opportunity's ``title``, else the specification's (English, else the first
  language); notes: its ``description``; award: the specification's ``dcType`` label;
* provider (institution): ``providedBy``, else ``awardingOpportunity/awardingBody``, else
  ``awardingBody`` (``legalName``, country from ``location/address/countryCode``);
* level: the ``nqfLevel`` URI when the data release knows it, else the ``eqfLevel`` URI;
  ``eqf_level`` from ``eqfLevel``;
* credits: ``creditPoint`` (``framework`` + ``point``); ISCED-F: ``ISCEDFCode`` or
  ``thematicArea``; language: ``language``; web page: ``homepage/contentURL`` or
  ``landingPage``;
* learning outcomes: ``learningOutcome`` (``title``, ``definition``, ``description`` or
  ``prefLabel``);
* modules: ``hasPart`` specifications, each with the same fields (code: ``identifier/notation``,
  else the last segment of its ``id``).

The programmes then go through the catalogue importer (:func:`catalogue.read_document`), so
every rule of the catalogue applies; its errors are located back in the LOQ document by JSON
pointer (``/learningAchievementSpecification/creditPoint/point``), never in the intermediate
form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.adapters.importers.catalogue import ImportedProgramme, read_document
from app.adapters.importers.jsonld import (
    ELM_READING,
    Node,
    bundled,
    expand,
    frame,
    pick,
    processing_reason,
    read_context,
    texts,
    with_bundled_contexts,
)
from app.adapters.importers.vocab import country_code, credit_system, language_code
from app.core.catalogue import (
    CatalogueInputError,
    Issue,
    LevelResolver,
    Severity,
    normalise_isced_f,
)
from app.core.credentials import CredentialInputError, json_pointer
from app.core.errors import DomainError

ELM = "http://data.europa.eu/snb/model/elm/"
ROOT_TYPES = ("LearningOpportunity", "Qualification", "LearningAchievementSpecification")
SPEC_TYPES = ("Qualification", "LearningAchievementSpecification")


def _types(node: Node) -> tuple[str, ...]:
    return tuple(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in node.types())


def is_loq(document: Any) -> bool:
    """Whether ``document`` is (or lists) LOQ roots rather than a credential or a catalogue."""
    nodes = document if isinstance(document, list) else [document]
    if isinstance(document, Mapping) and isinstance(document.get("@graph"), list):
        nodes = document["@graph"]
    return any(isinstance(n, Mapping) and set(_types(Node(n))) & set(ROOT_TYPES) for n in nodes)


@dataclass(slots=True)
class _Converted:
    root: str  # the root's pointer in the LOQ document
    doc: dict[str, Any]
    places: dict[str, str]  # catalogue pointer inside the programme -> LOQ pointer
    warnings: list[Issue]  # located in the LOQ document

    def locate(self, where: str) -> str:
        best = ""
        for known in self.places:
            if (where == known or where.startswith(known + "/")) and len(known) > len(best):
                best = known
        return self.places.get(best, self.root or "/")


class _Reader:
    def __init__(self, root: Node, resolver: LevelResolver, language: str | None) -> None:
        self.resolver = resolver
        self.language = language
        self.by_id: dict[str, Node] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node.value, dict):
                ident = node.value.get("id", node.value.get("@id"))
                if isinstance(ident, str) and len(node.value) > 2:
                    self.by_id.setdefault(ident, node)
                for key, child in node.value.items():
                    if isinstance(child, (dict, list)):
                        stack.append(Node(child, f"{node.pointer}{json_pointer(key)}"))
            elif isinstance(node.value, list):
                for i, child in enumerate(node.value):
                    if isinstance(child, (dict, list)):
                        stack.append(Node(child, f"{node.pointer}/{i}"))

    def objects(self, node: Node | None) -> list[Node]:
        out = []
        for item in node.each() if node is not None else []:
            if isinstance(item.value, str):
                item = self.by_id.get(item.value.strip(), item)
            if item.is_object:
                out.append(item)
        return out

    def obj(self, node: Node | None) -> Node | None:
        found = self.objects(node)
        return found[0] if found else None

    def text(self, node: Node | None) -> str | None:
        if node is None:
            return None
        target = self.obj(node)
        if target is not None and target.get("noteLiteral") is not None:
            node = target.get("noteLiteral")
        value, _ = pick(texts(node), self.language)
        return value.strip() if value and value.strip() else None

    def uri(self, node: Node | None) -> str | None:
        for item in node.each() if node is not None else []:
            ref = item.ref()
            if ref:
                return ref
        return None

    def label(self, node: Node | None) -> str | None:
        target = self.obj(node)
        return self.text(target.get("prefLabel")) if target is not None else None


def _key(node: Node | None) -> str | None:
    return node.pointer if node is not None else None


def _convert(root: Node, reader: _Reader, where: str) -> _Converted:
    types = _types(root)
    places: dict[str, str] = {"": where or "/"}
    warnings: list[Issue] = []
    if "LearningOpportunity" in types:
        spec = reader.obj(root.get("learningAchievementSpecification", "specifiedBy"))
        provider = reader.obj(root.get("providedBy"))
        places["/institution"] = _key(root.get("providedBy")) or f"{where}/providedBy"
    else:
        spec, provider = root, None
    holders = [h for h in (root, spec) if h is not None]
    if provider is None:
        for h in holders:
            for opp in reader.objects(h.get("awardingOpportunity")):
                provider = provider or reader.obj(opp.get("awardingBody"))
            provider = provider or reader.obj(h.get("awardingBody"))
        where_provider = f"{(spec or root).pointer}/awardingOpportunity"
        places.setdefault("/institution", where_provider)
    doc: dict[str, Any] = {}

    title_node = next((n for h in holders if (n := h.get("title")) is not None), None)
    title = reader.text(title_node)
    if title:
        doc["title"] = title
    places["/title"] = _key(title_node) or f"{where}/title"

    if provider is not None:
        name_node = provider.get("legalName", "prefLabel", "name")
        institution: dict[str, Any] = {}
        name = reader.text(name_node)
        if name:
            institution["name"] = name
        places["/institution/name"] = _key(name_node) or f"{provider.pointer}/legalName"
        for location in reader.objects(provider.get("location")):
            for address in reader.objects(location.get("address")):
                country = country_code(reader.uri(address.get("countryCode")))
                if country:
                    institution.setdefault("country", country)
        doc["institution"] = institution
        places["/institution"] = provider.pointer

    description = next((reader.text(h.get("description")) for h in holders), None)
    if description:
        doc["notes"] = description
    if spec is not None:
        _spec_fields(spec, reader, doc, places, warnings, "", top=True)
        award = reader.label(spec.get("dcType"))
        if award:
            doc["award"] = award
    for h in holders:
        page = reader.obj(h.get("homepage"))
        url = reader.text(page.get("contentURL")) if page is not None else None
        url = url or reader.uri(h.get("landingPage"))
        if url:
            doc.setdefault("url", url)
    ident = root.ref()
    doc["sources"] = [
        {
            **({"url": ident} if ident and ident.startswith(("http://", "https://")) else {}),
            "title": f"ELM {types[0] if types else 'LOQ'} document",
            "note": "Imported from an ELM learning opportunity/qualification document"
            + (f" ({ident})" if ident else ""),
        }
    ]
    return _Converted(where, doc, places, warnings)


def _spec_fields(
    spec: Node,
    reader: _Reader,
    doc: dict[str, Any],
    places: dict[str, str],
    warnings: list[Issue],
    base: str,
    *,
    top: bool,
) -> None:
    """Level, credits, ISCED-F, language, outcomes and parts of one specification."""
    eqf_uri = reader.uri(spec.get("eqfLevel", "EQFLevel"))
    nqf_uri = reader.uri(spec.get("nqfLevel", "NQFLevel"))
    level = None
    if nqf_uri:
        try:
            reader.resolver.resolve_level(nqf_uri)
            level = nqf_uri
            places[f"{base}/level"] = _key(spec.get("nqfLevel", "NQFLevel")) or spec.pointer
        except DomainError:
            warnings.append(
                Issue(
                    Severity.WARNING,
                    _key(spec.get("nqfLevel", "NQFLevel")) or spec.pointer,
                    f"the NQF level {nqf_uri} is not in the data release; the EQF level is used",
                    "nqf_level_unknown",
                )
            )
    if level is None and eqf_uri:
        level = eqf_uri
        places[f"{base}/level"] = _key(spec.get("eqfLevel", "EQFLevel")) or spec.pointer
    if level:
        doc["level"] = level
    if top and eqf_uri:
        number = eqf_uri.rstrip("/").rsplit("/", 1)[-1]
        if number.isdigit():
            doc["eqf_level"] = int(number)
            places[f"{base}/eqf_level"] = _key(spec.get("eqfLevel", "EQFLevel")) or spec.pointer
    for point in reader.objects(spec.get("creditPoint")):
        framework = reader.obj(point.get("framework"))
        system = credit_system(
            framework.ref() if framework else reader.uri(point.get("framework")),
            reader.label(point.get("framework")),
        )
        value_node = point.get("point")
        value = value_node.scalar() if value_node is not None else None
        doc["credits"] = {"value": value, "system": system or "unspecified"}
        places[f"{base}/credits"] = point.pointer
        places[f"{base}/credits/value"] = _key(value_node) or point.pointer
        places[f"{base}/credits/system"] = _key(point.get("framework")) or point.pointer
        if system == "ECTS":
            break
    for key in ("ISCEDFCode", "thematicArea"):
        held = spec.get(key)
        for item in held.each() if held is not None else []:
            ref = item.ref() or reader.uri(item)
            code = normalise_isced_f(ref) if ref else None
            if code and "isced_f" not in doc:
                doc["isced_f"] = code
                places[f"{base}/isced_f"] = item.pointer
    language = language_code(reader.uri(spec.get("language")))
    if language:
        doc["language"] = language
    outcomes: list[str] = []
    for node in reader.objects(spec.get("learningOutcome")):
        text = reader.text(node.get("title", "definition", "description", "prefLabel"))
        if text:
            places[f"{base}/learning_outcomes/{len(outcomes)}"] = node.pointer
            outcomes.append(text)
        else:
            warnings.append(
                Issue(
                    Severity.WARNING,
                    node.pointer,
                    "a learning outcome without text is left out",
                    "empty_outcome",
                )
            )
    if outcomes:
        doc["learning_outcomes"] = outcomes
    if not top:
        return
    modules: list[dict[str, Any]] = []
    for part in reader.objects(spec.get("hasPart")):
        m_base = f"/modules/{len(modules)}"
        module: dict[str, Any] = {}
        places[m_base] = part.pointer
        ident = reader.obj(part.get("identifier"))
        code = reader.text(ident.get("notation")) if ident is not None else None
        ref = part.ref()
        code = code or (ref.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] if ref else None)
        if code:
            module["code"] = code
        places[f"{m_base}/code"] = _key(part.get("identifier")) or f"{part.pointer}/id"
        title = reader.text(part.get("title"))
        if title:
            module["title"] = title
        places[f"{m_base}/title"] = _key(part.get("title")) or f"{part.pointer}/title"
        _spec_fields(part, reader, module, places, warnings, m_base, top=False)
        modules.append(module)
    whole = doc.pop("learning_outcomes", None)
    whole_places = {k: v for k, v in places.items() if k.startswith("/learning_outcomes/")}
    if not modules and (whole or doc.get("credits")):
        # A qualification published without parts: the catalogue keeps learning outcomes on
        # modules, so the qualification is its own single module (same credits and level).
        ref = spec.ref()
        module = {
            "code": (ref.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] if ref else "1"),
            "title": doc.get("title", ""),
            **{k: doc[k] for k in ("credits", "level", "isced_f", "language") if k in doc},
            **({"learning_outcomes": whole} if whole else {}),
        }
        for key, value in list(places.items()):
            if key.startswith(("/credits", "/level", "/isced_f", "/title")):
                places["/modules/0" + key] = value
        for key, value in whole_places.items():
            places["/modules/0" + key] = value
        places["/modules/0"] = spec.pointer
        places["/modules/0/code"] = f"{spec.pointer}/id"
        modules.append(module)
    elif whole:
        doc["notes"] = "\n".join(
            [*([doc["notes"]] if doc.get("notes") else []), "Learning outcomes:", *whole]
        )
        warnings.append(
            Issue(
                Severity.WARNING,
                _key(spec.get("learningOutcome")) or spec.pointer,
                "the learning outcomes of the qualification as a whole (besides its parts) are "
                "kept in the notes",
                "outcomes_in_notes",
            )
        )
    if modules:
        doc["modules"] = modules


def _roots(document: Any) -> list[Node]:
    if isinstance(document, list):
        nodes = [Node(item, f"/{i}") for i, item in enumerate(document)]
    elif isinstance(document, Mapping) and isinstance(document.get("@graph"), list):
        nodes = [Node(item, f"/@graph/{i}") for i, item in enumerate(document["@graph"])]
    else:
        nodes = [Node(document, "")]
    return [n for n in nodes if n.is_object and set(_types(n)) & set(ROOT_TYPES)]


def _framed(document: Any) -> Any:
    """``document`` in the compact tree the reader reads (framed by pyld when it is not)."""
    report = read_context(document)
    if processing_reason(document, report) is None:
        return document
    expanded = expand(with_bundled_contexts(document, bundled("edc").urls[0]))
    framed = frame(expanded, ELM_READING, [ELM + t for t in ROOT_TYPES])
    return framed


def read_loq(
    document: Any,
    resolver: LevelResolver,
    *,
    source: str | None = None,
    language: str | None = None,
) -> list[ImportedProgramme]:
    """Every LOQ root of ``document`` as a validated catalogue programme.

    Raises:
        CatalogueInputError: every problem, located by JSON pointer in the LOQ document.
    """
    try:
        tree = _framed(document)
    except CredentialInputError as exc:
        raise CatalogueInputError(
            [Issue(Severity.ERROR, exc.field or "/@context", exc.message, "jsonld")],
            source=source,
        ) from None
    roots = _roots(tree)
    if not roots:
        raise CatalogueInputError(
            [
                Issue(
                    Severity.ERROR,
                    "/type",
                    "no LearningOpportunity, Qualification or LearningAchievementSpecification "
                    "(an ELM learning opportunity/qualification document) was found",
                    "not_loq",
                )
            ],
            source=source,
        )
    reader = _Reader(Node(tree, ""), resolver, language)
    converted = [_convert(root, reader, root.pointer) for root in roots]
    try:
        imported = read_document([c.doc for c in converted], resolver, source=source)
    except CatalogueInputError as exc:
        raise CatalogueInputError(
            _unique(_relocate(issue, converted) for issue in exc.issues),
            source=source,
        ) from None
    out = []
    for item, c in zip(imported, converted, strict=True):
        # the conversion's own warnings are located in the LOQ document already
        located = [w.at(c.locate(w.where)) for w in _strip(item.warnings, item.where)]
        warnings = tuple(c.warnings + located)
        out.append(replace(item, warnings=warnings, where=c.root or "/"))
    return out


def _strip(issues: tuple[Issue, ...], base: str) -> list[Issue]:
    prefix = "" if base == "/" else base
    return [i.at(i.where[len(prefix) :] if i.where.startswith(prefix) else i.where) for i in issues]


def _unique(issues: Iterable[Issue]) -> list[Issue]:
    """One issue per place and code (a qualification that is its own module would otherwise
    report a missing title twice, at the same place)."""
    seen: dict[tuple[str, str], Issue] = {}
    for issue in issues:
        seen.setdefault((issue.where, issue.code), issue)
    return list(seen.values())


def _relocate(issue: Issue, converted: list[_Converted]) -> Issue:
    parts = issue.where.split("/")
    if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(converted):
        c = converted[int(parts[1])]
        inner = "/" + "/".join(parts[2:]) if len(parts) > 2 else ""
        return issue.at(c.locate(inner))
    return issue


__all__ = ["ROOT_TYPES", "is_loq", "read_loq"]
