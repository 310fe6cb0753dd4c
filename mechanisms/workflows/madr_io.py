"""MADR Markdown files in and out of the decision log (issue 11 item 5): teams that keep their decisions in their
repositories keep them there. The translation is `interop.madr` (pure); this module matches the files'
decision-makers to people (org) and hands the records to `decisions.services.import_decisions`, and writes a
decision back as a file from `decisions.services` reads. It lives in workflows because it joins three layers
(interop above decisions, org below), as the catalog's import does."""

from __future__ import annotations

from collections.abc import Sequence

from mechanisms.decisions import services as decisions_services
from mechanisms.decisions.contracts import DecisionImport, MadrImportReport, OptionInput
from mechanisms.interop import madr
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.org import services as org_services

MAX_FILES = 500
MAX_FILE_CHARS = 500_000


def import_madr(*, actor: Actor, files: Sequence[tuple[str, str]], owner_id: int | None = None) -> MadrImportReport:
    """Import MADR files, given as (name, text), all or nothing: every file is parsed and every decision-maker
    matched to a person (by name, handle or e-mail) before anything is written; a bad file is a RuleViolation
    naming the file, the line and the field (`details`: file, line, field) and nothing is written.

    The first decision-maker is the decision's single owner, the others participants without a stance. With
    `owner_id` that person owns every imported decision, and decision-makers no person matches are reported in
    `unmatched` (kept in the file's front matter), not refused; without it an unmatched decision-maker is the
    import's error, and a file naming none is owned by the actor's person. Sections we do not model are kept in
    their places (the decision's `extra`), so the export gives them back."""
    org_services.require_signed_in(actor)
    if not files:
        raise RuleViolation("give at least one MADR file", field="files")
    if len(files) > MAX_FILES:
        raise RuleViolation(f"import at most {MAX_FILES} files at once", field="files")
    if owner_id is not None and owner_id != actor.person_id and not actor.is_admin:
        raise PermissionDenied("only an admin imports decisions for another owner", field="owner_id")
    parsed = []
    for name, text in files:
        if not isinstance(text, str) or len(text) > MAX_FILE_CHARS:
            raise _error(name, 1, "file", f"a MADR file is text of at most {MAX_FILE_CHARS} characters")
        try:
            parsed.append((name, madr.parse(text)))
        except madr.MadrError as exc:
            raise _error(name, exc.line, exc.field, exc.message) from None
    people = _people_index()
    records, unmatched = [], []
    for name, record in parsed:
        matched, missing = [], []
        for who in record.decision_makers:
            person = people.get(who.strip().lstrip("@").lower())
            if person is None:
                missing.append(who)
            elif person not in matched:
                matched.append(person)
        line = record.line_of("decision-makers")
        if missing and owner_id is None:
            raise _error(
                name,
                line,
                "decision-makers",
                f"no person has the name, handle or e-mail {missing[0]!r}; name an owner to import anyway",
            )
        unmatched += [(name, who) for who in missing]
        owner = owner_id or (matched[0] if matched else actor.person_id)
        if owner is None:
            raise _error(name, line, "decision-makers", "the file names no decision-maker: name an owner")
        chosen = next((i for i, o in enumerate(record.options, 1) if o.title == record.chosen_option), None)
        status = madr.status_of(record)
        records.append(
            DecisionImport(
                source=name,
                question=record.title or name,
                context=record.context,
                options=tuple(OptionInput(o.title, o.description) for o in record.options),
                decision=record.decision,
                chosen_option=chosen,
                status=status,
                decided_on=madr.date_of(record) if status != "proposed" else None,
                consequences=record.consequences,
                owner_id=owner,
                participant_ids=tuple(p for p in matched if p != owner),
                layout={"madr": madr.to_layout(record), "people": [owner, *(p for p in matched if p != owner)]},
            )
        )
    created = decisions_services.import_decisions(actor=actor, records=records)
    return MadrImportReport(decisions=tuple(created), unmatched=tuple(unmatched))


def export_madr(*, actor: Actor, decision_id: int) -> tuple[str, str]:
    """A decision as a MADR file: (`NNNN-slug.md`, its text). An imported decision whose modelled parts did not
    change exports back as it came; a changed part is written in MADR's template form in its place, and the
    sections we do not model keep theirs. Raises NotFound."""
    decision = decisions_services.get_decision(actor=actor, decision_id=decision_id)
    layout = decisions_services.decision_layout(actor=actor, decision_id=decision_id) or {}
    people_ids = [decision.owner_id, *(p.person_id for p in decision.participants)]
    makers: tuple[str, ...] | None = None
    if layout.get("people") != people_ids:  # the people changed since the import (or it never was a file)
        names = org_services.get_people(actor=Actor.system("decisions"), ids=people_ids)
        makers = tuple(names[i].name for i in people_ids if i in names)
    values = madr.Values(
        title=decision.question,
        status=decision.status.value,
        date=decision.decided_on.isoformat() if decision.decided_on else "",
        decision_makers=makers,
        context=decision.context,
        options=tuple((o.title, o.description) for o in decision.options),
        decision=decision.decision,
        chosen_option=decision.chosen.title if decision.chosen else "",
        consequences=decision.consequences,
    )
    stored = layout.get("madr")
    record = madr.updated(madr.from_layout(stored), values) if stored else madr.new_record(values)
    return f"{decision.number:04d}-{decision.slug}.md", madr.render(record)


def _error(name: str, line: int | None, field: str, message: str) -> RuleViolation:
    where = f"{name}, line {line}" if line else name
    return RuleViolation(
        f"{where}: {field}: {message}", field="files", details={"file": name, "line": line, "field": field}
    )


def _people_index() -> dict[str, int]:
    """Every person by lower-cased name, handle and e-mail (a decision-maker may be written any of the three)."""
    index: dict[str, int] = {}
    offset: int | None = 0
    while offset is not None:
        found = org_services.list_people(actor=Actor.system("decisions"), limit=200, offset=offset)
        for p in found.items:
            for key in (p.name, p.handle, p.email):
                if key:
                    index.setdefault(key.strip().lower(), p.id)
        offset = found.next_offset
    return index
