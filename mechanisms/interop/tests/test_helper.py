"""The forked helper of `mech check`: the same load and the same report whether it runs, fails or is never started."""

from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mechanisms.interop import backstage, cli
from mechanisms.interop.backstage import LoadResult, load_paths
from mechanisms.interop.workers import Helper, can_fork

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = ROOT / "tests" / "fixtures" / "catalogs"
FIXTURES = sorted(
    [path for path in CATALOGS.iterdir() if path.is_dir() and path.name != "broken"]
    + [path for path in (CATALOGS / "broken").iterdir() if path.is_dir()]
)


@pytest.fixture(autouse=True)
def fork_is_possible():
    """The helper forks only from a single-threaded process with two CPUs. Inside an xdist worker, or after a test
    started a server thread, that is not so: the test is skipped here, and scripts/test runs this module again in
    a process of its own, where it runs."""
    if not can_fork():
        pytest.skip("the helper needs fork, two CPUs and no other thread in this process")


def snapshot_of(result: LoadResult) -> dict[str, Any]:
    """Everything a load produced, entity by entity, to compare two loads."""
    return {
        "entities": [
            (e.kind, e.namespace, e.name, e.metadata, e.spec, e.refs, e.file, e.line, e.end_line, e.ref)
            for e in result.entities
        ],
        "errors": result.errors,
        "skipped": result.skipped,
        "unfetched": result.unfetched,
        "files": result.files,
        "sources": result.sources,
    }


