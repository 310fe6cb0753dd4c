"""CLI commands generated from a declared machine (kernel/machines.py): `mech <app> <slug> ID --version N
--as HANDLE --<input> ...`, one per transition, with options made from its inputs.

A reference input (a person, a service) is typed on the command line as its handle or name; the owning app
resolves it (`resolve_refs`) after Django is set up, so `--help` stays fast.
"""

# No `from __future__ import annotations` here: Typer reads the generated commands' annotations, which must be
# the types themselves.

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import typer

from .cli import Format, emit_table
from .machines import Input, Kind, Machine, Transition

Perform = Callable[[Transition, int, int, "str | None", Format, dict[str, Any]], None]


def mount(app: typer.Typer, machine: Machine, *, perform: Perform, id_type: Any = int, id_words: str = "id") -> None:
    """Add one command per transition to `app`. `perform(transition, request_id, version, as_handle, format,
    values)` calls the service and prints; `values` holds the typed inputs, references still as typed. `id_type`
    and `id_words` describe the record's argument (an int id by default; a key for records addressed by key)."""
    for t in machine.transitions:
        app.command(t.slug, help=_help(machine, t))(_command(machine, t, perform, id_type, id_words))


def show_moves(actions: "tuple[str, ...] | list[str]", timeline: Any = None) -> None:
    """Print a record's machine timeline (entries with at, actor_label, transition, from_state, to_state, note),
    when given, and the transitions the viewer may take now: the tail of every `show` command of a machine."""
    if timeline is not None:
        emit_table(
            "Timeline",
            ["when", "who", "transition", "from", "to", "note"],
            [
                (e.at.strftime("%Y-%m-%d %H:%M"), e.actor_label, e.transition, e.from_state, e.to_state, e.note)
                for e in timeline
            ],
        )
    typer.echo("you may: " + (", ".join(actions) or "nothing now"))


def resolve_refs(t: Transition, values: dict[str, Any], resolvers: Mapping[str, Callable[[str], int]]) -> dict:
    """`values` with each reference (a handle, a name) replaced by the id `resolvers[kind]` finds."""
    out = dict(values)
    for spec in t.inputs:
        if spec.kind is Kind.REF and out.get(spec.name) not in (None, ""):
            out[spec.name] = resolvers[spec.ref](out[spec.name])
    return out


def _command(machine: Machine, t: Transition, perform: Perform, id_type: Any = int, id_words: str = "id"):
    names = [spec.name for spec in t.inputs]

    def command(**kwargs: Any) -> None:
        values = {name: kwargs[name] for name in names}
        perform(t, kwargs["request_id"], kwargs["version"], kwargs["as_"], kwargs["format"], values)

    params = [
        _param("request_id", id_type, typer.Argument(..., help=f"the {machine.noun}'s {id_words}")),
        _param("version", int, typer.Option(..., "--version", help="the version you read (see `show`)")),
    ]
    params += [_param(spec.name, *_option(spec)) for spec in t.inputs]
    params += [
        _param("as_", str | None, typer.Option(None, "--as", help="act as this person's account (handle)")),
        _param("format", Format, typer.Option(Format.text, "--format")),
    ]
    command.__name__ = t.name
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _option(spec: Input) -> tuple[Any, Any]:
    flags = spec.cli or ("--" + spec.name.replace("_", "-"),)
    words = spec.help or spec.words
    if spec.kind in (Kind.BOOL, Kind.TICK):
        if spec.kind is Kind.TICK:
            words = f"tick: {spec.words}"
        return bool, typer.Option(... if spec.required else False, *flags, help=words)
    if spec.kind is Kind.REF:
        ref_words = {"person": "handle", "service": "name"}.get(spec.ref, "name")
        help_text = f"{words} ({spec.ref} {ref_words})"
        return (
            (str, typer.Option(..., *flags, help=help_text))
            if spec.required
            else (
                str | None,
                typer.Option(None, *flags, help=help_text),
            )
        )
    if spec.kind is Kind.CHOICE:
        help_text = f"{words}: " + " or ".join(c for c, _ in spec.choices)
        return str, typer.Option(... if spec.required else None, *flags, help=help_text)
    if spec.kind is Kind.TEXT:
        return str, typer.Option(... if spec.required else "", *flags, help=words)
    kind = int if spec.kind is Kind.INT else float
    return kind | None, typer.Option(... if spec.required else None, *flags, help=words)


def _help(machine: Machine, t: Transition) -> str:
    who = " or ".join(machine.parties[p] for p in sorted(t.by))
    title = t.title or t.name.replace("_", " ")
    return f"{title}. {t.help} By {who}; from {', '.join(sorted(t.sources))}.".replace("  ", " ")
