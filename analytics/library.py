"""The Library: the documents' case studies, factual errors, checklists, framework comparison and FAQ, as data.

The content lives in ``analytics/data/library_cases.json`` and ``library_reference.json`` (English, with the
original Chinese term beside key terms). Every entry cites the document, section and line range it comes from,
with a verbatim fragment of those lines, so a test can prove each citation against ``../shared/seeds/``.
This module loads it into frozen dataclasses and searches it; it knows nothing about storage or pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
FLAG_KINDS = ("contradiction", "error", "duplicate")
OUTCOMES = ("success", "failure", "contested", "example")


@dataclass(frozen=True)
class Citation:
    """Where an entry comes from: ``doc`` (000–004), its section, first and last line, a verbatim fragment."""

    doc: str
    section: str
    first: int
    last: int
    quote: str

    @property
    def label(self) -> str:
        lines = f"L{self.first}" if self.first == self.last else f"L{self.first}-{self.last}"
        return f"{self.doc} {self.section}, {self.doc}:{lines}"

    @property
    def short(self) -> str:
        return f"{self.doc}:L{self.first}" + ("" if self.first == self.last else f"-{self.last}")


@dataclass(frozen=True)
class Flag:
    kind: str  # one of FLAG_KINDS
    text: str
    cites: tuple[Citation, ...]


@dataclass(frozen=True)
class CaseVersion:
    """What one document (or one version of a document) says about a case."""

    label: str
    cite: Citation
    founded: int | None
    what: str
    business_model: str
    lessons: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    zh: str
    kind: str  # "company" or "anonymous"
    outcome: str  # one of OUTCOMES
    tags: tuple[str, ...]
    versions: tuple[CaseVersion, ...]
    flags: tuple[Flag, ...]

    @property
    def contradicted(self) -> bool:
        return any(f.kind == "contradiction" for f in self.flags)

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(v.cite for v in self.versions) + tuple(c for f in self.flags for c in f.cites)


@dataclass(frozen=True)
class FactualError:
    id: str
    title: str
    zh: str
    says: str
    correct: str
    tags: tuple[str, ...]
    cites: tuple[Citation, ...]


@dataclass(frozen=True)
class ChecklistEntry:
    id: str
    text: str
    zh: str
    cite: Citation


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    zh: str
    items: tuple[ChecklistEntry, ...]


@dataclass(frozen=True)
class FrameworkRow:
    """One aspect of 003's TensorFlow-vs-PyTorch comparison with today's facts beside it."""

    aspect: str
    tensorflow: str
    pytorch: str
    cites: tuple[Citation, ...]
    today: str
    as_of: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Frameworks:
    cite: Citation  # 003 §8.2
    rows: tuple[FrameworkRow, ...]
    doc000_cite: Citation  # 000's own comparison, kept beside it with its contradiction flagged
    doc000_rows: tuple[dict[str, str], ...]
    selection: Citation  # 003 §8.3, the tool-selection strategy (the checklist "tools" holds its items)


@dataclass(frozen=True)
class PageLink:
    page: str  # a page file of the app, e.g. "pages/compute_cost.py"
    label: str


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    zh: str
    cite: Citation
    answer: tuple[str, ...]
    app: str  # where FounderDeck does it
    links: tuple[PageLink, ...]


@dataclass(frozen=True)
class Library:
    cases: tuple[Case, ...]
    errors: tuple[FactualError, ...]
    checklists: tuple[Checklist, ...]
    frameworks: Frameworks
    faq: tuple[FaqEntry, ...]
    checked: str  # the date the outside facts were last checked

    def checklist(self, checklist_id: str) -> Checklist:
        """The checklist ``checklist_id``; a KeyError names it and the known ones."""
        for c in self.checklists:
            if c.id == checklist_id:
                return c
        known = ", ".join(c.id for c in self.checklists)
        raise KeyError(f"{checklist_id!r} is not a Library checklist; use one of {known}")

    def checklist_entry(self, checklist_id: str, item_id: str) -> ChecklistEntry:
        """One item of a checklist; a KeyError names the item and the checklist's items."""
        checklist = self.checklist(checklist_id)
        for item in checklist.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in checklist.items)
        raise KeyError(f"{item_id!r} is not an item of checklist {checklist_id!r}; use one of {known}")

    def citations(self) -> list[tuple[str, Citation]]:
        """Every citation in the library with the entry it belongs to (for the citation test)."""
        out: list[tuple[str, Citation]] = [(f"case {c.id}", cite) for c in self.cases for cite in c.citations]
        out += [(f"error {e.id}", cite) for e in self.errors for cite in e.cites]
        out += [(f"checklist {c.id}/{i.id}", i.cite) for c in self.checklists for i in c.items]
        fw = self.frameworks
        out += [("frameworks", fw.cite), ("frameworks 000", fw.doc000_cite), ("tool selection", fw.selection)]
        out += [(f"frameworks {r.aspect}", cite) for r in fw.rows for cite in r.cites]
        out += [(f"faq {f.id}", f.cite) for f in self.faq]
        return out


def _cite(raw: dict[str, Any]) -> Citation:
    first, last = raw["lines"]
    return Citation(str(raw["doc"]), raw["section"], int(first), int(last), raw["quote"])


def _flag(raw: dict[str, Any]) -> Flag:
    if raw["kind"] not in FLAG_KINDS:
        raise ValueError(f"flag kind {raw['kind']!r} is not one of {FLAG_KINDS}")
    return Flag(raw["kind"], raw["text"], tuple(_cite(c) for c in raw["cites"]))


