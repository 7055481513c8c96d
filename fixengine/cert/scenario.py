"""Scenario files (specs/cert/*.yaml): parsing and validation into `Scenario` / `Step` records.

The format is documented in specs/cert/README.md. Every problem is a ScenarioError naming
the file and line, so a typo in a matcher is found when the suite loads, not half-way
through a run against Kalshi demo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fixengine.cert.matcher import Matcher, MatcherError
from fixengine.cert.names import tag_of
from fixengine.errors import UserInputError

SESSION_KINDS = ("NR", "RT", "DC", "PT", "RFQ", "MD")
STEP_KINDS = (
    "connect", "disconnect", "logon", "send", "send_raw", "expect", "expect_all", "expect_disconnect",
    "expect_silence", "wait", "admin", "set", "repeat", "note",
)
DEFAULT_TIMEOUT = 3.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


class ScenarioError(UserInputError):
    """A scenario file that cannot be used; the message names file:line and the problem."""


class _LineDict(dict):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping (for error messages)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_duration(value: Any, where: str) -> float:
    """Seconds from `2s`, `500ms`, `1m`, `3h` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a duration like 2s or 500ms, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ScenarioError(f"{where}: expected a duration like 2s or 500ms, got {value!r}")
    number = float(match.group(1))
    return {"ms": number / 1000, "s": number, None: number, "m": number * 60, "h": number * 3600}[match.group(2)]


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """How a connection logs on: session kind, key alias and Kalshi logon options."""

    kind: str = "NR"
    key: str = "trader"
    use_dollars: bool = True
    heartbeat: int = 30
    reset: bool | None = None  # None = Y on reset-only sessions (NR/DC/RFQ/MD), N on RT/PT
    flags: tuple[tuple[int, str], ...] = ()  # extra Logon fields, e.g. ((8013, "Y"),)

    def merged(self, overrides: dict[str, Any], where: str) -> SessionSpec:
        values = {
            "kind": self.kind, "key": self.key, "use_dollars": self.use_dollars,
            "heartbeat": self.heartbeat, "reset": self.reset, "flags": self.flags,
        }
        for name, raw in overrides.items():
            if name == "kind":
                values["kind"] = _kind(raw, where)
            elif name == "key":
                values["key"] = str(raw)
            elif name == "use_dollars":
                values["use_dollars"] = _bool(raw, f"{where}: use_dollars")
            elif name == "heartbeat":
                values["heartbeat"] = int(raw)
            elif name == "reset":
                values["reset"] = _bool(raw, f"{where}: reset")
            elif name == "flags":
                values["flags"] = tuple(_field_list(raw, f"{where}: flags"))
            else:
                raise ScenarioError(f"{where}: unknown session option {name!r} "
                                    "(kind, key, use_dollars, heartbeat, reset, flags)")
        return SessionSpec(**values)

    @property
    def reset_flag(self) -> bool:
        return self.reset if self.reset is not None else self.kind not in ("RT", "PT")


@dataclass(slots=True)
class Step:
    kind: str
    line: int
    conn: str = "main"
    args: dict[str, Any] = field(default_factory=dict)

    def where(self, path: str) -> str:
        return f"{path}:{self.line}"


@dataclass(slots=True)
class Scenario:
    name: str
    path: str
    ref: str
    title: str
    session: SessionSpec
    steps: list[Step]
    requires: tuple[str, ...] = ()
    description: str = ""


# ------------------------------------------------------------------------------ parsing


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario file is a mapping with name, ref, steps")
    known = {"name", "ref", "title", "description", "session", "requires", "steps"}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(known)}")
    ref = str(data.get("ref") or "").strip()
    if not ref:
        raise ScenarioError(f"{path}: `ref` (the fact-sheet section checked, e.g. 'part1 §3.4') is required")
    session = SessionSpec().merged(_mapping(data.get("session") or {}, f"{path}: session"), f"{path}: session")
    requires = data.get("requires") or []
    if not isinstance(requires, list):
        raise ScenarioError(f"{path}: requires must be a list such as [admin, key:maker]")
    steps = _steps(data.get("steps"), path, "steps")
    if not steps:
        raise ScenarioError(f"{path}: steps must be a non-empty list")
    explicit = [str(r) for r in requires]
    implied = [r for r in _implied_requirements(text, session, steps) if r not in explicit]
    return Scenario(
        name=str(data.get("name") or Path(path).stem), path=path, ref=ref,
        title=str(data.get("title") or "").strip(), session=session, steps=steps,
        requires=tuple(explicit + implied), description=str(data.get("description") or "").strip(),
    )


