"""MADR (Markdown Architectural Decision Records, https://adr.github.io/madr/) files in and out: pure translation,
no Django, no database (DESIGN.md §3: interop imports only apps' rules and contracts, and here needs neither).

`parse(text) -> MadrRecord` keeps the whole file as a layout: the front matter as ordered key/raw-value pairs
(unknown keys, comments and the spelling of every value kept), the text before and after the level-1 title, and
every heading of level 2 and below with its body, verbatim (headings inside fenced code are body text). The parts
a decision record models are derived from that layout:

- "Context and Problem Statement" -> `context`;
- "Considered Options" -> the options' titles (the list items, HTML comments and "…" placeholders left out);
- "Decision Outcome" -> `decision` (its text before its first sub-heading) and `chosen_option` (`Chosen option:
  "X"`, matched to an option leniently: links read as their text, quotes alike, a title that goes on after the
  chosen words); its "### Consequences" -> `consequences`;
- "Pros and Cons of the Options" -> each "### <option>" (with its deeper headings) -> that option's description;
- front matter `status`, `date`, `decision-makers`; a value in curly braces is a MADR placeholder, i.e. empty.

`render(record)` writes the layout back: parse then render gives the file back byte for byte (tests run it on the
MADR project's own files). `updated(record, values)` re-renders only the modelled parts whose values differ from
what the record says, in MADR template form and in their places; everything else stays as it was.
`new_record(values)` writes a record that was never a file, in the template's section order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
CONTEXT, OPTIONS, OUTCOME, CONSEQUENCES, PROS_CONS = (
    "context and problem statement",
    "considered options",
    "decision outcome",
    "consequences",
    "pros and cons of the options",
)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*(?:[ \t]#+[ \t]*)?$|^(#{1,6})[ \t]*$")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)[ \t]*:(.*)$", re.DOTALL)
_ITEM = re.compile(r"^[*+-][ \t]+(.*)$")
_CHOSEN = re.compile(r"Chosen option:?\**[ \t]*[\"“']([^\"”\n]+)[\"”']")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


class MadrError(Exception):
    """A file that is not a MADR record we can read: the message, its line (1-based) and the field concerned."""

    def __init__(self, message: str, *, line: int | None, field: str) -> None:
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


@dataclass(frozen=True, slots=True)
class Section:
    """One heading (level 2 to 6, or a second level-1) and the Markdown up to the next heading, verbatim. `raw` is
    the heading's line as written (with its line ending), empty for a section this module wrote."""

    heading: str
    level: int
    body: str
    line: int = 0
    raw: str = ""

    def text(self) -> str:
        return (self.raw or f"{'#' * self.level} {self.heading}\n") + self.body


@dataclass(frozen=True, slots=True)
class MadrOption:
    title: str
    description: str = ""


@dataclass(frozen=True)
class MadrRecord:
    """A MADR file as a layout, with the parts a decision record models derived from it (see the module's doc)."""

    front_matter: tuple[tuple[str, str], ...] | None  # (key, raw value after the colon); key "" = a verbatim line
    before_title: str
    title: str
    title_raw: str
    after_title: str
    sections: tuple[Section, ...]
    context: str = ""
    options: tuple[MadrOption, ...] = ()
    decision: str = ""
    chosen_option: str = ""  # the chosen option's title, as listed under Considered Options
    consequences: str = ""
    status: str = ""  # as written (placeholders empty)
    date: str = ""
    decision_makers: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)  # field -> line, for errors about this record

    def line_of(self, name: str) -> int | None:
        return self.lines.get(name)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The front matter's keys in order, unknown ones included, each with its value as text (a list as its
        items joined by ", "; a placeholder empty)."""
        out = []
        for key, raw in self.front_matter or ():
            if key:
                items = _names(raw) if "\n" in raw.strip("\n") or raw.strip().startswith("[") else (_scalar(raw),)
                out.append((key, ", ".join(items)))
        return tuple(out)

    @property
    def section_outline(self) -> tuple[tuple[str, int], ...]:
        """The headings in order, with their levels: what a round trip must keep."""
        return tuple((s.heading, s.level) for s in self.sections)


@dataclass(frozen=True, slots=True)
class Values:
    """A decision record's modelled parts, to write into a MADR file. `decision_makers=None` keeps what the file
    says; an empty `date` keeps the file's date."""

    title: str
    status: str = "proposed"
    date: str = ""
    decision_makers: tuple[str, ...] | None = None
    context: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (title, description)
    decision: str = ""
    chosen_option: str = ""
    consequences: str = ""


