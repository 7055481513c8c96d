"""Runs one scenario against a Target, step by step, and returns a verdict with evidence.

A step either succeeds or raises StepFailure carrying a readable explanation (what was
expected, what arrived field by field) and the transcript position it refers to. The runner
never retries and never answers the server on its own: a scenario sees exactly the protocol
the server speaks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from fixengine.auth import generate_private_key, sign_logon
from fixengine.cert.matcher import Matcher, match_fields, render_diff
from fixengine.cert.names import label
from fixengine.cert.scenario import Scenario, SessionSpec, Step
from fixengine.cert.target import Target, TargetError
from fixengine.cert.variables import VarContext, VariableError, expand, fix_time
from fixengine.cert.wire import Disconnected, FixConnection, FixMessage, Transcript, checksum, encode
from fixengine.errors import FixEngineError

PASS, FAIL, ERROR, SKIP = "pass", "fail", "error", "skip"


class StepFailure(Exception):
    """The server did not behave as the scenario expects (a FAIL verdict)."""

    def __init__(self, message: str, entry: int | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class StepError(Exception):
    """The scenario could not be carried out (bad variable, missing key): an ERROR verdict."""


@dataclass(slots=True)
class ScenarioResult:
    name: str
    path: str
    ref: str
    title: str
    verdict: str
    message: str = ""
    line: int | None = None  # scenario line of the failing step
    focus: int | None = None  # transcript entry the failure refers to
    seconds: float = 0.0
    transcript: Transcript = field(default_factory=Transcript)
    steps_run: int = 0
    description: str = ""


@dataclass(slots=True)
class _Conn:
    wire: FixConnection
    session: SessionSpec
    key_id: str
    target_comp_id: str
    next_out: int = 1
    next_in: int = 1


_WRONG_KEY = None  # an unrelated RSA key for {signature:wrongkey}, generated once per process


def _wrong_key():
    global _WRONG_KEY
    if _WRONG_KEY is None:
        _WRONG_KEY = generate_private_key()
    return _WRONG_KEY


class ScenarioRunner:
    def __init__(self, scenario: Scenario, target: Target,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.scenario = scenario
        self.target = target
        self.clock = clock
        self.transcript = Transcript()
        self.conns: dict[str, _Conn] = {}
        self.saved: dict[str, str] = {}
        self.clordids: dict[str, str] = {}
        self.index: int | None = None

    # ------------------------------------------------------------------ entry point
    def run(self) -> ScenarioResult:
        sc = self.scenario
        result = ScenarioResult(sc.name, sc.path, sc.ref, sc.title, PASS, transcript=self.transcript,
                                description=sc.description)
        missing = [r for r in sc.requires if not self.target.has(r)]
        if missing:
            result.verdict, result.message = SKIP, f"target {self.target.name} lacks: {', '.join(missing)}"
            return result
        started = time.monotonic()
        try:
            self._run_steps(sc.steps, result)
        except StepFailure as exc:
            result.verdict, result.message, result.focus = FAIL, str(exc), exc.entry
        except (StepError, TargetError, VariableError) as exc:
            result.verdict, result.message = ERROR, str(exc)
        except FixEngineError as exc:
            result.verdict, result.message = ERROR, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not abort the whole run
            result.verdict, result.message = ERROR, f"runner error: {type(exc).__name__}: {exc}"
        finally:
            self._close_all()
            result.seconds = time.monotonic() - started
        return result

    def _run_steps(self, steps: list[Step], result: ScenarioResult) -> None:
        for step in steps:
            result.line = step.line
            result.steps_run += 1
            try:
                getattr(self, f"_do_{step.kind}")(step)
            except StepFailure as exc:
                where = f"{self.scenario.path}:{step.line}: {step.kind} [{step.conn}]"
                raise StepFailure(f"{where}: {exc}", exc.entry) from None
            except (StepError, VariableError, TargetError) as exc:
                raise StepError(f"{self.scenario.path}:{step.line}: {step.kind}: {exc}") from None
        if steps is self.scenario.steps:
            result.line = None

    def _close_all(self) -> None:
        for conn in self.conns.values():
            conn.wire.close()

    # ------------------------------------------------------------------ helpers
    def _conn(self, step: Step) -> _Conn:
        conn = self.conns.get(step.conn)
        if conn is None or conn.wire.sock is None:
            raise StepError(f"connection {step.conn!r} is not open (add a connect step)")
        return conn

    def _ctx(self, conn: _Conn | None, signer: Callable[[str], str] | None = None) -> VarContext:
        return VarContext(
            saved=self.saved, clordids=self.clordids, tickers=self.target.tickers,
            keys={alias: info.key_id for alias, info in self.target.keys.items()},
            key_alias=conn.session.key if conn else self.scenario.session.key,
            target=conn.target_comp_id if conn else "", next_seq=conn.next_out if conn else 1,
            use_dollars=conn.session.use_dollars if conn else self.scenario.session.use_dollars,
            index=self.index, clock=self.clock, signer=signer,
        )

    # ------------------------------------------------------------------ connection steps
    def _do_connect(self, step: Step) -> None:
        if step.conn in self.conns and self.conns[step.conn].wire.sock is not None:
            raise StepError(f"connection {step.conn!r} is already open")
        session = self.scenario.session.merged(step.args.get("session", {}), step.where(self.scenario.path))
        if session.kind not in self.target.ports:
            raise StepError(f"target {self.target.name} has no {session.kind} session")
        key = self.target.key(session.key)
        wire = FixConnection(step.conn, self.target.host, self.target.ports[session.kind], self.transcript,
                             self.target.tls, self.target.server_hostname)
        try:
            wire.connect()
        except OSError as exc:
            raise StepFailure(f"cannot connect to {self.target.host}:{wire.port} ({session.kind}): {exc}") from None
        self.conns[step.conn] = _Conn(wire, session, key.key_id, self.target.target_comp_ids[session.kind])

    def _do_disconnect(self, step: Step) -> None:
        self._conn(step).wire.close()

    def _do_expect_disconnect(self, step: Step) -> None:
        conn = self._conn(step)
        deadline = time.monotonic() + step.args["timeout"]
        while True:
            try:
                msg = conn.wire.receive(max(0.0, deadline - time.monotonic()))
            except Disconnected:
                return
            if msg is None:
                entry = self.transcript.note(step.conn, f"still connected after {step.args['timeout']:g}s")
                raise StepFailure(f"expected the server to close the connection within "
                                  f"{step.args['timeout']:g}s; it stayed open", entry.index)
            self._track_seq(conn, msg)  # keep counting; the verdict here is about the close
            if msg.msg_type == "0" or msg.msg_type in step.args["allow"]:
                continue
            raise StepFailure(f"expected the server to close the connection, but it sent "
                              f"35={msg.msg_type} first:\n{_summary(msg)}", self._last_in(step.conn))

    # ------------------------------------------------------------------ sending
    def _do_logon(self, step: Step) -> None:
        conn = self._conn(step)
        s = conn.session
        body: list[tuple[int, str | None]] = [(98, "0"), (108, str(s.heartbeat)), (95, "{signature_len}"),
                                               (96, "{signature}")]
        if s.reset_flag:
            body.append((141, "Y"))
        body.append((1137, "9"))
        if s.use_dollars:
            body.append((21005, "Y"))
        body = _override(body, list(s.flags))
        body = _override(body, step.args["fields"])
        self._send_message(conn, "A", body, step.args["header"], {})
        if step.args["ack"]:
            self._expect(conn, step.conn, Matcher(exact="A"), {}, step.args["timeout"], ["0"], False, False)

    def _do_send(self, step: Step) -> None:
        conn = self._conn(step)
        self._send_message(conn, expand(step.args["type"], self._ctx(conn)), step.args["fields"],
                           step.args["header"], step.args)

    def _do_send_raw(self, step: Step) -> None:
        conn = self._conn(step)
        text = expand(step.args["data"], self._ctx(conn))
        data = text.replace(step.args.get("soh", "|"), "\x01").encode("utf-8")
        conn.wire.send(data, step.args.get("note", "raw bytes from the scenario"))

    def _send_message(self, conn: _Conn, msg_type: str, body: list[tuple[int, str | None]],
                      header_over: list[tuple[int, str | None]], opts: dict[str, Any]) -> None:
        ctx = self._ctx(conn)
        header: list[tuple[int, str | None]] = [
            (35, msg_type), (49, conn.key_id), (56, conn.target_comp_id), (34, str(conn.next_out)),
            (52, fix_time(self.clock())),
        ]
        header = [(t, expand(v, ctx) if v is not None else None) for t, v in _override(header, header_over)]
        values = {t: v for t, v in header if v is not None}
        signatures: dict[str, str] = {}

        def signer(variant: str) -> str:
            if variant not in signatures:
                key = _wrong_key() if variant == "wrongkey" else self.target.key(conn.session.key).private_key
                signatures[variant] = sign_logon(key, values.get(52, ""), values.get(34, ""), values.get(49, ""),
                                                 values.get(56, ""), values.get(35, "A"))
            return signatures[variant]

        sign_ctx = self._ctx(conn, signer)
        fields = [(t, v) for t, v in header if v is not None]
        fields += [(t, expand(v, sign_ctx)) for t, v in body if v is not None]
        body_length, check = _corruption(fields, opts)
        raw = encode(fields, opts.get("begin_string", "FIXT.1.1"), body_length, check)
        note = opts.get("note", "")
        if body_length is not None or check is not None:
            note = (note + "; " if note else "") + "deliberately broken "
            note += ", ".join(n for n, v in (("BodyLength", body_length), ("CheckSum", check)) if v is not None)
        conn.wire.send(raw, note)
        if body_length is not None or check is not None:
            return  # the peer must drop a garbled message, so it does not use up a sequence number
        seq = values.get(34, "")
        if not seq.isdigit():
            conn.next_out += 1
        elif int(seq) >= conn.next_out:  # an explicit lower number (a resend) does not rewind
            conn.next_out = int(seq) + 1

    # ------------------------------------------------------------------ expecting
    def _do_expect(self, step: Step) -> None:
        a = step.args
        self._expect(self._conn(step), step.conn, a["type"], a["fields"], a["timeout"], a["skip"],
                     a["skip_others"], a["allow_malformed"])

    def _expect(self, conn: _Conn, name: str, type_matcher: Matcher, fields: dict[int, Matcher],
                timeout: float, skip: list[str], skip_others: bool, allow_malformed: bool) -> FixMessage:
        ctx = self._ctx(conn)
        want_type = type_matcher.expand(lambda t: expand(t, ctx))
        wanted = {tag: m.expand(lambda t: expand(t, ctx)) for tag, m in fields.items()}
        what = f"35={want_type.describe()}" + "".join(f", {label(t)} {m.describe()}" for t, m in wanted.items())
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = conn.wire.receive(max(0.0, deadline - time.monotonic()))
            except Disconnected:
                raise StepFailure(f"expected {what}\n  but the connection was closed",
                                  len(self.transcript.entries) - 1) from None
            if msg is None:
                entry = self.transcript.note(name, f"timeout after {timeout:g}s waiting for 35={want_type.describe()}")
                raise StepFailure(f"expected {what} within {timeout:g}s\n  but nothing matching arrived",
                                  entry.index)
            entry = self._last_in(name)
            seq_problem = self._track_seq(conn, msg)
            if seq_problem:
                raise StepFailure(seq_problem, entry)
            type_ok = want_type.check(msg.msg_type) is None
            if not type_ok and msg.msg_type in skip:
                continue
            if msg.problems and not allow_malformed:
                raise StepFailure("the server sent a malformed message: " + "; ".join(msg.problems), entry)
            results = match_fields(wanted, msg.get)
            if type_ok and all(r.problem is None for r in results):
                for tag, matcher in wanted.items():
                    if matcher.save:
                        self.saved[matcher.save] = msg.get(tag) or ""
                return msg
            if skip_others:
                continue
            lines = [f"expected {what}", f"  got 35={msg.msg_type} (seq {msg.get(34)}):"]
            if not type_ok:
                lines.append(f"  FAIL 35(MsgType): expected {want_type.describe()}, got {msg.msg_type!r}")
            lines += render_diff(results, label)
            extra = _text_hint(msg, wanted)
            if extra:
                lines.append(extra)
            raise StepFailure("\n".join(lines), entry)

    def _do_expect_all(self, step: Step) -> None:
        """Every listed message must arrive, in any order (heartbeats skipped)."""
        conn = self._conn(step)
        ctx = self._ctx(conn)
        pending = [(m["type"].expand(lambda t: expand(t, ctx)),
                    {tag: f.expand(lambda t: expand(t, ctx)) for tag, f in m["fields"].items()})
                   for m in step.args["messages"]]
        deadline = time.monotonic() + step.args["timeout"]
        while pending:
            try:
                msg = conn.wire.receive(max(0.0, deadline - time.monotonic()))
            except Disconnected:
                raise StepFailure(f"{len(pending)} expected message(s) still missing when the connection closed:\n"
                                  + _pending_text(pending), len(self.transcript.entries) - 1) from None
            if msg is None:
                entry = self.transcript.note(step.conn, f"timeout after {step.args['timeout']:g}s in expect_all")
                raise StepFailure(f"{len(pending)} expected message(s) did not arrive within "
                                  f"{step.args['timeout']:g}s:\n" + _pending_text(pending), entry.index)
            entry = self._last_in(step.conn)
            seq_problem = self._track_seq(conn, msg)
            if seq_problem:
                raise StepFailure(seq_problem, entry)
            if msg.msg_type == "0" and not any(t.check("0") is None for t, _ in pending):
                continue
            if msg.problems:
                raise StepFailure("the server sent a malformed message: " + "; ".join(msg.problems), entry)
            for i, (type_m, fields) in enumerate(pending):
                results = match_fields(fields, msg.get)
                if type_m.check(msg.msg_type) is None and all(r.problem is None for r in results):
                    for tag, matcher in fields.items():
                        if matcher.save:
                            self.saved[matcher.save] = msg.get(tag) or ""
                    del pending[i]
                    break
            else:
                raise StepFailure("a message matched none of the expected ones:\n" + _summary(msg)
                                  + "\n  still expected:\n" + _pending_text(pending), entry)

    def _track_seq(self, conn: _Conn, msg: FixMessage) -> str:
        """Check the server's MsgSeqNum runs 1, 2, 3 ... (PossDup and gap fills excepted)."""
        seq = msg.seq_num
        if seq is None:
            return "the server sent a message without MsgSeqNum(34)"
        if msg.get(43) == "Y":
            return ""
        expected = conn.next_in
        if msg.msg_type == "4":
            new_seq = msg.get(36)
            conn.next_in = int(new_seq) if new_seq and new_seq.isdigit() else seq + 1
        else:
            conn.next_in = seq + 1
        if msg.msg_type == "A" and msg.get(141) == "Y":
            return ""
        if seq != expected:
            return f"server MsgSeqNum(34) is {seq}, expected {expected} (each side numbers 1, 2, 3 ...)"
        return ""

    def _last_in(self, name: str) -> int:
        for entry in reversed(self.transcript.entries):
            if entry.conn == name and entry.direction == "in":
                return entry.index
        return len(self.transcript.entries) - 1

    def _do_expect_silence(self, step: Step) -> None:
        conn = self._conn(step)
        deadline = time.monotonic() + step.args["for"]
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                msg = conn.wire.receive(remaining)
            except Disconnected:
                raise StepFailure(f"expected {step.args['for']:g}s of silence, but the connection was closed",
                                  len(self.transcript.entries) - 1) from None
            if msg is None:
                return
            seq_problem = self._track_seq(conn, msg)
            if seq_problem:
                raise StepFailure(seq_problem, self._last_in(step.conn))
            if msg.msg_type in step.args["ignore"]:
                continue
            raise StepFailure(f"expected no message for {step.args['for']:g}s, got:\n{_summary(msg)}",
                              self._last_in(step.conn))

    # ------------------------------------------------------------------ other steps
    def _do_wait(self, step: Step) -> None:
        time.sleep(step.args["for"])

    def _do_note(self, step: Step) -> None:
        self.transcript.note(step.conn, step.args["text"])

    def _do_set(self, step: Step) -> None:
        for name, value in step.args.items():
            self.saved[name] = expand(value, self._ctx(self.conns.get(step.conn)))

    def _do_admin(self, step: Step) -> None:
        ctx = self._ctx(self.conns.get(step.conn))
        args = {k: _expand_any(v, ctx) for k, v in step.args["args"].items()}
        self.transcript.note("admin", f"admin {step.args['op']} {args}")
        try:
            value = self.target.admin(str(step.args["op"]), args)
        except TargetError:
            raise
        except Exception as exc:  # the simulator refused the operation: a scenario/setup error
            raise StepError(f"admin {step.args['op']} failed: {type(exc).__name__}: {exc}") from None
        text = "" if value is None else str(value)
        if step.args.get("save"):
            self.saved[str(step.args["save"])] = text
        matcher = step.args.get("expect")
        if matcher is not None:
            wanted = matcher.expand(lambda t: expand(t, ctx))
            problem = wanted.check(text)
            entry = self.transcript.note("admin", f"admin {step.args['op']} returned {text!r}")
            if problem is not None:
                raise StepFailure(f"admin {step.args['op']} returned {text!r}, expected {wanted.describe()} "
                                  f"({problem})", entry.index)

    def _do_repeat(self, step: Step) -> None:
        outer = self.index
        for i in range(1, step.args["times"] + 1):
            self.index = i
            for inner in step.args["steps"]:
                try:
                    getattr(self, f"_do_{inner.kind}")(inner)
                except StepFailure as exc:
                    raise StepFailure(f"iteration {i}, {inner.kind} at line {inner.line}: {exc}", exc.entry) from None
                except (StepError, VariableError, TargetError) as exc:
                    raise StepError(f"iteration {i}, {inner.kind} at line {inner.line}: {exc}") from None
        self.index = outer


