"""``mech experiments analyze STATS.json --format json|text``: an experiment's statistics analysed offline, like
``mech check`` and ``mech wbr build``.

No server, no database, no Django: interop/experiments_json.py reads the file, the experiments engine
(experiments/rules.py, pure) analyses it. Exit 0 analysed, 2 when the input cannot be analysed (a missing file,
not JSON, an unknown key, statistics that cannot be right: the message names the file, line and field, e.g.
``stats.json:14: metrics[0].variations[1].sum_squares: sum_squares cannot be below sum^2/n``). ``-`` reads
standard input. The launcher takes ``mech experiments analyze`` to ``run_analyze_argv`` (no Typer); Typer's
command (``analyze``, mounted on the ``experiments`` group by config/cli.py) is built only when asked for.
"""

import sys
from typing import Any, NoReturn, TextIO

EXIT_OK, EXIT_UNREADABLE = 0, 2
FORMATS = ("text", "json")


def __getattr__(name: str) -> Any:
    """``analyze`` (the Typer command config mounts) is built on first use: the fast path never imports Typer."""
    if name == "analyze":
        command = _build_command()
        globals()["analyze"] = command
        return command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build_command() -> Any:
    from typing import Annotated

    import typer

    def analyze(
        stats: Annotated[
            str,
            typer.Argument(help="STATS.json: settings and per-variation sufficient statistics (- for standard input)."),
        ],
        output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    ) -> None:
        """Analyse an experiment's statistics offline (GrowthBook's conventions): exit 0 analysed, 2 when the
        input cannot be analysed (FILE:LINE: field: why)."""
        raise typer.Exit(run_analyze(stats, output_format=output_format))

    return analyze


def run_analyze(
    path: str, *, output_format: str = "text", stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """The whole command as a function returning the exit code; nothing is written to stdout unless analysed."""
    from mechanisms.interop.experiments_json import StatsFileError, analyse, read_stats, result_json, result_text

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    output_format = output_format.lower()
    if output_format not in FORMATS:
        stderr.write(f"error: --format must be text or json, not {output_format!r}\n")
        return EXIT_UNREADABLE
    name = "<stdin>" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else _read(path)
    except OSError as exc:
        stderr.write(f"error: {path}: cannot read: {exc.strerror or exc}\n")
        return EXIT_UNREADABLE
    try:
        stats = read_stats(name, data)
        result = analyse(stats, name)
    except StatsFileError as exc:
        stderr.write(f"{exc}\n")
        return EXIT_UNREADABLE
    for warning in stats.warnings:
        stderr.write(f"warning: {warning}\n")
    stdout.write(result_json(stats, result) if output_format == "json" else result_text(stats, result))
    return EXIT_OK


def _read(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


# -- the fast path: no Typer --------------------------------------------------------------------------------------


class _NotForUs(Exception):
    pass


def run_analyze_argv(argv: list[str], *, hard_exit: bool = False) -> int | None:
    """``mech experiments analyze`` from its arguments without building the Typer app, or None when Typer should
    handle them (help, a usage error: Typer explains). With ``hard_exit`` the process ends with the code once its
    output is flushed (no interpreter teardown)."""
    import argparse

    if any(arg in ("-h", "--help") for arg in argv):
        return None

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _NotForUs(message)

    parser = Parser(prog="mech experiments analyze", add_help=False, allow_abbrev=False)
    parser.add_argument("stats")
    parser.add_argument("--format", "-f", dest="output_format", default="text")
    try:
        options = parser.parse_args(argv)
    except _NotForUs:
        return None
    code = run_analyze(options.stats, output_format=options.output_format)
    if hard_exit:
        from mechanisms.interop.workers import exit_now

        exit_now(code)
    return code


def main(argv: list[str] | None = None) -> None:
    """``python -m mechanisms.interop.experiments_cli analyze STATS.json``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["analyze"]:
        code = run_analyze_argv(args[1:], hard_exit=argv is None)
        if code is not None:
            sys.exit(code)
    import typer

    group = typer.Typer(no_args_is_help=True)
    group.callback()(lambda: None)
    group.command("analyze")(_build_command())
    group(args=args, prog_name="mech experiments")


if __name__ == "__main__":
    main()