# ---------------------------------------------------------------------------------------------- parse


def parse(text: str) -> MadrRecord:
    """A MADR file's layout and modelled parts, or MadrError naming the line and the field."""
    if not isinstance(text, str) or "\x00" in text:
        raise MadrError("the file is not text", line=1, field="file")
    lines = text.splitlines(keepends=True)
    front, start, fm_lines = _front_matter(lines)
    before: list[str] = []
    title = title_raw = None
    title_line = 0
    after: list[str] = []
    sections: list[Section] = []
    fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        bare = line.rstrip("\r\n")
        fenced = _FENCE.match(bare)
        if fence is not None:
            if (
                fenced
                and fenced.group(1)[0] == fence[0]
                and len(fenced.group(1)) >= len(fence)
                and not bare.strip(fenced.group(1)[0]).strip()
            ):
                fence = None
            _append(sections, after, before, title_raw, line)
            continue
        if fenced:
            fence = fenced.group(1)
            _append(sections, after, before, title_raw, line)
            continue
        heading = _HEADING.match(bare)
        if heading and not bare.startswith("    "):
            level = len(heading.group(1) or heading.group(3))
            words = (heading.group(2) or "").strip()
            if level == 1 and title_raw is None:
                title, title_raw, title_line = words, line, index + 1
                continue
            if title_raw is not None:
                sections.append(Section(words, level, "", index + 1, line))
                continue
        _append(sections, after, before, title_raw, line)
    if title_raw is None:
        raise MadrError("a MADR file has its title as a level-1 heading (# Title)", line=start + 1, field="title")
    record = MadrRecord(
        front_matter=front,
        before_title="".join(before),
        title=title or "",
        title_raw=title_raw,
        after_title="".join(after),
        sections=tuple(sections),
        lines={**fm_lines, "title": title_line},
    )
    return _derive(record)


def _append(sections: list[Section], after: list[str], before: list[str], title_raw: str | None, line: str) -> None:
    if title_raw is None:
        before.append(line)
    elif sections:
        last = sections[-1]
        sections[-1] = replace(last, body=last.body + line)
    else:
        after.append(line)


def _front_matter(lines: list[str]) -> tuple[tuple[tuple[str, str], ...] | None, int, dict[str, int]]:
    """The front matter's entries, the index of the first line after it, and the line of each key."""
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None, 0, {}
    entries: list[list[str]] = []
    where: dict[str, int] = {}
    for index in range(1, len(lines)):
        line = lines[index]
        bare = line.rstrip("\r\n")
        if bare == "---":
            return tuple((k, v) for k, v in entries), index + 1, where
        key = _KEY.match(line) if not line[:1].isspace() else None
        if key:
            name = key.group(1)
            if name in where:
                raise MadrError(f"the front matter gives {name!r} twice", line=index + 1, field=name)
            where[name] = index + 1
            entries.append([name, key.group(2)])
        elif entries and entries[-1][0] and (line[:1].isspace() or bare.startswith("- ")) and bare.strip():
            entries[-1][1] += line  # a continued value: an indented line or a list item
        elif not bare.strip() or bare.lstrip().startswith("#"):
            entries.append(["", line])  # blank lines and comments stay where they are
        else:
            raise MadrError(
                "a front-matter line is neither `key: value` nor a list item", line=index + 1, field="front_matter"
            )
    raise MadrError(
        "the front matter (from `---` on line 1) is never closed by a `---` line", line=1, field="front_matter"
    )


