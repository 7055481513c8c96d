"""FIX certification suite: scripted Kalshi scenarios (specs/cert/*.yaml) run by one raw-socket runner.

  wire.py      raw FIX transport (encode, frame, TCP/TLS, transcript)
  scenario.py  scenario file format -> Scenario / Step
  variables.py {now+60s}, {clordid:o1}, {signature}, ... expansion
  matcher.py   expect-step field matchers and diffs
  runner.py    runs one scenario -> ScenarioResult
  target.py    what a run talks to (endpoints, keys, tickers, admin)
  local_sim.py the local simulator target (throw-away keys)
  report.py    console, JUnit XML, Markdown evidence (secrets redacted)
  suite.py     discovery + run of many scenarios
  cli.py       `fixengine cert run|list`
"""