_ALIAS_USE = re.compile(r"\{(ticker|key_id):([A-Za-z0-9_-]+)\}")


def _implied_requirements(text: str, session: SessionSpec, steps: list[Step]) -> list[str]:
    """What a target must offer for the scenario to run: every key alias, session kind and ticker
    alias it uses, and the admin API if it has an admin step. A target lacking one SKIPs the
    scenario instead of failing half-way (a remote venue has no admin API and fewer keys)."""
    needs: list[str] = []

    def add(item: str) -> None:
        if item not in needs:
            needs.append(item)

    def walk(items: list[Step]) -> None:
        for step in items:
            if step.kind == "connect":
                over = step.args.get("session", {})
                add(f"key:{over.get('key', session.key)}")
                add(f"kind:{over.get('kind', session.kind)}")
            elif step.kind == "admin":
                add("admin")
            elif step.kind == "repeat":
                walk(step.args["steps"])

    walk(steps)
    for kind, alias in _ALIAS_USE.findall(text):
        add(f"ticker:{alias}" if kind == "ticker" else f"key:{alias}")
    if "{ticker}" in text:
        add("ticker:main")
    return needs


def _steps(raw: Any, path: str, what: str) -> list[Step]:
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: {what} must be a list of steps")
    steps = []
    for item in raw:
        line = getattr(item, "line", 0)
        if isinstance(item, str) and item in ("disconnect", "expect_disconnect", "connect", "logon"):
            item, line = {item: {}}, 0
        if not isinstance(item, dict) or len(item) != 1:
            raise ScenarioError(f"{path}:{line}: each step is a mapping with exactly one key, one of {STEP_KINDS}")
        kind, args = next(iter(item.items()))
        if kind not in STEP_KINDS:
            raise ScenarioError(f"{path}:{line}: unknown step {kind!r}; steps are {', '.join(STEP_KINDS)}")
        steps.append(_PARSERS[kind](kind, args, path, line))
    return steps


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).upper() in ("Y", "YES", "TRUE"):
        return True
    if str(value).upper() in ("N", "NO", "FALSE"):
        return False
    raise ScenarioError(f"{where}: expected true/false, got {value!r}")


def _kind(value: Any, where: str) -> str:
    text = str(value)
    if text not in SESSION_KINDS:
        raise ScenarioError(f"{where}: session kind must be one of {SESSION_KINDS}, got {text!r}")
    return text