def _derive(record: MadrRecord, *, strict: bool = True) -> MadrRecord:
    """The modelled parts, read from the layout. `strict` (reading a file) refuses what a record cannot hold; a
    layout this module wrote from a decision is read leniently (an unreadable part is left empty), so an export
    never fails on what a person typed."""
    sections = record.sections
    lines = dict(record.lines)
    fm = dict((k, v) for k, v in (record.front_matter or ()) if k)
    status = _scalar(fm.get("status", ""))
    date = _scalar(fm.get("date", ""))
    if date:
        try:
            dt.date.fromisoformat(date[:10])
        except ValueError:
            if not strict:
                date = ""
            else:
                raise MadrError(
                    f"date {date!r} is not a date such as 2026-03-31", line=lines.get("date"), field="date"
                ) from None
    makers = _names(fm.get("decision-makers", ""))
    context_at = _find(sections, CONTEXT, 2)
    options_at = _find(sections, OPTIONS, 2)
    outcome_at = _find(sections, OUTCOME, 2)
    pros_at = _find(sections, PROS_CONS, 2)
    context = sections[context_at].body.strip() if context_at is not None else ""
    titles: list[tuple[str, int]] = []
    if options_at is not None:
        section = sections[options_at]
        for offset, line in enumerate(section.body.splitlines()):
            item = _ITEM.match(line)
            if item:
                words = _COMMENT.sub("", item.group(1)).strip()
                if words and words not in ("…", "..."):
                    titles.append((words, section.line + 1 + offset))
        seen: set[str] = set()
        for words, line in titles:
            key = " ".join(words.lower().split())  # the same words (a decision refuses them too)
            if key in seen and strict:
                raise MadrError(f"option {words!r} is listed twice", line=line, field="options")
            seen.add(key)
    descriptions: dict[int, str] = {}
    if pros_at is not None:
        for start, end in _children(sections, pros_at, 3):
            owner = _match([t for t, _ in titles], sections[start].heading)
            if owner is not None and owner not in descriptions:
                nested = "".join(s.text() for s in sections[start + 1 : end])
                descriptions[owner] = (sections[start].body + nested).strip()
    decision = chosen = consequences = ""
    if outcome_at is not None:
        section = sections[outcome_at]
        decision = section.body.strip()
        found = _CHOSEN.search(section.body)
        if found:
            line = section.line + 1 + section.body[: found.start()].count("\n")
            lines["chosen_option"] = line
            index = _match([t for t, _ in titles], found.group(1))
            if index is None and strict:
                raise MadrError(
                    f"the chosen option {found.group(1)!r} is none of the considered options",
                    line=line,
                    field="chosen_option",
                )
            chosen = titles[index][0] if index is not None else ""
        for start, _end in _children(sections, outcome_at, 3):
            if _norm(sections[start].heading) == CONSEQUENCES:
                consequences = sections[start].body.strip()
                break
    return replace(
        record,
        context=context,
        options=tuple(MadrOption(t, descriptions.get(i, "")) for i, (t, _) in enumerate(titles)),
        decision=decision,
        chosen_option=chosen,
        consequences=consequences,
        status=status,
        date=date,
        decision_makers=makers,
        lines=lines,
    )


def _find(sections: Sequence[Section], name: str, level: int) -> int | None:
    return next((i for i, s in enumerate(sections) if s.level == level and _norm(s.heading) == name), None)


def _children(sections: Sequence[Section], parent: int, level: int) -> list[tuple[int, int]]:
    """The (start, end) index ranges of the sub-sections of `level` under `sections[parent]`, each with its deeper
    headings."""
    out: list[tuple[int, int]] = []
    end = _end(sections, parent)
    i = parent + 1
    while i < end:
        if sections[i].level == level:
            j = i + 1
            while j < end and sections[j].level > level:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _end(sections: Sequence[Section], index: int) -> int:
    """The index after the last section under `sections[index]` (deeper headings belong to it)."""
    level = sections[index].level
    j = index + 1
    while j < len(sections) and sections[j].level > level:
        j += 1
    return j


def _norm(words: str) -> str:
    """Words compared leniently: links as their text, one kind of quote, no emphasis, spaces collapsed."""
    words = _LINK.sub(r"\1", words)
    words = words.replace("“", '"').replace("”", '"').replace("'", '"').replace("*", "").replace("_", " ")
    return " ".join(words.lower().split())


def _match(titles: Sequence[str], words: str) -> int | None:
    """The option `words` names: the same words, or the option's title goes on after them (a title with a
    description after a dash, as the MADR project's own records write it)."""
    exact = " ".join(words.lower().split())
    for i, title in enumerate(titles):
        if " ".join(title.lower().split()) == exact:
            return i
    wanted = _norm(words)
    normed = [_norm(t) for t in titles]
    for i, title in enumerate(normed):
        if title == wanted:
            return i
    for i, title in enumerate(normed):
        if wanted and title.startswith(wanted) and not title[len(wanted) : len(wanted) + 1].isalnum():
            return i
    return None


def _scalar(raw: str) -> str:
    """A front-matter value as text: quotes taken off; a MADR placeholder ({...}) is empty."""
    value = raw.strip()
    if "\n" in value and not value.startswith(("'", '"')):
        value = value.split("\n", 1)[0].strip()
    value = re.sub(r"[ \t]+#.*$", "", value) if not value.startswith(("'", '"')) else value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return "" if value.startswith("{") or value.startswith('"{') else value.strip()


