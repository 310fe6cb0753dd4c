"""Pure rules of hiring loops (MECHANISMS.md §5): what a loop must satisfy before it starts, and the checks on an
interviewer's feedback. No ORM, no Django settings: the services feed plain facts in (the bar raiser's eligibility
comes from the bar-raisers app's verdict, passed in as a fact), so the same rules can run against a generated org
chart in the tests and anywhere else.

Each problem names its rule and the field to change:

    opening-open               the opening is open (not a draft, on hold, filled or closed)       opening
    job-description            the opening has a written job description                          job_description
    interviews-required        the loop has at least one interview                                interviews
    principles-per-interview   every interview assesses one or two principles              interviews[i].principles
    principle-not-in-opening   every assigned principle is one the opening chose           interviews[i].principles
    coverage                   every chosen principle is assessed at least once, and (with two or more interviews)
                               none by every interviewer                                          principles
    bar-raiser-required        the loop has a bar raiser                                          bar_raiser_id
    bar-raiser-eligible        the bar raiser is an active pool member with room (bar_raisers)    bar_raiser_id
    bar-raiser-independent     the bar raiser is independent of the hiring manager and team       bar_raiser_id
    recruiter-not-bar-raiser   the recruiter is never the bar raiser                              bar_raiser_id
    would-be-report            for a manager role, a would-be report does not interview    interviews[i].interviewer_id
    interviewer-once           an interviewer appears once in the loop                     interviews[i].interviewer_id
    interview-times            an interview ends after it starts                                  interviews[i].ends_at
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .contracts import RATINGS, EvidenceInput, Problem, Vote

MAX_PRINCIPLES_PER_INTERVIEW = 2
STAR = ("situation", "task", "action", "result")


@dataclass(frozen=True, slots=True)
class InterviewFacts:
    """One non-cancelled interview, as the rules see it."""

    interviewer_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    principles: tuple[str, ...]
    interviewer_label: str = ""  # for the words of a problem ("bob")


@dataclass(frozen=True, slots=True)
class LoopFacts:
    """Everything the loop rules judge. `bar_raiser_problem` is the bar-raisers app's verdict on the loop's bar
    raiser (None: eligible and independent) with its rule ("bar-raiser-eligible" or "bar-raiser-independent")."""

    opening_state: str
    job_description: str
    opening_principles: tuple[str, ...]
    interviews: tuple[InterviewFacts, ...]
    bar_raiser_id: int | None
    bar_raiser_problem: str | None = None
    bar_raiser_problem_rule: str = "bar-raiser-independent"
    recruiter_ids: frozenset[int] = frozenset()
    manager_role: bool = False
    would_be_reports: frozenset[int] = field(default_factory=frozenset)


def loop_problems(facts: LoopFacts) -> list[Problem]:
    """Every rule the loop breaks (empty: it may start), in a stable order: the opening, the interviews, coverage,
    the bar raiser. MECHANISMS.md §5."""
    problems: list[Problem] = []
    if facts.opening_state != "open":
        problems.append(Problem("opening-open", "opening", f"the opening is {facts.opening_state}, not open"))
    if not facts.job_description.strip():
        problems.append(Problem("job-description", "job_description", "the opening has no written job description yet"))
    problems += _interview_problems(facts)
    problems += coverage_problems(facts.opening_principles, facts.interviews)
    problems += _bar_raiser_problems(facts)
    return problems


def unassessed_problems(chosen: Sequence[str], interviews: Sequence[InterviewFacts]) -> list[Problem]:
    """The first half of coverage: every principle the opening chose is assessed by at least one interview."""
    counts = Counter(p for i in interviews for p in dict.fromkeys(i.principles))
    return [
        Problem("coverage", "principles", f"principle {p} is not assessed by any interview")
        for p in chosen
        if counts[p] == 0
    ]


def coverage_problems(chosen: Sequence[str], interviews: Sequence[InterviewFacts]) -> list[Problem]:
    """Coverage (MECHANISMS.md §5): every principle the opening chose is assessed at least once; with two or more
    interviews, no principle is assessed by every interviewer (each interview then adds something new)."""
    counts = Counter(p for i in interviews for p in dict.fromkeys(i.principles))
    problems = unassessed_problems(chosen, interviews)
    if len(interviews) >= 2:
        problems += [
            Problem("coverage", "principles", f"principle {p} is assessed by every interviewer; spread the principles")
            for p in chosen
            if counts[p] == len(interviews)
        ]
    return problems


def _interview_problems(facts: LoopFacts) -> list[Problem]:
    problems: list[Problem] = []
    if not facts.interviews:
        problems.append(Problem("interviews-required", "interviews", "the loop has no interviews yet"))
    chosen = set(facts.opening_principles)
    seen: Counter[int] = Counter(i.interviewer_id for i in facts.interviews)
    reported: set[int] = set()
    for n, interview in enumerate(facts.interviews):
        who = interview.interviewer_label or f"person {interview.interviewer_id}"
        where = f"interviews[{n}]"
        count = len(interview.principles)
        if count < 1 or count > MAX_PRINCIPLES_PER_INTERVIEW or len(set(interview.principles)) != count:
            problems.append(
                Problem(
                    "principles-per-interview",
                    f"{where}.principles",
                    f"{who}'s interview must assess one or two different principles, not {count}",
                )
            )
        for principle in interview.principles:
            if principle not in chosen:
                problems.append(
                    Problem(
                        "principle-not-in-opening",
                        f"{where}.principles",
                        f"{who}'s interview assesses {principle}, which the opening did not choose",
                    )
                )
        if interview.ends_at <= interview.starts_at:
            problems.append(Problem("interview-times", f"{where}.ends_at", f"{who}'s interview ends before it starts"))
        if facts.manager_role and interview.interviewer_id in facts.would_be_reports:
            problems.append(
                Problem(
                    "would-be-report",
                    f"{where}.interviewer_id",
                    f"{who} would report to the person hired, so may not interview them",
                )
            )
        if seen[interview.interviewer_id] > 1 and interview.interviewer_id not in reported:
            reported.add(interview.interviewer_id)
            problems.append(
                Problem("interviewer-once", f"{where}.interviewer_id", f"{who} appears more than once in the loop")
            )
    return problems


def _bar_raiser_problems(facts: LoopFacts) -> list[Problem]:
    if facts.bar_raiser_id is None:
        return [Problem("bar-raiser-required", "bar_raiser_id", "the loop has no bar raiser")]
    problems = []
    if facts.bar_raiser_id in facts.recruiter_ids:
        problems.append(
            Problem("recruiter-not-bar-raiser", "bar_raiser_id", "the recruiter may never be the loop's bar raiser")
        )
    if facts.bar_raiser_problem:
        problems.append(Problem(facts.bar_raiser_problem_rule, "bar_raiser_id", facts.bar_raiser_problem))
    return problems


def interviewer_problem(facts: LoopFacts, interviewer_id: int) -> Problem | None:
    """Whether this person may be added as an interviewer at all (checked when the interview is added, not only at
    the start): a would-be report of a manager hire is refused, so is a second interview of the same person."""
    if facts.manager_role and interviewer_id in facts.would_be_reports:
        return Problem(
            "would-be-report", "interviewer_id", "this person would report to the person hired, so may not interview"
        )
    if any(i.interviewer_id == interviewer_id for i in facts.interviews):
        return Problem("interviewer-once", "interviewer_id", "this person already interviews in this loop")
    return None


# ---------------------------------------------------------------------------------------------- feedback


def feedback_problems(
    *, principles: Sequence[str], vote: str | None, evidence: Sequence[EvidenceInput], complete: bool
) -> list[Problem]:
    """The checks on feedback (MECHANISMS.md §5). Always: evidence only for the interview's assigned principles,
    once each, ratings 1..4, a vote among the four (no neutral). `complete` (a submission): every assigned
    principle has all four STAR parts and a rating, and there is an overall vote."""
    problems: list[Problem] = []
    assigned = list(principles)
    seen: set[str] = set()
    for n, item in enumerate(evidence):
        where = f"evidence[{n}]"
        if item.principle not in assigned:
            problems.append(
                Problem(
                    "evidence-principle", f"{where}.principle", f"{item.principle} is not assigned to this interview"
                )
            )
            continue
        if item.principle in seen:
            problems.append(Problem("evidence-once", f"{where}.principle", f"{item.principle} appears twice"))
        seen.add(item.principle)
        if item.rating is not None and item.rating not in RATINGS:
            problems.append(Problem("rating", f"{where}.rating", "a rating is 1, 2, 3 or 4 (there is no middle)"))
        if complete:
            for part in STAR:
                if not getattr(item, part).strip():
                    problems.append(
                        Problem("star", f"{where}.{part}", f"{item.principle}: the {part} is missing (STAR)")
                    )
            if item.rating is None:
                problems.append(Problem("rating", f"{where}.rating", f"{item.principle}: a rating 1-4 is missing"))
    if complete:
        for principle in assigned:
            if principle not in seen:
                problems.append(
                    Problem("star", "evidence", f"{principle}: no evidence written for this assigned principle")
                )
    if vote is not None and vote not in {v.value for v in Vote}:
        problems.append(
            Problem("vote", "vote", "the vote is strong_hire, hire, no_hire or strong_no_hire (there is no neutral)")
        )
    elif complete and vote is None:
        problems.append(Problem("vote", "vote", "an overall vote is required (there is no neutral)"))
    return problems


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from `start` to `end`, never negative (feedback written during the interview counts 0)."""
    return max(0, int((end - start).total_seconds() // 60))