def helped_load(paths: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[LoadResult, bool]:
    monkeypatch.setattr(backstage, "PARALLEL_MIN_BYTES", 0)
    with Helper() as helper:
        result = load_paths(paths, helper=helper)
        return result, helper.started


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def edge_cases(folder: Path) -> Path:
    """A catalog whose later files (the helper's share) hold every case the loader treats apart: duplicates of an
    entity read by this process, broken YAML, invalid entities, substitutions, a Location, reference mappings,
    another namespace, empty documents, a file that is not a catalog, unmodelled kinds."""
    component = """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
          namespace: {namespace}
        spec:
          type: service
          lifecycle: production
          owner: team-a
          consumesApis: [orders-api]
          dependsOn: [resource:orders-db, component:billing]
        """
    write(folder, "a-first.yaml", component.format(name="checkout", namespace="default") * 1)
    write(
        folder,
        "b-teams.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-a
          annotations: {mechanisms.dev/leader: "user:jo"}
        spec: {type: team, children: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata: {name: jo}
        spec: {memberOf: [team-a]}
        """,
    )
    write(folder, "c-duplicate.yaml", component.format(name="checkout", namespace="default"))
    write(folder, "d-namespaced.yaml", component.format(name="checkout", namespace="shop"))
    write(
        folder,
        "e-mixed.yaml",
        """\
        # a comment before the first document
        ---
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata: {name: orders-api, description: Orders}
        spec:
          type: openapi
          lifecycle: production
          owner: {kind: group, name: team-a}
          definition: |
            openapi: 3.0.3
            info: {title: orders, version: 1.0.0}
            servers: [{url: "http://localhost:8080"}]
        ---
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Resource
        metadata: {name: -bad-name}
        spec: {type: database, owner: team-a}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Template
        metadata: {name: new-service}
        spec: {}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: component
        metadata: {name: lower}
        spec: {}
        ---
        - not a mapping
        """,
    )
    write(
        folder,
        "f-broken.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: ok-one}
        spec: {type: service, lifecycle: production, owner: team-a}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: broken
        spec: {}
        """,
    )
    write(
        folder,
        "g-substitution.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata: {name: billing-api}
        spec:
          type: openapi
          lifecycle: production
          owner: team-a
          definition: {$text: ./billing.openapi.yaml}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata: {name: remote-api}
        spec:
          type: openapi
          lifecycle: production
          owner: team-a
          definition: {$text: https://example.com/openapi.yaml}
        """,
    )
    write(folder, "billing.openapi.yaml", "openapi: 3.0.3\ninfo: {title: billing, version: 2.0.0}\n")
    write(folder, "h-not-a-catalog.yaml", "name: ci\non: [push]\n")
    write(
        folder,
        "i-location.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata: {name: more}
        spec: {targets: [./more/*.yaml, ./missing.yaml]}
        """,
    )
    write(folder, "more/j-extra.yaml", component.format(name="billing", namespace="default"))
    write(folder, "k-empty.yaml", "")
    return folder


@pytest.mark.parametrize("catalog", FIXTURES, ids=lambda path: path.name)
def test_the_helper_loads_each_fixture_exactly_as_this_process_does(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = load_paths([str(catalog)])
    helped, _ = helped_load([str(catalog)], monkeypatch)
    assert snapshot_of(helped) == snapshot_of(alone)


def test_the_helper_loads_every_edge_case_exactly_as_this_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = edge_cases(tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)
    alone = load_paths(["catalog"])
    assert alone.errors and alone.skipped and alone.unfetched  # the catalog does hold the cases it should
    for share in (0.2, 0.5, 0.9):
        monkeypatch.setattr(backstage, "WORKER_SHARE", share)
        helped, started = helped_load(["catalog"], monkeypatch)
        assert started
        assert snapshot_of(helped) == snapshot_of(alone)
    assert folder.is_dir()


def test_a_helper_that_dies_or_fails_leaves_the_work_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edge_cases(tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)
    alone = load_paths(["catalog"])
    check_ahead = backstage._check_ahead

    def dies(job: Any) -> Any:
        if job[0].endswith("e-mixed.yaml"):
            os._exit(3)
        return check_ahead(job)

    def fails(job: Any) -> Any:
        raise RuntimeError("no")

    for work in (dies, fails):
        monkeypatch.setattr(backstage, "_check_ahead", work)
        helped, started = helped_load(["catalog"], monkeypatch)
        assert started
        assert snapshot_of(helped) == snapshot_of(alone)


def run(paths: list[str], output_format: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run_check(paths, output_format=output_format, today="2025-06-01", out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("output_format", ["json", "sarif", "text"])
def test_the_report_is_the_same_with_or_without_the_helper(
    output_format: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogs = [str(path) for path in FIXTURES if "broken" not in path.parts]
    readable = [str(CATALOGS / "retail"), str(CATALOGS / "fintech")]
    monkeypatch.setenv("MECHANISMS_CHECK_HELPER", "0")
    expected = [run([catalog], output_format) for catalog in [*catalogs, str(CATALOGS / "broken")]]
    expected.append(run(readable, output_format))
    monkeypatch.setenv("MECHANISMS_CHECK_HELPER", "always")
    monkeypatch.setattr(backstage, "PARALLEL_MIN_BYTES", 0)
    started = []
    original = Helper.start
    monkeypatch.setattr(Helper, "start", lambda self, *a: started.append(original(self, *a)) or started[-1])
    found = [run([catalog], output_format) for catalog in [*catalogs, str(CATALOGS / "broken")]]
    found.append(run(readable, output_format))
    assert found == expected
    assert any(started)


def test_helper_results_come_in_order_and_a_second_round_runs_on_a_payload() -> None:
    with Helper(finish=lambda payload: [item * 2 for item in payload]) as helper:
        assert helper.start(list(range(5)), lambda job: {"job": job, "text": "x" * job})
        assert [helper.take(position) for position in range(5)] == [{"job": job, "text": "x" * job} for job in range(5)]
        with pytest.raises(ValueError, match="in order"):
            helper.take(2)
        assert helper.submit([1, 2, 3])
        assert helper.collect() == [2, 4, 6]
        assert helper.collect() is None


def test_helper_jobs_that_raise_or_do_not_marshal_come_back_as_none() -> None:
    def work(job: int) -> Any:
        if job == 1:
            raise ValueError(job)
        return object() if job == 2 else job

    with Helper() as helper:
        assert helper.start([0, 1, 2, 3], work)
        assert [helper.take(position) for position in range(4)] == [0, None, None, 3]
        assert not helper.submit([1])  # no finish function: nothing to submit


def test_closing_a_helper_that_is_still_working_stops_it() -> None:
    import time

    helper = Helper(finish=lambda payload: payload)
    assert helper.start([0, 1], lambda job: time.sleep(30 * job) or job)
    assert helper.take(0) == 0
    started = time.monotonic()
    helper.close()
    assert time.monotonic() - started < 10
    helper.close()  # twice is fine
