"""The `fixengine` command line.

Each area owns its subcommands in a module exposing ``register(subparsers)``;
this file only wires them together, so a reader finds a command next to the
code it drives.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fixengine.errors import FixEngineError

# Modules that contribute subcommands. Each must define register(subparsers).
COMMAND_MODULES = (
    "fixengine.auth.cli",
    "fixengine.config.cli",
    "fixengine.demo",
    "fixengine.sim.cli",
    "fixengine.rest.cli",
    "fixengine.cert.cli",
    "fixengine.recon.cli",
    "fixengine.engine.cli",
    "fixengine.dropcopy.cli",
    "fixengine.md.cli",
    "fixengine.settlement.cli",
    "fixengine.rfq.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fixengine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):  # area not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except FixEngineError as exc:
        print(f"fixengine: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
