"""Reading Backstage descriptor files: references, names, YAML 1.2, substitutions, Locations, located errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.interop.backstage import (
    Entity,
    RefSyntaxError,
    Unresolved,
    is_valid_name,
    is_valid_namespace,
    load_paths,
    parse_ref,
)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT.parent / "shared" / "backstage-examples"

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def entities_by_ref(folder: Path) -> dict[str, Entity]:
    result = load_paths([str(folder)])
    assert result.errors == []
    return {entity.ref: entity for entity in result.entities}


# -- references ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default_kind", "expected"),
    [
        ("team-a", "group", "group:default/team-a"),
        ("user:jo", "group", "user:default/jo"),
        ("lending/loans", "group", "group:lending/loans"),
        ("Component:Shop/Checkout-API", None, "component:shop/checkout-api"),
        ("api:default/orders", "api", "api:default/orders"),
    ],
)
def test_reference_takes_the_field_default_kind_and_the_referrers_namespace(
    text: str, default_kind: str | None, expected: str
) -> None:
    assert parse_ref(text, default_kind=default_kind, default_namespace="default") == expected


def test_reference_inherits_the_namespace_of_the_referring_entity() -> None:
    assert parse_ref("loans", default_kind="group", default_namespace="lending") == "group:lending/loans"
    assert parse_ref("default/loans", default_kind="group", default_namespace="lending") == "group:default/loans"


def test_reference_in_object_form_is_accepted() -> None:
    ref = parse_ref({"kind": "Resource", "name": "Scores"}, default_kind=None, default_namespace="lending")
    assert ref == "resource:lending/scores"


@pytest.mark.parametrize("text", ["", "group:", "a/b/c", "kind:ns/name/extra", ":x"])
def test_malformed_reference_is_an_error(text: str) -> None:
    with pytest.raises(RefSyntaxError):
        parse_ref(text, default_kind="group", default_namespace="default")


def test_reference_without_kind_and_without_default_kind_is_an_error() -> None:
    with pytest.raises(RefSyntaxError):
        parse_ref("orders-db", default_kind=None, default_namespace="default")


# -- names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "checkout-api", "Checkout_API.v2", "a" * 63, "9lives"])
def test_valid_names_follow_backstage(name: str) -> None:
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "-a", "a-", "a b", "a" * 64, "ä", None, 12, "a/b"])
def test_invalid_names_are_rejected(name: object) -> None:
    assert not is_valid_name(name)


@pytest.mark.parametrize(
    ("namespace", "valid"), [("default", True), ("team-a", True), ("Team_A", False), ("-a", False)]
)
def test_namespaces_are_dns_labels(namespace: str, valid: bool) -> None:
    assert is_valid_namespace(namespace) is valid


def test_names_breaking_the_rules_are_located_errors(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="bad name") + "---\n" + COMPONENT.format(name="good"))
    result = load_paths([str(tmp_path)])
    assert [(error.line, error.field) for error in result.errors] == [(4, "metadata.name")]
    assert [entity.name for entity in result.entities] == ["good"]


# -- YAML 1.2 ------------------------------------------------------------------------------------------------------


def test_yaml_1_2_keeps_no_on_and_dates_as_strings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: "no"
          description: 2024-01-01
          labels: {tier: on, paged: yes}
        spec:
          type: service
          lifecycle: production
          owner: team-a
        """,
    )
    (entity,) = load_paths([str(tmp_path)]).entities
    assert entity.name == "no"
    assert entity.metadata["description"] == "2024-01-01"
    assert entity.metadata["labels"] == {"tier": "on", "paged": "yes"}


def test_unquoted_no_is_a_valid_name_under_yaml_1_2(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="no"))
    assert [entity.ref for entity in load_paths([str(tmp_path)]).entities] == ["component:default/no"]


def test_duplicate_key_is_an_error_on_its_line(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="a") + "  owner: team-b\n")
    (error,) = load_paths([str(tmp_path)]).errors
    assert error.line == 9
    assert "duplicate" in error.message


def test_every_malformed_document_is_reported_with_its_file_line(tmp_path: Path) -> None:
    broken = COMPONENT.format(name="x").replace("  owner: team-a", "  owner: [team-a")
    write(tmp_path, "c.yaml", COMPONENT.format(name="a") + "---\n" + broken + "---\n" + broken)
    result = load_paths([str(tmp_path)])
    assert [entity.name for entity in result.entities] == ["a"]
    assert [error.line for error in result.errors] == [17, 26]  # each on its unclosed "[" line


