"""``mech check``: the API mandate and org rules over catalog files, offline, like a linter in CI.

No server, no database, no Django: the command reads Backstage files, builds the mandate's snapshot and runs the
same pure rules the server runs. Exit 0 when no unwaived error remains, 1 when one does, 2 when the input cannot be
read. Imports are inside the command and per output format, because in CI the whole process is what is timed.
"""

import argparse
import gc
import sys
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    import typer

    from mechanisms.interop.backstage import LoadError, LoadResult
    from mechanisms.interop.offline import OfflineCatalog
    from mechanisms.mandate.contracts import Evaluation, Finding

FORMATS = ("text", "json", "sarif")
EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def __getattr__(name: str) -> Any:
    """``app`` (the Typer app ``mech`` mounts) and its ``check`` command are built on first use: importing Typer
    costs about 40 ms and its first run another 100 ms (a pydantic adapter per parameter), which a CI check that
    takes ``run_check_argv``'s path never needs to pay."""
    if name in ("app", "check"):
        app, check = _build_app()
        globals().update(app=app, check=check)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build_app() -> tuple["typer.Typer", Any]:
    from typing import Annotated

    import typer

    app = typer.Typer(add_completion=False, no_args_is_help=True, help="Check catalog files against the API mandate.")

    @app.callback()
    def _commands() -> None:
        """Offline checks of catalog files (no server, no database)."""

    @app.command("check")
    def check(
        paths: Annotated[
            list[str] | None, typer.Argument(help="Catalog files or folders (Backstage YAML); none with --server.")
        ] = None,
        output_format: Annotated[str, typer.Option("--format", "-f", help="text, json or sarif.")] = "text",
        today: Annotated[str | None, typer.Option(help="Evaluate waivers as of this date (YYYY-MM-DD).")] = None,
        server: Annotated[str | None, typer.Option(help="Check the live catalog of a server instead.")] = None,
    ) -> None:
        """Check Backstage catalog files: exit 0 clean, 1 unwaived errors, 2 unreadable input."""
        raise typer.Exit(run_check(paths or [], output_format=output_format, today=today, server=server))

    return app, check


