"""`fixengine cert` exit codes end to end. A module of its own: the CLI starts its own simulator,
and two QuickFIX acceptors alive in one process have crashed on stop (see the report)."""

import pytest

from fixengine.cli import main

pytestmark = pytest.mark.slow


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["cert", "list", "--scenario", "logon-*"]) == 0
    assert "logon-bad-signature" in capsys.readouterr().out
    assert main(["cert", "run", "--scenario", "no-such-scenario"]) == 2
    assert main(["cert", "run", "--scenario", "logon-good", "--report-dir", str(tmp_path)]) == 0
    assert "1 scenarios: 1 passed" in capsys.readouterr().out
    assert (tmp_path / "cert-report.md").exists()
