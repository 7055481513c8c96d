"""`fixengine cert run` / `fixengine cert list`: the FIX certification suite.

Exit codes of `run`: 0 every scenario passed (or was skipped for a missing capability),
1 at least one failed or errored, 2 the suite could not run (bad config, no scenarios,
simulator did not start).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fixengine.errors import FixEngineError, UserInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    cert = subparsers.add_parser("cert", help="FIX certification suite (scripted Kalshi scenarios)")
    sub = cert.add_subparsers(dest="cert_command", metavar="SUBCOMMAND")
    sub.required = True

    run = sub.add_parser("run", help="run scenarios against the local simulator or Kalshi demo")
    run.add_argument("--config", type=Path, default=None,
                     help="client config; environment local-sim (default) starts a simulator with "
                          "throw-away keys, kalshi-demo uses the config's hosts and keys")
    _scenario_args(run)
    run.add_argument("--report-dir", type=Path, default=None, help="write cert-junit.xml and cert-report.md here")
    run.add_argument("--ticker", action="append", default=[], metavar="ALIAS=TICKER",
                     help="market for a ticker alias (main, subpenny, fractional, ...) on a remote target")
    run.add_argument("--tls", action="store_true", help="local-sim: serve and connect with TLS")
    run.add_argument("--fresh-sim", action="store_true",
                     help="local-sim: restart the simulator before every scenario (slow, strongest isolation)")
    run.add_argument("-v", "--verbose", action="store_true", help="print each failure as it happens")
    run.set_defaults(func=_cmd_run)

    listing = sub.add_parser("list", help="list the scenarios and the fact-sheet sections they check")
    _scenario_args(listing)
    listing.set_defaults(func=_cmd_list)


def _scenario_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", action="append", default=[], metavar="GLOB",
                        help="only scenarios whose name matches (repeatable), e.g. 'logon-*'")
    parser.add_argument("--scenario-dir", type=Path, default=None, help="scenario folder (default specs/cert)")


def _scenarios(args: argparse.Namespace):
    from fixengine.cert.suite import DEFAULT_SCENARIO_DIR, discover

    return discover(args.scenario_dir or DEFAULT_SCENARIO_DIR, args.scenario or None)


def _cmd_list(args: argparse.Namespace) -> int:
    basic = {"key:trader", "kind:NR", "ticker:main"}  # what every target offers; listing them is noise
    for scenario in _scenarios(args):
        extra = [r for r in scenario.requires if r not in basic]
        needs = f"  [needs {', '.join(extra)}]" if extra else ""
        print(f"{scenario.name:<40s} {scenario.ref:<28s} {scenario.title}{needs}")
    return 0


def _tickers(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        alias, sep, ticker = item.partition("=")
        if not sep or not alias or not ticker:
            raise UserInputError(f"--ticker expects ALIAS=TICKER, got {item!r}")
        out[alias.strip()] = ticker.strip()
    return out


def _cmd_run(args: argparse.Namespace) -> int:
    from fixengine.cert.suite import run_suite

    scenarios = _scenarios(args)
    tickers = _tickers(args.ticker)
    local = None
    if args.config is None:
        env, cfg = "local-sim", None
    else:
        from fixengine.config import load_config

        cfg = load_config(args.config)
        env = cfg.environment.value
    if env == "local-sim":
        from fixengine.cert.local_sim import LocalSimTarget

        tls = args.tls or bool(cfg is not None and cfg.tls.enabled)
        local = LocalSimTarget(tls=tls, fresh_per_scenario=args.fresh_sim)
        target = local.target
        target.tickers.update(tickers)
        try:
            local.prepare()
        except FixEngineError:
            local.close()
            raise
        except Exception as exc:  # the simulator failed to start: "could not run"
            local.close()
            raise FixEngineError(f"the local simulator did not start: {type(exc).__name__}: {exc}") from None
    else:
        from fixengine.cert.target import target_from_client_config

        if "main" not in tickers:
            raise UserInputError("a remote target needs --ticker main=<an open market ticker> "
                                 "(and subpenny=, fractional=, other=, reduce= for the scenarios using them)")
        target = target_from_client_config(cfg, tickers)
    try:
        run = run_suite(scenarios, target, args.report_dir, verbose=args.verbose)
    finally:
        if local is not None:
            local.close()
    return run.exit_code
