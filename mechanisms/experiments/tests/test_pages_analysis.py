"""The results page on a real analysis (the DuckDB data connection of the test): exposures recorded and events
loaded through the services, analysed where the data lives; the page shows the SRM banner, the peeking warning,
an interval bar per comparison, the plain-language sentence, the engine's recommendation and the exposures chart.
A plan revision after start is filed from the page (a reason required, the frozen fields unchanged)."""

from __future__ import annotations

import random

import pytest

from mechanisms.experiments import rules, services
from mechanisms.experiments.contracts import Exposure
from mechanisms.experiments.tests import helpers
from mechanisms.kernel import clock
from mechanisms.kernel.testing import field_error, page_text, signed_in


@pytest.fixture
def analysed(small_org):
    """A running experiment of checkout's (owner bob) with 3,000 units, a fifth of B's exposures lost (SRM) and B
    converting better, analysed once."""
    o = small_org
    view = helpers.started(o)
    rng = random.Random(5)
    units = [f"u{i}" for i in range(3000)]
    arms = {
        a.unit_id: a.index for a in services.assign_units(actor=o.actor("bob"), keys=[view.key], unit_ids=units[:1000])
    }
    for start in (1000, 2000):
        chunk = units[start : start + 1000]
        arms.update(
            {a.unit_id: a.index for a in services.assign_units(actor=o.actor("bob"), keys=[view.key], unit_ids=chunk)}
        )
    exposed = [u for u in units if not (arms[u] == 1 and rng.random() < 0.2)]
    services.record_exposures(actor=o.actor("bob"), key=view.key, exposures=[Exposure(unit_id=u) for u in exposed])
    at = clock.now().isoformat()
    lines = ["metric,unit_id,ts,value"]
    for u in exposed:
        if rng.random() < (0.10, 0.16)[arms[u]]:
            lines.append(f"{helpers.PRIMARY},{u},{at},1")
        lines.append(f"{helpers.GUARDRAIL},{u},{at},{rng.gauss(400, 40):.1f}")
    services.load_events_csv(actor=o.actor("bob"), content="\n".join(lines).encode(), file_name="events.csv")
    services.analyse_experiment(actor=o.actor("bob"), key=view.key)
    return o, view


def test_the_results_page_shows_the_analysis_in_pictures_and_words(analysed):
    o, view = analysed
    snap = services.latest_snapshot(actor=o.actor("eve"), key=view.key)
    assert snap.srm_p < 0.001 and snap.peeking
    response = signed_in("eve").get(f"/experiments/{view.key}")  # a reader outside the team
    html, text = response.content.decode(), page_text(response)
    assert response.status_code == 200
    assert 'id="srm-banner"' in html and "do not trust these results until you know why" in text
    assert 'id="peeking-warning"' in html
    assert html.count('class="ci-bar"') == 2  # the primary metric and the guardrail, B against the control
    primary = next(m for m in snap.result.metrics if m.name == helpers.PRIMARY)
    plan = view.plan
    sentence = rules.sentence(
        primary.variations[0],
        metric=helpers.PRIMARY,
        engine=plan.engine,
        difference=plan.difference,
        alpha=plan.alpha,
        inverse=False,
    )
    assert sentence.startswith("b raised") and sentence in text
    assert 'id="recommendation"' in html and snap.recommendation.sentence in text
    assert 'class="exposure-chart"' in html and 'id="revise-plan"' not in html  # a reader revises nothing
    counts = services.exposure_counts(actor=o.actor("eve"), key=view.key)
    assert f"<td>{counts[1]}</td>" in html and counts[1] < counts[0]


def test_the_team_files_a_plan_revision_from_the_page_with_its_reason(analysed):
    o, view = analysed
    cat = signed_in("cat")
    page = cat.get(f"/experiments/{view.key}").content.decode()
    assert 'id="revise-plan"' in page and 'name="revise-reason"' in page
    current = services.get_experiment(actor=o.actor("cat"), key=view.key)
    data = {
        "revise-version": current.version,
        "revise-guardrails": f"{helpers.GUARDRAIL} | mean | 0.1",
        "revise-correction": "holm",
        "revise-alpha": "0.05",
        "revise-power": "0.8",
        "revise-mde": "0.05",
        "revise-planned_sample_size": "30000",
        "revise-stop_rule": "sample_size",
        "revise-sequential_tuning": "5000",
        "revise-variations": "control | Control | 0.2\nb | B | 0.8",  # frozen: ignored, the plan's stay
    }
    missing = cat.post(f"/experiments/{view.key}/revise", data)
    assert missing.status_code == 400 and field_error(missing, "id_revise-reason")
    assert services.get_experiment(actor=o.actor("cat"), key=view.key).plan_number == 1
    reason = "The SRM showed lost exposures; we need more units after the logging fix."
    done = cat.post(f"/experiments/{view.key}/revise", {**data, "revise-reason": reason})
    assert done.status_code == 302, page_text(done)
    after = services.get_experiment(actor=o.actor("cat"), key=view.key)
    assert after.plan_number == 2 and after.plan.planned_sample_size == 30000
    assert [v.weight for v in after.plan.variations] == [0.5, 0.5]
    text = page_text(cat.get(f"/experiments/{view.key}"))
    assert "Version 2" in text and "after start" in text and reason in text
    outsider = signed_in("eve").post(f"/experiments/{view.key}/revise", {**data, "revise-reason": reason})
    assert outsider.status_code == 403
    assert services.get_experiment(actor=o.actor("cat"), key=view.key).plan_number == 2
