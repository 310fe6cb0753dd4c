"""API endpoints generated from a declared machine (kernel/machines.py): `POST <base>/{id}/<slug>`, one per
transition, each with a body schema made from its inputs (unknown fields refused, every field bounded).

Only entry points (`<app>/api.py`) import this module; it may import ninja and pydantic.
"""

# No `from __future__ import annotations` here: ninja reads the generated views' signatures, whose annotations
# must be the classes themselves.

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from ninja import Router
from pydantic import Field, create_model

from .api import Id, InSchema, responses
from .machines import Input, Kind, Machine, Transition

VERSION = Annotated[int, Field(ge=1, le=2**31 - 1, description="the version you read; a stale one is a 409")]


def body_schema(machine: Machine, transition: Transition, *, prefix: str = "") -> type[InSchema]:
    """The pydantic body of one transition: `version` plus its inputs, typed and bounded; extra fields are a 422."""
    fields: dict[str, Any] = {"version": (VERSION, ...)}
    for spec in transition.inputs:
        fields[spec.name] = _field(spec)
    name = f"{prefix or _camel(machine.name)}{_camel(transition.name)}In"
    return create_model(name, __base__=InSchema, __doc__=transition.help or transition.title, **fields)


def _field(spec: Input) -> tuple[Any, Any]:
    describe = {"description": spec.help or spec.words}
    if spec.kind is Kind.TEXT:
        default = ... if spec.required else ""
        return Annotated[str, Field(max_length=spec.max_length, pattern=r"^[^\x00]*$", **describe)], default
    if spec.kind in (Kind.BOOL, Kind.TICK):
        return Annotated[bool, Field(**describe)], (... if spec.required else False)
    if spec.kind is Kind.CHOICE:
        values = tuple(c for c, _ in spec.choices)
        typ = Annotated[Literal[values], Field(description=f"{spec.words}: one of {', '.join(values)}")]
        return (typ, ...) if spec.required else (typ | None, None)
    base = int if spec.kind in (Kind.INT, Kind.REF) else float
    extra = {"allow_inf_nan": False} if base is float else {}
    typ = Annotated[base, Field(ge=spec.ge, le=spec.le, **describe, **extra)]
    return (typ, ...) if spec.required else (typ | None, None)


def mount(
    router: Router,
    machine: Machine,
    *,
    base: str,
    apply: Callable[..., Any],
    response: Any,
    module: str,
    schema_prefix: str = "",
    id_type: Any = Id,
) -> dict[str, type[InSchema]]:
    """Add one endpoint per transition to `router`: `POST {base}/{{request_id}}/<slug>` calling
    `apply(actor=..., request_id=..., version=..., transition=..., values=...)`. Returns the body schemas by
    transition name. `module` names the mounting api module, so operation ids stay what they were. `id_type` is
    the path parameter's type: a record id by default, or e.g. a bounded slug for records addressed by key."""
    schemas = {}
    for t in machine.transitions:
        schema = body_schema(machine, t, prefix=schema_prefix)
        schemas[t.name] = schema
        router.post(
            f"{base}/{{request_id}}/{t.slug}",
            response=responses(response, 400, 401, 403, 404, 409, 422),
            summary=t.title or t.name.replace("_", " "),
            description=_description(machine, t),
        )(_view(t, schema, apply, module, id_type))
    return schemas


def _view(t: Transition, schema: type[InSchema], apply: Callable[..., Any], module: str, id_type: Any = Id):
    def view(request, request_id, payload):
        values = payload.model_dump()
        version = values.pop("version")
        return apply(actor=request.auth, request_id=request_id, version=version, transition=t.name, values=values)

    view.__name__ = view.__qualname__ = t.name
    view.__module__ = module
    view.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("request_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=id_type),
            inspect.Parameter("payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=schema),
        ]
    )
    return view


def _description(machine: Machine, t: Transition) -> str:
    who = " or ".join(machine.parties[p] for p in sorted(t.by))
    sources = ", ".join(sorted(t.sources))
    targets = ", ".join(sorted(t.targets()))
    return f"{t.help}\n\nBy {who}; from {sources}; to {targets}.".strip()


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