# ---------------------------------------------------------------------- module helpers


def _override(base: list[tuple[int, str | None]], over: list[tuple[int, str | None]]) -> list[tuple[int, str | None]]:
    """Replace tags of `base` in place with `over` values (None removes); new tags are appended."""
    out = list(base)
    for tag, value in over:
        positions = [i for i, (t, _) in enumerate(out) if t == tag]
        if positions:
            out[positions[0]] = (tag, value)
        else:
            out.append((tag, value))
    return [(t, v) for t, v in out if v is not None]


def _corruption(fields: list[tuple[int, str]], opts: dict[str, Any]) -> tuple[str | None, str | None]:
    body_length = opts.get("body_length")
    if isinstance(body_length, str) and body_length[:1] in "+-" and body_length[1:].isdigit():
        real = len("".join(f"{t}={v}\x01" for t, v in fields).encode("utf-8"))
        body_length = str(real + int(body_length))
    check = opts.get("checksum")
    if check == "wrong":
        right = checksum(encode(fields, opts.get("begin_string", "FIXT.1.1"), body_length)[:-7])
        check = f"{(int(right) + 1) % 256:03d}"
    return (None if body_length is None else str(body_length)), (None if check is None else str(check))


def _expand_any(value: Any, ctx: VarContext) -> Any:
    if isinstance(value, str):
        return expand(value, ctx)
    if isinstance(value, list):
        return [_expand_any(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: _expand_any(v, ctx) for k, v in value.items()}
    return value


def _summary(msg: FixMessage) -> str:
    return "  " + " ".join(f"{label(t)}={'<redacted>' if t == 96 else v}" for t, v in msg.fields if t not in (8, 9, 10))


def _pending_text(pending: list[tuple[Matcher, dict[int, Matcher]]]) -> str:
    return "\n".join(f"  - 35={t.describe()}" + "".join(f", {label(tag)} {m.describe()}" for tag, m in f.items())
                     for t, f in pending)


def _text_hint(msg: FixMessage, wanted: dict[int, Matcher]) -> str:
    """Show Text(58) / reject reasons when the scenario did not ask for them: they explain most failures."""
    extra = [f"{label(t)}={msg.get(t)!r}" for t in (58, 103, 102, 373, 380) if t not in wanted and msg.has(t)]
    return "  also: " + ", ".join(extra) if extra else ""