def _names(raw: str) -> tuple[str, ...]:
    """decision-makers as written: a block list, a flow list ([a, b]) or comma-separated text."""
    first, _, rest = raw.partition("\n")
    items = [m.group(1) for m in (re.match(r"^\s*-\s+(.*)$", line) for line in rest.splitlines()) if m]
    if not items:
        value = first.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        items = [v for v in value.split(",")]
    names = [_scalar(item) for item in items]
    return tuple(n for n in names if n)


# ---------------------------------------------------------------------------------------------- the modelled values


def status_of(record: MadrRecord) -> str:
    """The decision's status from the file's: one of STATUSES ("superseded by ADR-0005" is superseded); a status
    we do not know ("on hold") or none is `proposed`, and the file's own word stays in its front matter."""
    words = record.status.strip().lower()
    if words.startswith("superseded"):
        return "superseded"
    return words if words in STATUSES else "proposed"


def date_of(record: MadrRecord) -> dt.date | None:
    return dt.date.fromisoformat(record.date[:10]) if record.date else None


# ---------------------------------------------------------------------------------------------- render


def render(record: MadrRecord) -> str:
    """The file: front matter, title, the text around it and every section, as the layout holds them."""
    out: list[str] = []
    if record.front_matter is not None:
        out.append("---\n")
        out += [value if not key else f"{key}:{value}" for key, value in record.front_matter]
        out.append("---\n")
    out += [record.before_title, record.title_raw or f"# {record.title}\n", record.after_title]
    out += [s.text() for s in record.sections]
    return "".join(out)


def to_layout(record: MadrRecord) -> dict[str, Any]:
    """The layout as JSON-ready data (kept in a decision's `extra`, so an export gives the same sections back)."""
    return {
        "front_matter": [list(entry) for entry in record.front_matter] if record.front_matter is not None else None,
        "before_title": record.before_title,
        "title": record.title,
        "title_raw": record.title_raw,
        "after_title": record.after_title,
        "sections": [[s.heading, s.level, s.body, s.line, s.raw] for s in record.sections],
    }


def from_layout(layout: Mapping[str, Any]) -> MadrRecord:
    """A record from `to_layout`'s data: the same layout, the modelled parts derived again."""
    front = layout.get("front_matter")
    title_raw = layout.get("title_raw") or "# \n"
    record = MadrRecord(
        front_matter=tuple((k, v) for k, v in front) if front is not None else None,
        before_title=layout.get("before_title", ""),
        title=layout.get("title", ""),
        title_raw=title_raw,
        after_title=layout.get("after_title", ""),
        sections=tuple(Section(h, lv, b, ln, raw) for h, lv, b, ln, raw in layout.get("sections", ())),
    )
    return _derive(record, strict=False)


def new_record(values: Values) -> MadrRecord:
    """A MADR 4 file for a decision that never was one, in the template's order."""
    skeleton = parse(f"---\nstatus: {values.status}\n---\n# {_one_line(values.title)}\n")
    return updated(skeleton, values)


def updated(record: MadrRecord, values: Values) -> MadrRecord:
    """`record` with the modelled parts that differ from `values` written anew (MADR template form, in place);
    the unchanged parts and everything we do not model stay as they were."""
    out = record
    if _one_line(values.title) != out.title:
        out = replace(out, title=_one_line(values.title), title_raw=f"# {_one_line(values.title)}\n")
    if values.status and values.status != status_of(out):
        out = _set_front(out, "status", f" {values.status}\n")
    if values.date and values.date != (out.date[:10] if out.date else ""):
        out = _set_front(out, "date", f" {values.date}\n")
    if values.decision_makers is not None and tuple(values.decision_makers) != out.decision_makers:
        listed = "".join(f"  - {_one_line(n)}\n" for n in values.decision_makers)
        out = _set_front(out, "decision-makers", "\n" + listed if listed else "\n")
    sections = list(out.sections)
    if values.context.strip() != out.context:
        sections = _put(sections, CONTEXT, 2, _block(values.context), after=())
    titles = tuple(t for t, _ in values.options)
    if titles != tuple(o.title for o in out.options):
        body = "\n" + "".join(f"* {_one_line(t)}\n" for t in titles) + "\n"
        sections = _put(sections, OPTIONS, 2, body, after=(CONTEXT,))
    chosen = _one_line(values.chosen_option)
    if values.decision.strip() != out.decision or chosen != out.chosen_option:
        sections = _put(sections, OUTCOME, 2, _block(_outcome(values.decision, chosen)), after=(OPTIONS, CONTEXT))
    if values.consequences.strip() != out.consequences:
        sections = _put_consequences(sections, values.consequences)
    if tuple((t, d.strip()) for t, d in values.options) != tuple((o.title, o.description) for o in out.options):
        sections = _put_pros_cons(sections, out, values.options)
    if sections != list(out.sections):
        sections = _ends_once(sections)
    return _derive(replace(out, sections=tuple(sections)), strict=False)


