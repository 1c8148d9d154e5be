"""Read models of the Library and Errata pages.

:func:`library_view` is the Library page's one domain call: the documents' content narrowed by the search,
with the workspace's stored ticks and notes beside each checklist item. :func:`errata_view` is the Errata
page's: every erratum recomputed for the page's inputs, each linked to the modelhub entries that reproduce or
correct the same lines of the same document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from analytics.errata import ErrataInputs, Erratum, errata
from analytics.library import Checklist, Citation, Library, all_tags, load_library, search
from db.checklists import UNTOUCHED, ItemState, checklist_state


@dataclass(frozen=True)
class ChecklistProgress:
    checklist: Checklist  # the items the search kept
    state: dict[str, ItemState]  # by item id, for every item of the checklist
    done: int  # ticked items of the whole checklist (not only those shown)
    total: int


@dataclass(frozen=True)
class LibraryView:
    library: Library  # narrowed by the search
    full: Library  # everything, for counts
    checklists: tuple[ChecklistProgress, ...]
    tags: list[str]
    query: str

    @property
    def searching(self) -> bool:
        return bool(self.query.strip()) or self.library is not self.full

    @property
    def matches(self) -> int:
        lib = self.library
        return len(lib.cases) + len(lib.errors) + sum(len(c.items) for c in lib.checklists) + len(lib.faq)


def library_view(*, session: Session, workspace_id: int, query: str = "", tags: Iterable[str] = ()) -> LibraryView:
    """Everything the Library page draws, read in one session."""
    full = load_library()
    shown = search(full, query, tags)
    stored = checklist_state(session=session, workspace_id=workspace_id)
    progress = []
    for checklist in shown.checklists:
        whole = full.checklist(checklist.id)
        state = {i.id: stored.get((checklist.id, i.id), UNTOUCHED) for i in whole.items}
        progress.append(ChecklistProgress(checklist, state, sum(s.done for s in state.values()), len(whole.items)))
    return LibraryView(shown, full, tuple(progress), all_tags(full), query)


# --- errata ---------------------------------------------------------------------------------------------------

_RANGE = re.compile(r"(?:(\d{3}):)?L(\d+)(?:-(\d+))?")


def source_ranges(source: str) -> list[tuple[str, int, int]]:
    """(doc, first, last) of each line range in a registry source such as "004 §3.1.1, 004:L151-164, L202-248";
    a range without its own document belongs to the one before it."""
    doc, out = None, []
    for m in _RANGE.finditer(source):
        doc = m.group(1) or doc
        if doc is None:
            continue
        first = int(m.group(2))
        out.append((doc, first, int(m.group(3) or first)))
    return out


def _overlaps(cite: Citation, ranges: list[tuple[str, int, int]]) -> bool:
    return any(doc == cite.doc and first <= cite.last and cite.first <= last for doc, first, last in ranges)


@dataclass(frozen=True)
class ModelLink:
    name: str
    as_written: bool  # True: reproduces the document's version; False: the corrected model
    source: str


@dataclass(frozen=True)
class ErrataView:
    errata: tuple[Erratum, ...]
    links: dict[str, tuple[ModelLink, ...]]  # by erratum id


def _registry_entries() -> list:
    from modelhub import registry  # imports torch and the model families: only when the page asks

    return registry.entries()


def errata_view(*, inputs: ErrataInputs | None = None, entries: list | None = None) -> ErrataView:
    """Every erratum recomputed for ``inputs``, each with the modelhub entries it names (those registered) and
    every as-written variant citing lines that overlap its own (``entries`` defaults to the registry's)."""
    items = tuple(errata(inputs))
    entries = _registry_entries() if entries is None else entries
    by_name = {e.name: e for e in entries}
    links: dict[str, tuple[ModelLink, ...]] = {}
    for erratum in items:
        found = [by_name[n] for n in erratum.modelhub if n in by_name]
        # Other helpers' as-written variants of the same lines join without an edit here.
        found += [e for e in entries if e not in found and e.as_written_of is not None
                  and _overlaps(erratum.cite, source_ranges(e.source))]
        ordered = sorted(found, key=lambda e: (e.as_written_of is None, e.name))
        links[erratum.id] = tuple(ModelLink(e.name, e.as_written_of is not None, e.source) for e in ordered)
    return ErrataView(items, links)