def test_separator_inside_a_block_scalar_line_is_not_a_document_start(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: a
          description: |
            --- not a separator: indented
        spec:
          type: service
          lifecycle: production
          owner: team-a
        ---
        # a comment before the next document
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: b
        spec: {type: service, lifecycle: production, owner: team-a}
        """,
    )
    entities = load_paths([str(tmp_path)]).entities
    assert [(entity.name, entity.line) for entity in entities] == [("a", 1), ("b", 13)]


# -- validation ----------------------------------------------------------------------------------------------------


def test_required_spec_fields_are_checked_per_kind(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata:
          name: orders
        spec:
          type: openapi
          owner: team-a
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-a
        spec:
          type: team
        """,
    )
    fields = sorted(error.field for error in load_paths([str(tmp_path)]).errors)
    assert fields == ["spec.children", "spec.definition", "spec.lifecycle"]


def test_user_without_member_of_is_valid(tmp_path: Path) -> None:
    write(tmp_path, "u.yaml", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jo\nspec: {}\n")
    assert [entity.ref for entity in load_paths([str(tmp_path)]).entities] == ["user:default/jo"]


def test_duplicate_entities_across_files_name_both_locations(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", COMPONENT.format(name="checkout"))
    write(tmp_path, "b.yaml", "# comment\n" + COMPONENT.format(name="Checkout"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert error.file.endswith("b.yaml") and error.line == 2
    assert "a.yaml:1" in error.message


def test_wrong_api_version_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="a").replace("v1alpha1", "v2"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert error.field == "apiVersion"


def test_kinds_we_do_not_model_are_skipped_once_per_kind(tmp_path: Path) -> None:
    template = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t{n}\nspec: {{}}\n"
    write(tmp_path, "t.yaml", "---\n".join(template.format(n=n) for n in range(3)))
    write(
        tmp_path, "r.yaml", "apiVersion: acme.example/v1\nkind: Runbook\nmetadata: {name: r}\nspec: {}\n# backstage.io/"
    )
    result = load_paths([str(tmp_path)])
    assert result.errors == []
    assert result.skipped_kinds == ["Runbook", "Template"]
    assert result.skipped["Template"].count == 3


def test_folder_yaml_without_backstage_entities_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "openapi.yaml", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n")
    write(tmp_path, ".github/workflows/ci.yaml", "on: push\njobs: {}\n")
    write(tmp_path, "c.yaml", COMPONENT.format(name="a"))
    result = load_paths([str(tmp_path)])
    assert result.errors == [] and [entity.name for entity in result.entities] == ["a"]


def test_missing_input_path_is_an_error(tmp_path: Path) -> None:
    (error,) = load_paths([str(tmp_path / "nope.yaml")]).errors
    assert "no such file" in error.message


# -- substitutions -------------------------------------------------------------------------------------------------

API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: orders
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    {key}: {target}
"""


def test_text_substitution_reads_a_relative_file(tmp_path: Path) -> None:
    write(tmp_path, "specs/orders.yaml", "openapi: 3.0.3\n")
    write(tmp_path, "api.yaml", API.format(key="$text", target="./specs/orders.yaml"))
    (entity,) = load_paths([str(tmp_path / "api.yaml")]).entities
    assert entity.spec["definition"] == "openapi: 3.0.3\n"


def test_json_and_yaml_substitutions_are_parsed(tmp_path: Path) -> None:
    write(tmp_path, "extra.json", '{"tier": "1"}')
    write(tmp_path, "extra.yaml", "tier: no\n")
    text = COMPONENT.format(name="a") + "  extra:\n    j: {$json: ./extra.json}\n    y: {$yaml: ./extra.yaml}\n"
    write(tmp_path, "c.yaml", text)
    (entity,) = load_paths([str(tmp_path / "c.yaml")]).entities
    assert entity.spec["extra"] == {"j": {"tier": "1"}, "y": {"tier": "no"}}


def test_url_substitution_is_kept_unresolved_and_never_fetched(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", API.format(key="$text", target="https://example.com/openapi.yaml"))
    (entity,) = load_paths([str(tmp_path)]).entities
    assert entity.spec["definition"] == Unresolved("$text", "https://example.com/openapi.yaml")


def test_missing_substitution_file_is_a_located_error(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", API.format(key="$text", target="./missing.yaml"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert (error.line, error.entity, error.field) == (10, "api:default/orders", "spec.definition")
    assert "missing.yaml" in error.message


# -- locations -----------------------------------------------------------------------------------------------------

LOCATION = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: root
spec:
  targets: {targets}
"""


def test_location_targets_are_followed_relative_to_their_file_with_globs(tmp_path: Path) -> None:
    write(tmp_path, "root/catalog-info.yaml", LOCATION.format(targets="[../services/*/catalog-info.yaml]"))
    write(tmp_path, "services/a/catalog-info.yaml", COMPONENT.format(name="a"))
    write(tmp_path, "services/b/catalog-info.yaml", COMPONENT.format(name="b"))
    result = load_paths([str(tmp_path / "root" / "catalog-info.yaml")])
    assert result.errors == []
    assert sorted(entity.ref for entity in result.entities) == [
        "component:default/a",
        "component:default/b",
        "location:default/root",
    ]


def test_a_file_reached_twice_is_loaded_once(tmp_path: Path) -> None:
    write(tmp_path, "catalog-info.yaml", LOCATION.format(targets="[./a.yaml, ./a.yaml]"))
    write(tmp_path, "a.yaml", COMPONENT.format(name="a"))
    result = load_paths([str(tmp_path), str(tmp_path / "a.yaml")])
    assert result.errors == []
    assert len(result.entities) == 2


def test_missing_location_target_is_a_located_error(tmp_path: Path) -> None:
    write(tmp_path, "catalog-info.yaml", LOCATION.format(targets="\n    - ./missing.yaml"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert (error.line, error.field) == (7, "spec.targets")


def test_optional_location_target_may_be_missing(tmp_path: Path) -> None:
    text = LOCATION.format(targets="[./missing.yaml]") + "  presence: optional\n"
    write(tmp_path, "catalog-info.yaml", text)
    assert load_paths([str(tmp_path)]).errors == []


def test_url_location_target_is_recorded_not_fetched(tmp_path: Path) -> None:
    write(tmp_path, "catalog-info.yaml", LOCATION.format(targets="[https://example.com/catalog-info.yaml]"))
    result = load_paths([str(tmp_path)])
    assert result.errors == []
    assert [url for _, _, url in result.unfetched] == ["https://example.com/catalog-info.yaml"]


# -- Backstage's own examples --------------------------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/backstage-examples is not beside the repository")
def test_backstage_examples_load_without_errors() -> None:
    result = load_paths([str(EXAMPLES)])
    assert result.errors == []
    refs = {entity.ref for entity in result.entities}
    assert {"group:default/team-a", "user:development/guest", "api:default/wayback-archive"} <= refs
    guest = next(entity for entity in result.entities if entity.ref == "user:development/guest")
    assert guest.refs["memberOf"] == ("group:default/team-a",)
    wayback = next(entity for entity in result.entities if entity.ref == "api:default/wayback-archive")
    assert isinstance(wayback.spec["definition"], Unresolved)


def test_a_kind_that_is_not_a_string_is_an_error_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="a").replace("kind: Component", "kind: [Component]"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert error.field == "kind"


def test_kind_in_other_letter_case_is_an_error_as_for_backstage(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="a").replace("kind: Component", "kind: component"))
    (error,) = load_paths([str(tmp_path)]).errors
    assert "spelled 'Component'" in error.message


# -- properties ----------------------------------------------------------------------------------------------------

_names = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(kind=st.sampled_from(["group", "user", "api"]), namespace=_names, name=_names)
def test_a_full_reference_parses_to_itself(kind: str, namespace: str, name: str) -> None:
    full = f"{kind}:{namespace}/{name}"
    assert parse_ref(full, default_kind="component", default_namespace="other") == full
    assert parse_ref(full.upper(), default_kind=None, default_namespace="x") == full


@settings(max_examples=40, deadline=None)
@given(padding=st.lists(st.sampled_from(["", "# note", "   ", "#---"]), max_size=3), count=st.integers(1, 4))
def test_each_entity_line_is_the_line_of_its_first_key(tmp_path_factory, padding: list[str], count: int) -> None:
    folder = tmp_path_factory.mktemp("docs")
    documents = ["\n".join([*padding, COMPONENT.format(name=f"c{n}")]) for n in range(count)]
    text = "---\n".join(document if document.endswith("\n") else document + "\n" for document in documents)
    (folder / "c.yaml").write_text(text, encoding="utf-8")
    result = load_paths([str(folder)])
    assert result.errors == []
    lines = text.split("\n")
    for entity in result.entities:
        assert lines[entity.line - 1] == "apiVersion: backstage.io/v1alpha1"


def test_parsing_ahead_in_threads_loads_the_same_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    from mechanisms.interop import backstage

    catalog = ROOT / "tests" / "fixtures" / "catalogs" / "retail"
    inline = load_paths([str(catalog)])
    monkeypatch.setattr(backstage, "PARSER_THREADS", 2)
    threaded = load_paths([str(catalog)])
    assert [(e.ref, e.file, e.line) for e in threaded.entities] == [(e.ref, e.file, e.line) for e in inline.entities]
    assert threaded.errors == inline.errors == []


@pytest.mark.parametrize("value", ["[backstage.io/v1alpha1]", "{backstage.io/v1alpha1: 1}"])
def test_an_api_version_that_is_not_text_is_a_located_error(tmp_path: Path, value: str) -> None:
    write(tmp_path, "c.yaml", COMPONENT.format(name="a").replace("backstage.io/v1alpha1", value, 1))
    (error,) = load_paths([str(tmp_path)]).errors
    assert (error.line, error.field) == (1, "apiVersion")