def run_check(
    paths: list[str],
    *,
    output_format: str = "text",
    today: str | None = None,
    server: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The whole check as a function returning the exit code, so tests and other entry points can call it."""
    out, err = out or sys.stdout, err or sys.stderr
    output_format = output_format.lower()
    if output_format not in FORMATS:
        err.write(f"error: --format must be one of {', '.join(FORMATS)}\n")
        return EXIT_UNREADABLE
    if server is not None:
        return check_server(server, output_format=output_format, out=out, err=err)
    if not paths:
        err.write("error: name the catalog files or folders to check, or --server URL\n")
        return EXIT_UNREADABLE
    try:
        as_of = date.fromisoformat(today) if today else date.today()
    except ValueError:
        err.write(f"error: --today must be a date YYYY-MM-DD, not {today!r}\n")
        return EXIT_UNREADABLE

    # The check allocates a few hundred thousand long-lived objects and frees almost none: the cyclic garbage
    # collector would rescan them again and again (measured: 40% of the run on a 41,000-entity catalog).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(paths, output_format, as_of, out, err)
    finally:
        if collecting:
            gc.enable()


# -- the live catalog of a server ---------------------------------------------------------------------------------

SERVER_PAGE = 200


def check_server(
    server: str,
    *,
    output_format: str = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
    opener: Any = None,
) -> int:
    """``mech check --server URL``: the findings of the server's latest evaluation (every page of
    ``/api/v1/mandate/findings``, authenticated with ``MECH_TOKEN``), printed as the offline check prints them.
    Exit 1 when an unwaived error remains, 0 otherwise, 2 when the server cannot be reached or refuses."""
    import json
    import os
    import urllib.error
    import urllib.request

    out, err = out or sys.stdout, err or sys.stderr
    if output_format == "sarif":
        err.write("error: --server gives text or json; SARIF needs catalog files (lines to point at)\n")
        return EXIT_UNREADABLE
    base = server.rstrip("/")
    if not base.startswith(("http://", "https://")):
        err.write(f"error: --server must be an http(s) URL, not {server!r}\n")
        return EXIT_UNREADABLE
    headers = {"Accept": "application/json"}
    token = os.environ.get("MECH_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    open_url = opener or urllib.request.urlopen
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        url = f"{base}/api/v1/mandate/findings?limit={SERVER_PAGE}&offset={offset}"
        try:
            with open_url(urllib.request.Request(url, headers=headers), timeout=30) as response:
                page = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            hint = " (set MECH_TOKEN to an API token)" if exc.code in (401, 403) else ""
            err.write(f"error: {url}: HTTP {exc.code}{hint}\n")
            return EXIT_UNREADABLE
        except (urllib.error.URLError, OSError, ValueError) as exc:
            err.write(f"error: {base} cannot be reached: {getattr(exc, 'reason', exc)}\n")
            return EXIT_UNREADABLE
        items.extend(page.get("items", []))
        offset = page.get("next_offset")
    findings = [
        {
            "rule": item["rule"],
            "severity": item["severity"],
            "subject": item["subject"],
            "related": list(item.get("related") or []),
            "message": item.get("message", ""),
            "location": {"file": None, "line": None},
            "waived": bool(item.get("waived")),
            "details": list(item.get("details") or []),
        }
        for item in items
    ]
    blocking = [f for f in findings if f["severity"] == "error" and not f["waived"]]
    summary = {
        "errors": len(blocking),
        "warnings": sum(1 for f in findings if f["severity"] != "error" and not f["waived"]),
        "waived": sum(1 for f in findings if f["waived"]),
        "by_rule": {},
        "server": base,
    }
    for finding in findings:
        summary["by_rule"][finding["rule"]] = summary["by_rule"].get(finding["rule"], 0) + 1
    summary["by_rule"] = dict(sorted(summary["by_rule"].items()))
    if output_format == "json":
        _write_json({"findings": findings, "summary": summary}, out)
    else:
        for finding in findings:
            status = "waived" if finding["waived"] else finding["severity"]
            related = f" -> {', '.join(finding['related'])}" if finding["related"] else ""
            out.write(f"{status:<7} {finding['rule']} {finding['subject']}{related}\n          {finding['message']}\n")
        out.write(
            f"{summary['errors']} error(s), {summary['warnings']} warning(s), {summary['waived']} waived on {base}\n"
        )
    return EXIT_FINDINGS if blocking else EXIT_OK


def _check(paths: list[str], output_format: str, as_of: date, out: TextIO, err: TextIO) -> int:
    from mechanisms.interop.backstage import load_paths
    from mechanisms.interop.workers import Helper

    with Helper(finish=_analyse_definitions) as helper:
        result = load_paths(paths, helper=helper if _helper_wanted() else None)
        if not result.errors and not result.entities and not result.skipped:
            # Nothing to check is not a clean catalog: a mistyped path in CI must fail, not pass silently.
            from mechanisms.interop.backstage import LoadError

            missing = [
                LoadError(path, None, None, None, "no catalog entities here (no *.yaml or *.yml file describes one)")
                for path in paths
            ]
            return _unreadable(missing, output_format, out, err)
        # Imported once the helper has started, which then does not wait for them (it imports them when it needs).
        from mechanisms.interop.offline import build_snapshot, pin_locations
        from mechanisms.mandate.rules import assess

        # The helper (when there was enough to read for it to start) analyses the API definitions, the costliest
        # rule, while this process builds the snapshot.
        inputs = _definition_inputs(result) if helper.started and not result.errors else []
        analysing = bool(inputs) and helper.submit(inputs)
        catalog = build_snapshot(result)  # also on a partial load, so annotation errors are reported in the same run
        if _retained is not None:
            _retained.append((result, catalog))
        if result.errors or catalog.errors:
            order = {file: position for position, file in enumerate(result.files)}
            errors = sorted(result.errors + catalog.errors, key=lambda e: (order.get(e.file or "", -1), e.line or 0))
            return _unreadable(errors, output_format, out, err)
        known, index = None, None
        if analysing:  # the other rules run while the helper finishes, then the helper's findings join theirs
            from mechanisms.mandate.rules import RULES, build_index, check_externalizable

            index = build_index(catalog.snapshot)
            known = {rule: rule(catalog.snapshot, index=index) for rule in RULES if rule is not check_externalizable}
            externalizable = _externalizable_findings(catalog, inputs, helper.collect())
            if externalizable is not None:
                known[check_externalizable] = externalizable
        evaluation = assess(catalog.snapshot, today=as_of, known=known, index=index)
        findings = pin_locations(evaluation.findings, catalog, result)
        if _retained is not None:
            _retained.append((evaluation, findings))
        if output_format == "text":
            _write_text(findings, evaluation, catalog, result, out)
        else:
            _write_machine(output_format, findings, evaluation, result, out)
    # (the helper, done since collect, is reaped only now: it has had time to leave by itself)
    return EXIT_FINDINGS if any(finding.blocking for finding in findings) else EXIT_OK


def _helper_wanted() -> bool:
    """Whether the check may fork a helper process: by default when a CPU is to spare (``workers.cpu_to_spare``);
    ``MECHANISMS_CHECK_HELPER=0`` never, ``=always`` whatever the load. The loader then forks it only for a large
    catalog on a machine with two CPUs or more (``workers.can_fork``)."""
    import os

    from mechanisms.interop.workers import cpu_to_spare

    wanted = os.environ.get("MECHANISMS_CHECK_HELPER", "1")
    return wanted == "always" or (wanted != "0" and cpu_to_spare())


# What the helper needs of an API entity to analyse its definition exactly as the snapshot's interface would be:
# ref, namespace, name, metadata, and the spec fields ``interface_facts`` reads (a spec may hold what does not
# marshal: an unresolved substitution).
_DefinitionInput = tuple[str, str, str, dict[str, Any], dict[str, Any]]
_SPEC_READ = ("type", "definition")


def _definition_inputs(result: "LoadResult") -> list[_DefinitionInput]:
    """The API entities whose definition is text (a URL is not analysed; no definition needs no analysis)."""
    inputs = []
    for entity in [entity for entity in result.entities if entity.kind == "API"]:
        spec = entity.spec
        if type(spec.get("definition")) is str and type(spec.get("type", "")) is str:
            fields = {key: spec[key] for key in _SPEC_READ if key in spec}
            inputs.append((entity.ref, entity.namespace, entity.name, entity.metadata, fields))
    return inputs


def _analyse_definitions(inputs: list[_DefinitionInput]) -> list[list[str]]:
    """In the helper: the M5 points each API fails, from the same ``interface_facts`` and
    ``externalizable_failures`` the snapshot and the rule use (providers, which M5 ignores, aside)."""
    from mechanisms.interop.backstage import Entity
    from mechanisms.interop.offline import interface_facts
    from mechanisms.mandate.rules import externalizable_failures

    apis = [
        Entity("API", namespace, name, metadata, spec, {}, "", 0, 0, ref)
        for ref, namespace, name, metadata, spec in inputs
    ]
    analysed: dict[Any, Any] = {}
    return [externalizable_failures(interface, analysed=analysed) for interface in interface_facts((), apis)]


def _externalizable_findings(
    catalog: "OfflineCatalog", inputs: list[_DefinitionInput], failures: list[list[str]] | None
) -> "list[Finding] | None":
    """``check_externalizable``'s findings, from the failed points the helper computed for ``inputs``, else computed
    here: the same functions on the same entities. None (the rule runs as usual) when the helper gave nothing."""
    if failures is None or len(failures) != len(inputs):
        return None
    from mechanisms.mandate.rules import externalizable_failures, externalizable_finding

    by_ref = {item[0]: failed for item, failed in zip(inputs, failures, strict=True)}
    findings = []
    analysed: dict[Any, Any] = {}
    for interface in catalog.snapshot.interfaces:
        failed = by_ref.get(interface.ref)
        if failed is None:
            failed = externalizable_failures(interface, analysed=analysed)
        finding = externalizable_finding(interface, failed)
        if finding is not None:
            findings.append(finding)
    return findings


def _unreadable(errors: "list[LoadError]", output_format: str, out: TextIO, err: TextIO) -> int:
    """Unreadable input: every error as ``file:line: entity: field: message``, nothing evaluated."""
    for error in errors:
        err.write(f"{error}\n")
    err.write(f"{len(errors)} error(s): the catalog cannot be read, nothing was checked\n")
    if output_format == "json":
        payload = {"errors": [_error_dict(error) for error in errors]}
        _write_json(payload, out)
    return EXIT_UNREADABLE


def _error_dict(error: "LoadError") -> dict[str, Any]:
    return {
        "file": error.file,
        "line": error.line,
        "entity": error.entity,
        "field": error.field,
        "message": error.message,
    }


# -- json and sarif --------------------------------------------------------------------------------------------


def _write_machine(
    output_format: str, findings: "list[Finding]", evaluation: "Evaluation", result: "LoadResult", out: TextIO
) -> None:
    if output_format == "sarif":
        from mechanisms.interop.sarif import to_sarif

        _write_json(to_sarif(findings, notices=_notices(result, evaluation)), out)
        return
    payload = {
        "findings": [finding_dict(finding) for finding in findings],
        "summary": summary_dict(findings, evaluation, result),
    }
    _write_json(payload, out)


def finding_dict(finding: "Finding") -> dict[str, Any]:
    """One finding in the JSON shape of ``mech check --format json`` (also the API's shape)."""
    data: dict[str, Any] = {
        "rule": finding.rule,
        "severity": finding.severity,
        "subject": finding.subject,
        "related": list(finding.related),
        "message": finding.message,
        "location": {"file": finding.location.file, "line": finding.location.line},
        "waived": finding.waived,
        "details": list(finding.details),
    }
    if finding.waiver is not None:
        data["waiver"] = {
            "reason": finding.waiver.reason,
            "expires": finding.waiver.expires.isoformat(),
            "approver": finding.waiver.approver,
        }
    return data


def summary_dict(findings: "list[Finding]", evaluation: "Evaluation", result: "LoadResult") -> dict[str, Any]:
    from mechanisms.mandate.rules import summarize

    summary = summarize(findings)
    summary["entities"] = len(result.entities)
    summary["files"] = len(result.files)
    summary["skipped_kinds"] = result.skipped_kinds
    summary["unfetched"] = sorted({url for _, _, url in result.unfetched})
    summary["invalid_waivers"] = [
        {
            "subject": item.waiver.subject,
            "rule": item.waiver.rule,
            "related": item.waiver.related,
            "approver": item.waiver.approver,
            "problem": item.reason,
            "location": {"file": item.waiver.location.file, "line": item.waiver.location.line},
        }
        for item in evaluation.invalid_waivers
    ]
    summary["unused_waivers"] = [
        {
            "subject": waiver.subject,
            "rule": waiver.rule,
            "related": waiver.related,
            "location": {"file": waiver.location.file, "line": waiver.location.line},
        }
        for waiver in evaluation.unused_waivers
    ]
    return summary


def _write_json(payload: Any, out: TextIO) -> None:
    try:
        import orjson
    except ImportError:  # orjson is a dependency; this keeps the command usable without it
        import json

        out.write(json.dumps(payload, indent=2) + "\n")
        return
    data = orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        out.flush()
        buffer.write(data)
        buffer.flush()
    else:
        out.write(data.decode())


def _notices(result: "LoadResult", evaluation: "Evaluation") -> list[str]:
    notices = [
        f"skipped {item.count} {item.kind} entit{'y' if item.count == 1 else 'ies'} (kind not modelled), "
        f"first at {item.file}:{item.line}"
        for item in result.skipped.values()
    ]
    notices += [f"not fetched: {url} ({file}:{line})" for file, line, url in result.unfetched]
    notices += [
        f"waiver of {item.waiver.rule} on {item.waiver.subject} does not apply: {item.reason}"
        for item in evaluation.invalid_waivers
    ]
    notices += [
        f"waiver of {waiver.rule} on {waiver.subject} covers no finding ({waiver.location.file}:{waiver.location.line})"
        for waiver in evaluation.unused_waivers
    ]
    return notices


# -- text --------------------------------------------------------------------------------------------------------

_STYLE = {"error": "bold red", "warning": "yellow", "waived": "dim green"}
NO_TEAM = "(no owning team)"


def _write_text(
    findings: "list[Finding]", evaluation: "Evaluation", catalog: "OfflineCatalog", result: "LoadResult", out: TextIO
) -> None:
    """Findings grouped by the team that has to act, each with a one-line hint on how to fix its rule."""
    from rich.console import Console
    from rich.markup import escape

    from mechanisms.mandate.contracts import RULE_CATALOG
    from mechanisms.mandate.rules import build_index, filing_teams, summarize

    console = Console(file=out, highlight=False, soft_wrap=True)
    index = build_index(catalog.snapshot)
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        teams = filing_teams(index, finding.subject)
        groups.setdefault(teams[0] if teams else NO_TEAM, []).append(finding)
    for team in sorted(groups, key=lambda name: (name == NO_TEAM, name)):
        console.print(f"\n[bold]{escape(team)}[/bold]")
        for finding in groups[team]:
            status = "waived" if finding.waived else finding.severity
            where = f"{finding.location.file}:{finding.location.line}" if finding.location.file else ""
            console.print(
                f"  [{_STYLE[status]}]{status:<7}[/] [bold]{finding.rule}[/bold] {escape(finding.subject)}"
                f"  [dim]{escape(where)}[/dim]"
            )
            console.print(f"          {escape(finding.message)}")
            info = RULE_CATALOG.get(finding.rule)
            if finding.waiver is not None:
                console.print(f"          [dim]waived until {finding.waiver.expires}: {escape(finding.waiver.reason)}")
            elif info is not None:
                console.print(f"          [cyan]fix:[/cyan] [dim]{escape(info.hint)}[/dim]")
    for notice in _notices(result, evaluation):
        console.print(f"[dim]note: {escape(notice)}[/dim]")
    counts = summarize(findings)
    verdict = "[bold red]✗[/]" if counts["errors"] else "[bold green]✓[/]"
    console.print(
        f"\n{verdict} {counts['errors']} error(s), {counts['warnings']} warning(s), {counts['waived']} waived "
        f"in {len(result.entities)} entities from {len(result.files)} file(s)"
    )


def main(argv: list[str] | None = None, *, hard_exit: bool = False) -> None:
    """``python -m mechanisms.interop.cli``: ``check`` runs straight away (``run_check_argv``); anything it does not
    handle (``--help``, a mistake) goes through Typer, so help and usage errors stay Typer's. ``hard_exit``: see
    ``run_check_argv`` (only for the process's own entry point)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["check"]:
        code = run_check_argv(args[1:], hard_exit=hard_exit)
        if code is not None:
            sys.exit(code)
    __getattr__("app")(prog_name="mech", args=args)


class _NotForUs(Exception):
    """Arguments the fast path leaves to Typer."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print and exit; Typer should explain instead
        raise _NotForUs(message)

    def _get_formatter(self) -> argparse.HelpFormatter:
        # Never shown (help and errors are Typer's): a fixed width spares argparse importing shutil to measure the
        # terminal each time an argument is added.
        return self.formatter_class(prog=self.prog, width=100)


def run_check_argv(argv: list[str], *, hard_exit: bool = False) -> int | None:
    """``mech check`` from its arguments, without building the Typer app, or None when Typer should handle them.

    With ``hard_exit`` (for a process's entry point: the caller would ``sys.exit`` with the code anyway), a check
    that ran ends the process itself with its exit code once stdout and stderr are flushed, skipping the
    interpreter's teardown: freeing the catalog object by object costs about 80 ms on a 41,000-entity catalog, and
    the operating system reclaims the memory at once. If flushing fails, the code is returned as usual.

    Typer builds a pydantic adapter for every parameter of every command when it starts: about 0.15 s of CPU per run
    (measured), as much as a third of the YAML parse of a 41,000-entity catalog. CI pays it on every push, so the
    offline check parses its four options itself; ``mechanisms.config.cli`` can dispatch ``mech check`` here the
    same way. The options are the ``check`` command's, with the same names and meaning.
    """
    if any(arg in ("-h", "--help") for arg in argv):
        return None
    parser = _QuietParser(prog="mech check", add_help=False, allow_abbrev=False)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--format", "-f", dest="output_format", default="text")
    parser.add_argument("--today")
    parser.add_argument("--server")
    try:
        options = parser.parse_args(argv)
    except _NotForUs:
        return None
    global _retained
    _retained = [] if hard_exit else None
    try:
        code = run_check(options.paths, output_format=options.output_format, today=options.today, server=options.server)
        if hard_exit:
            from mechanisms.interop.workers import exit_now

            exit_now(code)
    finally:
        _retained = None
    return code


# While a check that will end its process runs, what it built stays referenced here, so that nothing is freed
# before the process ends (see ``run_check_argv``).
_retained: list[Any] | None = None


if __name__ == "__main__":
    main(hard_exit=True)
