"""Pure rules of correction-of-error documents (MECHANISMS.md §11); standard library only."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mechanisms.corrections.contracts import ActionItem, ActionType, ImpactFigure, RootCause, TimelineEntry, Why

# Mechanisms fix root causes, not people: blaming a person or their attention is never a root cause.
BLAME_PHRASES: tuple[str, ...] = (
    "human error",
    "operator error",
    "user error",
    "mistake",
    "carelessness",
    "careless",
    "forgot",
    "didn't follow",
    "did not follow",
    "negligence",
)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    level: str = "error"


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


def lint_root_cause(*, statement: str, tag: str, people_names: Iterable[str]) -> list[Problem]:
    """A root cause names a mechanism gap, never a person or blame (MECHANISMS.md §11)."""
    problems: list[Problem] = []
    if not statement.strip():
        problems.append(Problem("root_cause.statement", "The root cause statement is empty."))
    for phrase in BLAME_PHRASES:
        if _contains(statement, phrase):
            problems.append(Problem("root_cause.statement", f'"{phrase}" blames people; name the mechanism gap.'))
            break
    candidates: set[str] = set()
    for name in people_names:
        name = name.strip()
        parts = name.split()
        candidates.add(name)
        if len(parts) >= 2:
            candidates.add(f"{parts[0]} {parts[-1]}")
            candidates.update(parts)
    for candidate in sorted(candidates):
        if len(candidate) > 1 and _contains(statement, candidate):
            problems.append(Problem("root_cause.statement", "The root cause names a person; name the mechanism gap."))
            break
    if not SLUG_RE.match(tag):
        problems.append(Problem("root_cause.tag", "The tag must be a slug such as config-drift."))
    return problems


def lint_whys(*, whys: Sequence[Why], root_cause: RootCause | None) -> list[Problem]:
    """Whys: 3 to 10, positions 1..n contiguous, each answered; fewer than 5 warns (MECHANISMS.md §11)."""
    problems: list[Problem] = []
    if len(whys) < 3 or len(whys) > 10:
        problems.append(Problem("whys", "Give between 3 and 10 whys."))
    elif len(whys) < 5:
        problems.append(Problem("whys", "Fewer than five whys; dig further.", "warning"))
    if [w.position for w in whys] != list(range(1, len(whys) + 1)):
        problems.append(Problem("whys", "Why positions must run 1..n without gaps."))
    for i, why in enumerate(whys):
        if not why.answer.strip():
            problems.append(Problem(f"whys[{i}].answer", "Every why needs an answer."))
    if root_cause is None:
        problems.append(Problem("root_cause.statement", "The whys must end in a root cause."))
    return problems


def lint_action_items(*, items: Sequence[ActionItem]) -> list[Problem]:
    """Each item has owner, due date, type; unique keys; at least one prevent or detect item (MECHANISMS.md §11)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.owner_id is None:
            problems.append(Problem(f"action_items[{i}].owner_id", "Every action item needs an owner."))
        if item.due_on is None:
            problems.append(Problem(f"action_items[{i}].due_on", "Every action item needs a due date."))
        if item.type is None:
            problems.append(Problem(f"action_items[{i}].type", "Every action item needs a type."))
        if item.key in seen:
            problems.append(Problem(f"action_items[{i}].key", f"Duplicate action item key {item.key}."))
        seen.add(item.key)
    if not any(item.type in (ActionType.PREVENT, ActionType.DETECT) for item in items):
        problems.append(Problem("action_items", "A COE with only mitigations fixes nothing; add prevent or detect."))
    return problems


def check_coe(
    *,
    root_cause: RootCause,
    people_names: Iterable[str],
    whys: Sequence[Why],
    items: Sequence[ActionItem],
    impact: Sequence[ImpactFigure],
    timeline: Sequence[TimelineEntry],
    prevention: str,
) -> list[Problem]:
    """The editor's checker: every COE lint plus impact, timeline order and prevention text (MECHANISMS.md §11)."""
    problems = lint_root_cause(statement=root_cause.statement, tag=root_cause.tag, people_names=people_names)
    problems += lint_whys(whys=whys, root_cause=root_cause)
    problems += lint_action_items(items=items)
    if not any(f.unit.strip() for f in impact):
        problems.append(Problem("impact", "Give at least one impact figure with a unit."))
    for i in range(1, len(timeline)):
        if timeline[i].at < timeline[i - 1].at:
            problems.append(Problem(f"timeline[{i}].at", "The timeline must be in order."))
    if not prevention.strip():
        problems.append(Problem("prevention", "Describe the prevention mechanism."))
    return problems


def close_refusal(*, items: Sequence[ActionItem]) -> Problem | None:
    """A COE closes only when every action item is done and verified (MECHANISMS.md §11)."""
    for i, item in enumerate(items):
        if item.done_on is None or not item.verification.strip() or item.verified_by_id is None:
            return Problem(f"action_items[{i}]", f"Action item {item.key} is not done and verified.")
    return None


def overdue(*, items: Sequence[ActionItem], today: date) -> list[ActionItem]:
    """Open items whose due date has passed (MECHANISMS.md §11)."""
    return [i for i in items if i.done_on is None and i.due_on is not None and i.due_on < today]


def age_bucket(days: int) -> str:
    """Age buckets 0-7, 8-30, 31-90, >90 (MECHANISMS.md §11)."""
    if days <= 7:
        return "0-7"
    if days <= 30:
        return "8-30"
    if days <= 90:
        return "31-90"
    return ">90"


def recurrences(
    *, service_id: int, tags: Iterable[str], earlier: Sequence[tuple[int, int, Sequence[str], Sequence[str]]]
) -> list[tuple[int, str, tuple[str, ...]]]:
    """Earlier COEs on the same service or root cause tag, with their open items (MECHANISMS.md §11)."""
    wanted = set(tags)
    found: list[tuple[int, str, tuple[str, ...]]] = []
    for coe_id, other_service, other_tags, open_keys in earlier:
        if other_service == service_id:
            found.append((coe_id, "same service", tuple(open_keys)))
            continue
        shared = sorted(wanted.intersection(other_tags))
        if shared:
            found.append((coe_id, f"same root cause tag {shared[0]}", tuple(open_keys)))
    return found


def promptness_days(*, event_at: datetime | None, approved_at: datetime | None) -> float | None:
    """Days from the event to approval of its COE (MECHANISMS.md §11)."""
    if event_at is None or approved_at is None:
        return None
    return (approved_at - event_at).total_seconds() / 86400


def time_stopped(*, pulled_at: datetime, released_at: datetime | None, now: datetime) -> timedelta:
    """How long an andon cord has held the line (MECHANISMS.md §11)."""
    return (released_at or now) - pulled_at


def pull_rate(*, pulls: int, services: int, days: int) -> float:
    """Andon pulls per service per 30 days (MECHANISMS.md §11)."""
    if services <= 0 or days <= 0:
        return 0.0
    return pulls / services / days * 30
