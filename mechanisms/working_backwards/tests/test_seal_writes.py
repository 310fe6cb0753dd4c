"""Writes by the wrong person (issue 11 "Bad input"; docs/access.md): someone who cannot read the PR/FAQ gets 404,
a reader who may not take the move is refused naming the rule (400 or 403: `403` in the tables), and in every
refused cell nothing changes: not the PR/FAQ's version, state or circle, not its document's version or revision,
not its comments or attachments, not the change log (check_matrix's `unchanged`).

Revise (both doors), advance, shelve, approve, name a circle's members, attach: each tried by everyone but the
people who may take it there; comment: by everyone, since readers may comment while it is in review."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import ALLOWED, FORBIDDEN, HIDDEN, SIGNED_OUT

from .seal_doors import comment_door, run_matrix, state_of, write_doors
from .seal_world import EVERYONE, READERS, STAGES, build_world

pytestmark = pytest.mark.django_db

# Who may take each write at each stage (left out of that stage's rows: their write would succeed).
MAY = {
    "revise": {s: {"bob"} for s in STAGES},
    "revise document": {s: {"bob"} for s in STAGES},
    "attach": {s: {"bob"} for s in STAGES},
    "members": {s: {"bob"} for s in STAGES},
    "advance": {"c2": {"dan"}, "c3": {"vp-retail"}, "high": {"dan"}},
    "shelve": {"draft": {"bob"}, "c2": {"bob", "dan"}, "c3": {"bob", "vp-retail"}, "c4": {"bob", "ceo"},
               "high": {"bob", "dan"}},
    "approve": {"c4": {"ceo"}},
}  # fmt: skip


@pytest.fixture
def seal(small_org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org, reading=False)


def _refused_table(stage: str, roles) -> str:
    rows = [stage]
    rows += [f"{role} {FORBIDDEN if role in READERS[stage] else HIDDEN}" for role in roles]
    rows.append(f"anonymous {SIGNED_OUT}")
    return "\n".join(rows)


def test_a_wrong_persons_write_is_refused_and_changes_nothing(seal, as_):
    failures = []
    for door in write_doors(seal, as_):
        for stage in STAGES:
            roles = [r for r in EVERYONE if r not in MAY[door.name].get(stage, set())]
            try:
                run_matrix(
                    _refused_table(stage, roles),
                    doors=[door],
                    records={stage: seal.prfaqs[stage]},
                    unchanged=lambda p: state_of(seal, p),
                )
            except AssertionError as failure:
                failures.append(f"[{door.name} on {stage}] {failure}")
    assert not failures, "\n".join(failures)


def test_readers_comment_while_in_review_and_nobody_else_ever(seal, as_):
    in_review = {"c2", "c3", "c4", "high"}
    rows = [" ".join(STAGES)]
    for role in EVERYONE:
        cells = []
        for stage in STAGES:
            if role not in READERS[stage]:
                cells.append(HIDDEN)
            else:
                cells.append(ALLOWED if stage in in_review else FORBIDDEN)
        rows.append(" ".join([role, *cells]))
    rows.append(" ".join(["anonymous", *[SIGNED_OUT] * len(STAGES)]))
    run_matrix(
        "\n".join(rows),
        doors=[comment_door(as_)],
        records={stage: seal.prfaqs[stage] for stage in STAGES},
        unchanged=lambda p: state_of(seal, p),
    )
