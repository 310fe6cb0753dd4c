"""What import-linter cannot see: relation fields across apps, contract coverage, the shape of every app."""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest
from django.apps import apps

import mechanisms

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"__init__", "apps", "contracts", "services"}
NOT_MODULES = {"migrations", "tests", "templates", "static", "templatetags"}
# Packages that are layers rather than apps with public services.
NOT_APPS = {"config", "kernel", "web", "workflows", "interop"}


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _apps() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(mechanisms.__path__) if m.ispkg and m.name not in NOT_APPS)


def test_import_linter_contracts_are_kept():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_no_relation_field_targets_another_apps_table():
    offenders = []
    for model in apps.get_models():
        if not model.__module__.startswith("mechanisms."):
            continue
        for f in model._meta.get_fields():
            if f.is_relation and f.concrete and f.related_model is not None:
                target = f.related_model
                if target.__module__.startswith("mechanisms.") and target._meta.app_label != model._meta.app_label:
                    offenders.append(f"{model._meta.label}.{f.name} -> {target._meta.label}")
    assert offenders == [], "use a plain id column validated through the owner's service (DESIGN.md §3)"


@pytest.mark.parametrize("app", _apps())
def test_every_private_module_of_an_app_is_protected_by_a_contract(app):
    protected = {m for c in _contracts() if c["type"] == "protected" for m in c["protected_modules"]}
    package = importlib.import_module(f"mechanisms.{app}")
    private = [
        f"mechanisms.{app}.{m.name}"
        for m in pkgutil.iter_modules(package.__path__)
        if m.name not in PUBLIC and m.name not in NOT_MODULES
    ]
    unprotected = [m for m in private if m not in protected]
    assert unprotected == [], "add these modules to a protected contract in pyproject.toml"


@pytest.mark.parametrize("app", _apps() + sorted(NOT_APPS))
def test_every_package_says_what_it_owns(app):
    package = importlib.import_module(f"mechanisms.{app}")
    assert package.__doc__ and len(package.__doc__.strip()) > 20


def test_every_model_has_a_docstring():
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("mechanisms.") and (not m.__doc__ or m.__doc__.startswith(m.__name__ + "("))
    ]
    assert missing == []


def test_every_layer_is_in_the_layers_contract():
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    packages = {f"mechanisms.{m.name}" for m in pkgutil.iter_modules(mechanisms.__path__) if m.ispkg}
    flat = {name for layer in layers for name in layer.replace("|", " ").replace(":", " ").split()}
    assert packages - flat == set()