def _one_line(words: str) -> str:
    return " ".join((words or "").split())


def _block(text: str) -> str:
    text = (text or "").strip()
    return f"\n{text}\n\n" if text else "\n"


def _outcome(decision: str, chosen: str) -> str:
    decision = (decision or "").strip()
    if not chosen:
        return decision
    chosen = chosen.replace('"', "'").replace("“", "'").replace("”", "'")  # inside the quotes; read alike
    found = _CHOSEN.search(decision)
    if found:  # the decision names its option already: name the chosen one
        return decision[: found.start(1)] + chosen + decision[found.end(1) :]
    return f'Chosen option: "{chosen}"' + (f", because\n\n{decision}" if decision else "")


def _put(sections: list[Section], name: str, level: int, body: str, *, after: Sequence[str]) -> list[Section]:
    """The section `name` with a new body (its sub-sections kept), or a new one after the first of `after` found
    (with its sub-sections), else first."""
    at = _find(sections, name, level)
    if at is not None:
        return [*sections[:at], replace(sections[at], body=body), *sections[at + 1 :]]
    heading = {CONTEXT: "Context and Problem Statement", OPTIONS: "Considered Options", OUTCOME: "Decision Outcome"}
    new = Section(heading[name], level, body)
    for other in after:
        found = _find(sections, other, level)
        if found is not None:
            end = _end(sections, found)
            return [*sections[:end], new, *sections[end:]]
    return [new, *sections]


def _put_consequences(sections: list[Section], text: str) -> list[Section]:
    outcome = _find(sections, OUTCOME, 2)
    if outcome is None:
        sections = _put(sections, OUTCOME, 2, "\n", after=(OPTIONS, CONTEXT))
        outcome = _find(sections, OUTCOME, 2)
    for start, _end_at in _children(sections, outcome, 3):
        if _norm(sections[start].heading) == CONSEQUENCES:
            return [*sections[:start], replace(sections[start], body=_block(text)), *sections[start + 1 :]]
    if not text.strip():
        return sections
    return [*sections[: outcome + 1], Section("Consequences", 3, _block(text)), *sections[outcome + 1 :]]


def _put_pros_cons(sections: list[Section], record: MadrRecord, options: Sequence[tuple[str, str]]) -> list[Section]:
    """Pros and Cons of the Options written anew from the options' descriptions; a sub-section that described no
    option is kept after them."""
    at = _find(sections, PROS_CONS, 2)
    titles = [o.title for o in record.options]
    kept: list[Section] = []
    head = Section("Pros and Cons of the Options", 2, "\n")
    end = at
    if at is not None:
        head = sections[at]
        end = _end(sections, at)
        for start, stop in _children(sections, at, 3):
            if _match(titles, sections[start].heading) is None:
                kept += sections[start:stop]
    described = [Section(_one_line(t), 3, _block(d)) for t, d in options if d.strip()]
    if not described and not kept:
        return [*sections[:at], *sections[end:]] if at is not None else sections
    block = [head, *described, *kept]
    if at is not None:
        return [*sections[:at], *block, *sections[end:]]
    outcome = _find(sections, OUTCOME, 2)
    place = _end(sections, outcome) if outcome is not None else len(sections)
    return [*sections[:place], *block, *sections[place:]]


def _ends_once(sections: list[Section]) -> list[Section]:
    """Every section but the last ends with a blank line; the file ends with one line ending."""
    out = []
    for i, s in enumerate(sections):
        body = s.body
        if i < len(sections) - 1:
            if not body.endswith("\n\n") and body.strip():
                body = body.rstrip("\n") + "\n\n"
        else:
            body = body.rstrip("\n") + "\n" if body.strip() else "\n"
        out.append(replace(s, body=body))
    return out


def _set_front(record: MadrRecord, key: str, raw: str) -> MadrRecord:
    entries = list(record.front_matter or ())
    for i, (k, _) in enumerate(entries):
        if k == key:
            entries[i] = (key, raw)
            break
    else:
        entries.append((key, raw))
    return replace(record, front_matter=tuple(entries))