def _case(raw: dict[str, Any]) -> Case:
    versions = tuple(
        CaseVersion(v["label"], _cite(v["cite"]), v.get("founded"), v["what"], v["business_model"],
                    tuple(v.get("lessons", ())))
        for v in raw["versions"])
    if raw["outcome"] not in OUTCOMES:
        raise ValueError(f"case {raw['id']!r}: outcome {raw['outcome']!r} is not one of {OUTCOMES}")
    return Case(raw["id"], raw["name"], raw["zh"], raw["kind"], raw["outcome"], tuple(raw["tags"]), versions,
                tuple(_flag(f) for f in raw.get("flags", ())))


def _frameworks(raw: dict[str, Any]) -> Frameworks:
    rows = tuple(
        FrameworkRow(r["aspect"], r["tensorflow"], r["pytorch"], tuple(_cite(c) for c in r["cites"]), r["today"],
                     r["as_of"], tuple(r["sources"]))
        for r in raw["rows"])
    return Frameworks(_cite(raw["document"]), rows, _cite(raw["doc000"]["cite"]),
                      tuple(dict(r) for r in raw["doc000"]["rows"]), _cite(raw["selection"]))


def parse_library(cases: dict[str, Any], reference: dict[str, Any]) -> Library:
    """Build a :class:`Library` from the two JSON documents (already parsed)."""
    checklists = tuple(
        Checklist(c["id"], c["title"], c["zh"],
                  tuple(ChecklistEntry(i["id"], i["text"], i["zh"], _cite(i["cite"])) for i in c["items"]))
        for c in reference["checklists"])
    faq = tuple(
        FaqEntry(f["id"], f["question"], f["zh"], _cite(f["cite"]), tuple(f["answer"]), f["app"],
                 tuple(PageLink(link["page"], link["label"]) for link in f["links"]))
        for f in reference["faq"])
    errors = tuple(
        FactualError(e["id"], e["title"], e["zh"], e["says"], e["correct"], tuple(e["tags"]),
                     tuple(_cite(c) for c in e["cites"]))
        for e in reference["errors"])
    return Library(tuple(_case(c) for c in cases["cases"]), errors, checklists,
                   _frameworks(reference["frameworks"]), faq, reference["checked"])


@cache
def load_library(data_dir: Path = DATA_DIR) -> Library:
    """The bundled library (read once per process: it is reference data, never edited at run time)."""
    def read(name: str) -> dict[str, Any]:
        return json.loads((data_dir / name).read_text(encoding="utf-8"))

    return parse_library(read("library_cases.json"), read("library_reference.json"))


# --- search -------------------------------------------------------------------------------------------------

_WORDS = re.compile(r"\S+")


def _terms(query: str) -> list[str]:
    return [w.casefold() for w in _WORDS.findall(query)]


def _cite_text(c: Citation) -> str:
    return f"{c.label} {c.quote}"


def case_text(case: Case) -> str:
    """Everything a search over a case looks at: names, tags, versions, flags, citations (English and Chinese)."""
    parts = [case.id, case.name, case.zh, case.outcome, *case.tags]
    for v in case.versions:
        parts += [v.label, v.what, v.business_model, *v.lessons, _cite_text(v.cite), str(v.founded or "")]
    for f in case.flags:
        parts += [f.kind, f.text, *(_cite_text(c) for c in f.cites)]
    return " ".join(parts).casefold()


def error_text(error: FactualError) -> str:
    return " ".join([error.id, error.title, error.zh, error.says, error.correct, *error.tags,
                     *(_cite_text(c) for c in error.cites)]).casefold()


def _matches(text: str, terms: Iterable[str]) -> bool:
    return all(t in text for t in terms)


def search(library: Library, query: str = "", tags: Iterable[str] = ()) -> Library:
    """The library narrowed to entries containing every word of ``query`` (any case, English or Chinese)
    and, for cases and errors, every tag of ``tags``. An empty query and no tags return everything.

    Checklists keep the items that match (a checklist with none is dropped); FAQ entries match on their
    question, answer and citation; the framework comparison is always kept (it is one table).
    """
    terms, wanted = _terms(query), {t.casefold() for t in tags}
    if not terms and not wanted:
        return library

    def tagged(entry_tags: Iterable[str]) -> bool:
        return wanted <= {t.casefold() for t in entry_tags}

    cases = tuple(c for c in library.cases if tagged(c.tags) and _matches(case_text(c), terms))
    errors = tuple(e for e in library.errors if tagged(e.tags) and _matches(error_text(e), terms))
    checklists = []
    for checklist in library.checklists:
        head = f"{checklist.id} {checklist.title} {checklist.zh}".casefold()
        items = tuple(i for i in checklist.items
                      if _matches(f"{head} {i.id} {i.text} {i.zh} {_cite_text(i.cite)}".casefold(), terms))
        if items and not wanted:
            checklists.append(replace(checklist, items=items))
    faq = tuple(f for f in library.faq if not wanted and _matches(
        " ".join([f.question, f.zh, *f.answer, f.app, _cite_text(f.cite)]).casefold(), terms))
    return replace(library, cases=cases, errors=errors, checklists=tuple(checklists), faq=faq)


def all_tags(library: Library) -> list[str]:
    """Every tag of the cases and errors, sorted, for a filter."""
    return sorted({t for c in library.cases for t in c.tags} | {t for e in library.errors for t in e.tags})