def _value_text(value: Any, where: str) -> str | None:
    """A field value to send: None means 'omit this field'; floats are refused (write text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        raise ScenarioError(f"{where}: write decimal values as quoted text (e.g. \"0.5600\"), got {value!r}")
    return str(value)


def _field_list(raw: Any, where: str) -> list[tuple[int, str | None]]:
    """A mapping {name-or-tag: value} or a list of [tag, value] pairs (for repeated tags)."""
    pairs: list[tuple[Any, Any]]
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = []
        for item in raw:
            if isinstance(item, dict) and len(item) == 1:
                pairs.append(next(iter(item.items())))
            elif isinstance(item, list) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise ScenarioError(f"{where}: a field list holds [tag, value] pairs or {{tag: value}} items")
    elif raw is None:
        return []
    else:
        raise ScenarioError(f"{where}: fields must be a mapping or a list of [tag, value] pairs")
    out = []
    for key, value in pairs:
        try:
            tag = tag_of(key)
        except KeyError as exc:
            raise ScenarioError(f"{where}: {exc.args[0]}") from None
        out.append((tag, _value_text(value, f"{where}: {key}")))
    return out


def _check_keys(args: dict[str, Any], allowed: set[str], where: str, kind: str) -> None:
    unknown = set(args) - allowed - {"conn"}
    if unknown:
        raise ScenarioError(f"{where}: {kind}: unknown option(s) {sorted(unknown)}; allowed: {sorted(allowed | {'conn'})}")


def _step(kind: str, line: int, args: dict[str, Any]) -> Step:
    return Step(kind=kind, line=line, conn=str(args.pop("conn", "main")), args=args)


def _p_connect(kind: str, raw: Any, path: str, line: int) -> Step:
    args = dict(_mapping(raw, f"{path}:{line}: connect"))
    where = f"{path}:{line}: connect"
    session_keys = {"kind", "key", "use_dollars", "heartbeat", "reset", "flags"}
    _check_keys(args, session_keys | {"tls"}, f"{path}:{line}", kind)
    overrides = {k: args.pop(k) for k in list(args) if k in session_keys}
    SessionSpec().merged(overrides, where)  # validate now; merged with the scenario session at run time
    step = _step(kind, line, args)
    step.args["session"] = overrides
    return step


def _p_simple(kind: str, raw: Any, path: str, line: int) -> Step:
    args = dict(_mapping(raw, f"{path}:{line}: {kind}"))
    allowed = {"timeout", "allow"} if kind == "expect_disconnect" else set()
    _check_keys(args, allowed, f"{path}:{line}", kind)
    step = _step(kind, line, args)
    step.args["timeout"] = parse_duration(step.args.get("timeout", DEFAULT_TIMEOUT), f"{path}:{line}: timeout")
    allow = step.args.get("allow", [])
    step.args["allow"] = [str(a) for a in (allow if isinstance(allow, list) else [allow])]
    return step


def _p_logon(kind: str, raw: Any, path: str, line: int) -> Step:
    args = dict(_mapping(raw, f"{path}:{line}: logon"))
    _check_keys(args, {"fields", "header", "ack", "timeout"}, f"{path}:{line}", kind)
    step = _step(kind, line, args)
    step.args["fields"] = _field_list(args.get("fields"), f"{path}:{line}: fields")
    step.args["header"] = _field_list(args.get("header"), f"{path}:{line}: header")
    step.args["ack"] = _bool(args.get("ack", True), f"{path}:{line}: ack")
    step.args["timeout"] = parse_duration(args.get("timeout", DEFAULT_TIMEOUT), f"{path}:{line}: timeout")
    return step


def _p_send(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw, f"{where}: send"))
    _check_keys(args, {"type", "fields", "header", "body_length", "checksum", "begin_string", "note"}, where, kind)
    if "type" not in args:
        raise ScenarioError(f"{where}: send needs `type` (the MsgType, e.g. D)")
    step = _step(kind, line, args)
    step.args["type"] = str(args["type"])
    step.args["fields"] = _field_list(args.get("fields"), f"{where}: fields")
    step.args["header"] = _field_list(args.get("header"), f"{where}: header")
    return step


def _p_send_raw(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw if isinstance(raw, dict) else {"data": raw}, f"{where}: send_raw"))
    _check_keys(args, {"data", "soh", "note"}, where, kind)
    if not isinstance(args.get("data"), str):
        raise ScenarioError(f"{where}: send_raw needs `data` (text; `|` stands for SOH unless soh is set)")
    return _step(kind, line, args)


def _matchers(raw: Any, where: str) -> dict[int, Matcher]:
    out: dict[int, Matcher] = {}
    for key, spec in _mapping(raw, where).items():
        try:
            tag = tag_of(key)
            out[tag] = Matcher.parse(spec)
        except KeyError as exc:
            raise ScenarioError(f"{where}: {exc.args[0]}") from None
        except MatcherError as exc:
            raise ScenarioError(f"{where}: {key}: {exc}") from None
    return out


def _p_expect(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw, f"{where}: expect"))
    _check_keys(args, {"type", "fields", "timeout", "skip", "skip_others", "allow_malformed"}, where, kind)
    if "type" not in args:
        raise ScenarioError(f"{where}: expect needs `type` (MsgType, or {{one_of: [...]}})")
    step = _step(kind, line, args)
    try:
        step.args["type"] = Matcher.parse(args["type"] if isinstance(args["type"], dict) else str(args["type"]))
    except MatcherError as exc:
        raise ScenarioError(f"{where}: type: {exc}") from None
    step.args["fields"] = _matchers(args.get("fields"), f"{where}: fields")
    step.args["timeout"] = parse_duration(args.get("timeout", DEFAULT_TIMEOUT), f"{where}: timeout")
    skip = args.get("skip", ["0"])
    step.args["skip"] = [str(s) for s in (skip if isinstance(skip, list) else [skip])]
    step.args["skip_others"] = _bool(args.get("skip_others", False), f"{where}: skip_others")
    step.args["allow_malformed"] = _bool(args.get("allow_malformed", False), f"{where}: allow_malformed")
    return step


def _p_expect_all(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw, f"{where}: expect_all"))
    _check_keys(args, {"messages", "timeout"}, where, kind)
    items = args.get("messages")
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{where}: expect_all needs `messages`, a list of {{type, fields}}")
    step = _step(kind, line, args)
    messages = []
    for item in items:
        spec = _mapping(item, f"{where}: messages")
        unknown = set(spec) - {"type", "fields"}
        if unknown or "type" not in spec:
            raise ScenarioError(f"{where}: each expect_all message has `type` and optional `fields`")
        try:
            type_m = Matcher.parse(spec["type"] if isinstance(spec["type"], dict) else str(spec["type"]))
        except MatcherError as exc:
            raise ScenarioError(f"{where}: type: {exc}") from None
        messages.append({"type": type_m, "fields": _matchers(spec.get("fields"), f"{where}: fields")})
    step.args["messages"] = messages
    step.args["timeout"] = parse_duration(args.get("timeout", DEFAULT_TIMEOUT), f"{where}: timeout")
    return step


def _p_silence(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw if isinstance(raw, dict) else {"for": raw}, f"{where}: expect_silence"))
    _check_keys(args, {"for", "ignore"}, where, kind)
    step = _step(kind, line, args)
    step.args["for"] = parse_duration(args.get("for", 1.0), f"{where}: for")
    ignore = args.get("ignore", [])
    step.args["ignore"] = [str(s) for s in (ignore if isinstance(ignore, list) else [ignore])]
    return step


def _p_wait(kind: str, raw: Any, path: str, line: int) -> Step:
    return Step(kind=kind, line=line, args={"for": parse_duration(raw, f"{path}:{line}: wait")})


def _p_admin(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = dict(_mapping(raw, f"{where}: admin"))
    _check_keys(args, {"op", "args", "save", "expect"}, where, kind)
    if not args.get("op"):
        raise ScenarioError(f"{where}: admin needs `op` (the simulator admin operation)")
    step = _step(kind, line, args)
    step.args["args"] = _mapping(args.get("args"), f"{where}: admin args")
    if "expect" in args:  # the operation's result (as text) must match, like an expect field
        try:
            step.args["expect"] = Matcher.parse(args["expect"])
        except MatcherError as exc:
            raise ScenarioError(f"{where}: admin expect: {exc}") from None
    return step


def _p_set(kind: str, raw: Any, path: str, line: int) -> Step:
    values = _mapping(raw, f"{path}:{line}: set")
    return Step(kind=kind, line=line, args={str(k): str(v) for k, v in values.items()})


def _p_repeat(kind: str, raw: Any, path: str, line: int) -> Step:
    where = f"{path}:{line}"
    args = _mapping(raw, f"{where}: repeat")
    times = args.get("times")
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 10_000:
        raise ScenarioError(f"{where}: repeat needs `times` between 1 and 10000")
    return Step(kind=kind, line=line, args={"times": times, "steps": _steps(args.get("steps"), path, "repeat steps")})


def _p_note(kind: str, raw: Any, path: str, line: int) -> Step:
    return Step(kind=kind, line=line, args={"text": str(raw)})


_PARSERS = {
    "connect": _p_connect, "disconnect": _p_simple, "logon": _p_logon, "send": _p_send,
    "send_raw": _p_send_raw, "expect": _p_expect, "expect_all": _p_expect_all, "expect_disconnect": _p_simple,
    "expect_silence": _p_silence, "wait": _p_wait, "admin": _p_admin, "set": _p_set,
    "repeat": _p_repeat, "note": _p_note,
}
