"""The `mech` console script. `mech check`, `mech wbr build` and `mech experiments analyze` take a fast path that
loads neither Typer nor Django: a CI gate should cost little more than reading its input. Everything else goes to
the Typer app in `config.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        from mechanisms.interop import cli as interop_cli

        code = interop_cli.run_check_argv(argv[1:], hard_exit=True)
        if code is not None:
            sys.exit(code)
    if argv[:2] == ["wbr", "build"]:
        from mechanisms.interop import wbr_cli

        code = wbr_cli.run_build_argv(argv[2:], hard_exit=True)
        if code is not None:
            sys.exit(code)
    if argv[:2] == ["experiments", "analyze"]:
        from mechanisms.interop import experiments_cli

        code = experiments_cli.run_analyze_argv(argv[2:], hard_exit=True)
        if code is not None:
            sys.exit(code)
    from mechanisms.config.cli import app

    app()


if __name__ == "__main__":
    main()
