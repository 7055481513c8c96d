"""The strategy-facing engine: typed orders over one Kalshi order-entry session.

    engine = Engine.from_config("config/local-sim.yaml", ports={"NR": 40123})
    engine.connect()
    order = engine.new_order("KXHIGHNY-26NOV25-B55.5", "buy_no", "0.30", "10", tif="gtc")
    engine.wait(lambda: not order.status.value.startswith("pending"))
    engine.replace(order, price="0.31")
    engine.cancel(order)

Every order is checked (input, tick grid, pre-trade risk, Write-bucket pacing) and journaled
*before* it is handed to QuickFIX; a refusal is an immediate local reject whose reason names the
rule. Reports move the order state machine (orders.py) and are journaled before they are applied.
Events go to callbacks registered with `on_event` and, unless disabled, to `events` (a queue).

Threading: in threaded mode QuickFIX's engine thread delivers reports and callbacks; in poll mode
the caller drives `poll()` and everything happens on its thread. One re-entrant lock guards the
engine state; it is never held while QuickFIX sends, so a callback may place orders.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from fixengine.book import Book
from fixengine.config import load_config
from fixengine.config.types import EngineConfig, SessionKind
from fixengine.engine import journal as J
from fixengine.engine import userterms as U
from fixengine.engine.events import Event, EventKind
from fixengine.engine.extension_points import EngineExtensionPoints
from fixengine.engine.groups import ORDER_GROUP_CANCEL, OrderGroups
from fixengine.engine.orders import Order, OrderTracker, PendingRequest
from fixengine.engine.positions import PositionBook
from fixengine.engine.recovery import RecoveryReport, encode_order, encode_request, replay, unaccounted
from fixengine.engine.risk import RiskChecker, RiskLimits
from fixengine.engine.throttle import WriteThrottle
from fixengine.errors import FixEngineError, UserInputError
from fixengine.fanout import fan_out
from fixengine.pricing.errors import PricingError
from fixengine.pricing.ticks import TickGrid
from fixengine.pricing.units import ONE_CENT
from fixengine.session.connection import FixConnection
from fixengine.session.kinds import mass_cancel_allowed, retransmits
from fixengine.session.records import BusinessReject
from fixengine.session.templates import OrderFields, OrderTemplates
from fixengine.session.parse import MessageParseError, parse_settlement_report_text
from fixengine.settlement.processor import for_engine as settlement_processor

log = logging.getLogger(__name__)
EASTERN = ZoneInfo("America/New_York")
MASS_CANCEL_MIN_INTERVAL_S = 1.0  # OrderMassCancelRequest: at most 1 per second (part 1 §2.8)


class OrderStateError(UserInputError):
    """The order cannot take this request in its current state (done, or a replace pending)."""


_DAY_BY_HOUR: dict[str, str] = {}


def _eastern_day(transact_time: str | None) -> str:
    """US-Eastern trading date (YYYYMMDD) of a fill whose TransactTime is UTC text.

    Cached per UTC hour ("YYYYMMDD-HH"): DST switches happen on hour boundaries, and strptime
    costs tens of microseconds per fill.
    """
    key = transact_time[:11] if transact_time and len(transact_time) >= 11 else ""
    day = _DAY_BY_HOUR.get(key)
    if day is not None:
        return day
    try:
        utc = dt.datetime(int(key[0:4]), int(key[4:6]), int(key[6:8]), int(key[9:11]), tzinfo=dt.timezone.utc)
    except ValueError:
        return dt.datetime.now(EASTERN).strftime("%Y%m%d")
    if len(_DAY_BY_HOUR) > 10_000:
        _DAY_BY_HOUR.clear()
    day = _DAY_BY_HOUR[key] = utc.astimezone(EASTERN).strftime("%Y%m%d")
    return day


def default_journal_path(cfg: EngineConfig, kind: SessionKind) -> Path:
    """One journal per (API key, session kind) under storage.journal_dir."""
    return cfg.storage.journal_dir / f"orders-{cfg.session(kind).api_key_id}-{kind.value}.sqlite"


class Engine(EngineExtensionPoints):
    def __init__(self, cfg: EngineConfig, *, session: SessionKind | str | None = None, poll_mode: bool = False,
                 journal_path: str | Path | None = None, event_queue: bool = True,
                 rate_limit_max_wait_s: float = 0.5, dictionaries: tuple | None = None,
                 journal_sync: str = "NORMAL") -> None:
        self.cfg = cfg
        self.kind = SessionKind(session) if session is not None else self._default_kind(cfg)
        self.session_cfg = cfg.session(self.kind)
        self.poll_mode = poll_mode
        self.use_dollars = bool(self.session_cfg.logon.use_dollars)
        self._lock = threading.RLock()
        self._callbacks: list[Callable[[Event], None]] = []
        # Extensions (order groups, RFQ requester) register what they answer by MsgType (extension_points.py).
        self._message_handlers: dict[str, Callable[[object], None]] = {}
        self._reject_handlers: dict[str, Callable[[object], bool]] = {}
        self.events: queue.SimpleQueue[Event] | None = queue.SimpleQueue() if event_queue else None
        self.callback_errors = 0
        self.parse_errors: list[str] = []
        self.session_rejects: list = []
        self._pending_risk_events: list[Event] = []
        self.tracker = OrderTracker()
        self.positions = PositionBook()
        self.risk = RiskChecker(_limits(cfg), self.tracker, self.positions)
        self.tracker.fill_listeners.append(self._on_fill)
        self.throttle = WriteThrottle(cfg.rate_limit.write_tokens_per_s, cfg.rate_limit.write_capacity,
                                      cost=cfg.rate_limit.write_cost)
        self.rate_limit_max_wait_s = rate_limit_max_wait_s
        self.tick_grids: dict[str, TickGrid] = {}
        self.fractional: dict[str, bool] = {}
        self.templates = OrderTemplates(self.use_dollars)
        self._prefix = secrets.token_hex(4) + "-"
        self._ids = itertools.count(1)
        self._last_mass_cancel = 0.0
        path = journal_path or default_journal_path(cfg, self.kind)
        self.journal = J.Journal(path, journal_sync)
        # The numba book holds the full order / position / P&L picture (fills and settlements);
        # it is only touched under self._lock (its kernels release the GIL).
        self.book = Book()
        self.recovery: RecoveryReport = replay(self.journal, self.tracker, self.book)
        self._settled_pages: set[str] = set()  # settlement report ids already in positions / the journal
        for page in self.recovery.settlement_pages:
            self._close_settled_positions(page)
        self.settlements = settlement_processor(path, self.book, self._lock, self.apply_settlement_page)
        self._pending_risk_events.clear()  # replayed history is not news
        if self.recovery.records:
            log.warning("recovered from journal %s:\n%s", path, self.recovery)
        self.conn = FixConnection(cfg, self, [self.kind], poll_mode=poll_mode, dictionaries=dictionaries)
        self.groups = OrderGroups(self)  # order groups (UOG/UOH); restored from the journal
        self._restore_rfq()  # RFQs from an earlier run (RT): restored before any resend arrives

    @staticmethod
    def _default_kind(cfg: EngineConfig) -> SessionKind:
        for kind in (SessionKind.NR, SessionKind.RT):
            if kind in cfg.sessions:
                return kind
        raise FixEngineError(f"{cfg.source}: no order-entry session (NR or RT) configured")

    @classmethod
    def from_config(cls, config: str | Path | EngineConfig, *, ports: Mapping[str, int] | None = None,
                    tls=None, **kwargs) -> Engine:
        cfg = config if isinstance(config, EngineConfig) else load_config(config)
        if ports or tls is not None:
            cfg = cfg.with_endpoints(ports=ports, tls=tls)
        return cls(cfg, **kwargs)

    # ------------------------------------------------------------------ lifecycle
    def connect(self, timeout: float = 10.0) -> None:
        """Start the session and wait for the logon (raises LogonRefusedError with the reason)."""
        self.conn.start()
        self.conn.wait_logon(self.kind, timeout)

    def close(self) -> None:
        self.conn.stop()
        self.journal.close()
        self.settlements.close()

    def poll(self) -> None:
        """Poll mode: one non-blocking step of the session on the caller's thread."""
        self.conn.poll()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait (or poll, in poll mode) until predicate() is true; returns its final value."""
        return self.conn.wait_until(predicate, timeout, sleep_s=0.001)

    @property
    def logged_on(self) -> bool:
        return self.conn.is_logged_on(self.kind)

    def on_event(self, callback: Callable[[Event], None]) -> None:
        self._callbacks.append(callback)

    # ------------------------------------------------------------------ reference data
    def set_tick_grid(self, ticker: str, grid: TickGrid, fractional: bool | None = None) -> None:
        """Register a market's price grid (e.g. from the REST cache) so orders are checked before sending."""
        self.tick_grids[ticker] = grid
        with self._lock:
            self.book.add_market(ticker, grid)
        if fractional is not None:
            self.fractional[ticker] = fractional

    def set_best_prices(self, ticker: str, bid: object = None, ask: object = None) -> None:
        """Best YES bid/ask (price text or units) for the price-collar rule."""
        self.risk.set_best_prices(ticker, None if bid is None else U.parse_user_price(bid),
                                  None if ask is None else U.parse_user_price(ask))

    # ------------------------------------------------------------------ orders
    def _next_id(self) -> str:
        """Random per-run prefix + counter: unique across restarts; next() on count is atomic."""
        return f"{self._prefix}{next(self._ids)}"

    def new_order(self, ticker: str, side: object, price: object, qty: object, tif: object = None, *,
                  post_only: bool = False, reduce_only: bool = False, stp: object = None, max_cost: object = None,
                  expire_time: object = None, subaccount: int = 0, order_group: object = None,
                  cancel_on_pause: bool = False) -> Order:
        """Place a limit order in the user's terms; returns its handle (maybe already locally rejected).
        `order_group`: an OrderGroup handle (engine.groups) or a group id, sent as 526."""
        group_refusal = None
        if order_group is not None:
            order_group, group_refusal = self.groups.admit(order_group, subaccount)
        fields, order = self._build_order(ticker, side, price, qty, tif, post_only, reduce_only, stp, max_cost,
                                          expire_time, subaccount, order_group, cancel_on_pause)
        if group_refusal is not None:  # e.g. the group is known to be triggered: no token, no send
            with self._lock:
                events = self._admit(order, group_refusal)
            self._deliver(events)
            return order
        with self._lock:  # the common case takes the lock once: a token is there, admit at once
            wait = self.throttle.try_take()
            if wait == 0.0:
                events = self._admit(order, None)
        if wait != 0.0:
            reason = self._pace(wait)
            with self._lock:
                events = self._admit(order, reason)
        if events:
            self._deliver(events)
            return order
        self._send_or_fail(order, self.templates.new_order(fields), None)
        return order

    def _admit(self, order: Order, pacing_refusal: str | None) -> list[Event] | None:
        """Risk-check, track and journal a new intent (lock held); events when refused locally."""
        breach = self.risk.check_new(order.ticker, order.side.value == "1", order.price, order.qty, order.subaccount)
        self.tracker.add(order)
        self.journal.append(J.NEW, order.key, encode_order(order))
        reason = breach.reason if breach is not None else pacing_refusal
        if reason is None:
            return None
        self.journal.append(J.LOCAL_REJECT, order.key, [order.key, reason, None])
        return self.tracker.reject_locally(order, reason)

    def _build_order(self, ticker, side, price, qty, tif, post_only, reduce_only, stp, max_cost, expire_time,
                     subaccount, order_group, cancel_on_pause) -> tuple[OrderFields, Order]:
        if not isinstance(ticker, str) or not ticker:
            raise UserInputError(f"ticker {ticker!r}: expected a market ticker")
        wire_side, is_no, user_side = U.parse_side(side)
        yes_price = U.wire_price(U.parse_user_price(price), is_no)
        self._check_price(ticker, yes_price)
        units = U.parse_user_qty(qty, self.fractional.get(ticker, True))
        time_in_force = U.parse_tif(tif, expire_time)
        expire = None
        if time_in_force.value == "6":
            if expire_time is None:
                raise UserInputError("tif gtd needs expire_time")
            expire = U.format_expire_time(expire_time)
        elif expire_time is not None:
            raise UserInputError(f"expire_time is only valid with tif gtd, not {time_in_force.name.lower()}")
        if post_only and reduce_only:
            raise UserInputError("post_only and reduce_only together are not supported (ExecInst '6 E' is UNCONFIRMED)")
        if reduce_only and time_in_force.value != "3":
            raise UserInputError("reduce_only orders must be IOC on event contracts")
        if not 0 <= int(subaccount) <= 63:
            raise UserInputError(f"subaccount {subaccount!r} must be 0-63")
        stp_value = U.parse_stp(stp)
        cost = None if max_cost is None else U.parse_user_money(max_cost)
        key = self._next_id()
        fields = OrderFields(key, ticker, wire_side.value, yes_price, units, time_in_force.value, expire, post_only,
                             reduce_only, stp_value, cost, int(subaccount), order_group, cancel_on_pause)
        order = Order(key, ticker, wire_side, user_side, yes_price, units, time_in_force.value, expire,
                      int(subaccount), post_only, reduce_only, stp_value, cost, order_group)
        return fields, order

    def _check_price(self, ticker: str, yes_price: int) -> None:
        grid = self.tick_grids.get(ticker)
        try:
            if grid is not None:
                grid.validate(yes_price)
            if not self.use_dollars and yes_price % ONE_CENT:
                raise UserInputError(f"price {yes_price} units is not a whole cent: this session uses cents "
                                     "(log on with use_dollars for sub-penny prices)")
        except PricingError as exc:
            raise UserInputError(f"{ticker}: {exc}") from exc

    def _take_token(self) -> str | None:
        """Pace to the Write bucket; returns a local-reject reason when the wait would be too long."""
        with self._lock:
            wait = self.throttle.try_take()
        return None if wait == 0.0 else self._pace(wait)

    def _pace(self, wait: float) -> str | None:
        """The bucket is `wait` s short of a token: sleep that long, or refuse if it is too long."""
        if wait > self.rate_limit_max_wait_s:
            return f"RATE_LIMIT_LOCAL: Write bucket empty for {wait:.3f} s more (tier {self.cfg.rate_limit.tier.value})"
        time.sleep(wait)
        with self._lock:
            again = self.throttle.try_take()
        return None if again == 0.0 else f"RATE_LIMIT_LOCAL: Write bucket still empty after {wait:.3f} s"

    def _send_or_fail(self, order: Order, message, request: PendingRequest | None) -> bool:
        if self.conn.send(self.kind, message):
            return True
        reason = f"SESSION_DOWN: {self.session_cfg.target_comp_id} is not logged on; nothing was sent"
        with self._lock:
            self.journal.append(J.SEND_FAILED, order.key, [order.key, reason, request.cl_ord_id if request else None])
            if request is None:
                events = self.tracker.reject_locally(order, reason) if order.is_open else []
            else:
                order.pending.pop(request.cl_ord_id, None)
                kind = EventKind.CANCEL_REJECT if request.kind == "cancel" else EventKind.REPLACE_REJECT
                events = [Event(kind, order, None, reason)]
        self._deliver(events)
        return False

    def cancel(self, order: Order) -> bool:
        """Request cancellation; False when a cancel is already pending. Raises when the order is done."""
        if order.is_done:
            raise OrderStateError(f"order {order.key} is {order.status.value}: nothing to cancel")
        if order.pending_cancel:
            return False
        self._take_token_or_raise()
        with self._lock:
            request = PendingRequest("cancel", self._next_id(), order.cl_ord_id)
            self.tracker.add_request(order, request)
            self.journal.append(J.CANCEL, order.key, encode_request(order, request))
        message = self.templates.cancel(request.cl_ord_id, request.orig_cl_ord_id, order.order_id, order.ticker,
                                        order.side.value, order.subaccount)
        return self._send_or_fail(order, message, request)

    def replace(self, order: Order, price: object = None, qty: object = None, expire_time: object = None,
                tif: object = None) -> bool:
        """Change price (user terms), total size (including what is filled) and/or expiry."""
        if order.is_done:
            raise OrderStateError(f"order {order.key} is {order.status.value}: cannot replace")
        if order.pending_replace or order.pending_cancel:
            raise OrderStateError(f"order {order.key} has a cancel or replace pending")
        new_price = order.price if price is None else U.wire_price(U.parse_user_price(price), order.user_side.endswith("_no"))
        self._check_price(order.ticker, new_price)
        new_qty = order.qty if qty is None else U.parse_user_qty(qty, self.fractional.get(order.ticker, True))
        if new_qty < order.cum_qty:
            raise UserInputError(f"qty must be at least the filled {order.cum_qty} units (it is the new total size)")
        new_tif, expire = self._replace_expiry(expire_time, tif)
        self._take_token_or_raise()
        with self._lock:
            breach = self.risk.check_replace(order, new_price, new_qty)
            if breach is not None:
                events = [Event(EventKind.REPLACE_REJECT, order, None, breach.reason)]
            else:
                request = PendingRequest("replace", self._next_id(), order.cl_ord_id, new_price, new_qty, new_tif, expire)
                self.tracker.add_request(order, request)
                self.journal.append(J.REPLACE, order.key, encode_request(order, request))
        if breach is not None:
            self._deliver(events)
            return False
        message = self.templates.replace(request.cl_ord_id, request.orig_cl_ord_id, order.order_id, order.ticker,
                                         order.side.value, new_qty, new_price, order.subaccount, new_tif, expire)
        return self._send_or_fail(order, message, request)

    @staticmethod
    def _replace_expiry(expire_time: object, tif: object) -> tuple[str | None, str | None]:
        """Omitting both keeps the current expiry (Kalshi); else 59=6+126, 59=0 or 59=1 only."""
        if expire_time is None and tif is None:
            return None, None
        time_in_force = U.parse_tif(tif, expire_time)
        if time_in_force.value not in ("0", "1", "6"):
            raise UserInputError("a replace can only set tif day, gtc or gtd")
        if time_in_force.value == "6":
            if expire_time is None:
                raise UserInputError("tif gtd needs expire_time")
            return "6", U.format_expire_time(expire_time)
        if expire_time is not None:
            raise UserInputError("expire_time is only valid with tif gtd")
        return time_in_force.value, None

    def _take_token_or_raise(self) -> None:
        reason = self._take_token()
        if reason is not None:
            raise FixEngineError(reason)

    def mass_cancel(self) -> str | None:
        """Cancel every open order: 35=q on KalshiNR (max 1/s), one 35=F per order elsewhere."""
        if not mass_cancel_allowed(self.kind):
            for order in self.tracker.open_orders():
                if not order.pending_cancel:
                    self.cancel(order)
            return None
        wait = self._last_mass_cancel + MASS_CANCEL_MIN_INTERVAL_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._take_token_or_raise()
        with self._lock:
            cl_ord_id = self._next_id()
            self.journal.append(J.MASS_CANCEL, cl_ord_id, [cl_ord_id])
            self._last_mass_cancel = time.monotonic()
        if not self.conn.send(self.kind, self.templates.mass_cancel(cl_ord_id)):
            raise FixEngineError(f"SESSION_DOWN: {self.session_cfg.target_comp_id} is not logged on; mass cancel not sent")
        return cl_ord_id

    def kill(self, reason: str = "kill switch") -> None:
        """Engage the kill switch: block every new order and replace, and cancel everything open."""
        with self._lock:
            self.risk.killed = reason
        self._deliver([Event(EventKind.RISK, None, None, f"KILL_SWITCH: {reason}")])
        if self.logged_on:
            self.mass_cancel()

    def release_kill(self) -> None:
        with self._lock:
            self.risk.killed = None

    # ------------------------------------------------------------------ views
    @property
    def orders(self) -> dict[str, Order]:
        return self.tracker.orders

    def open_orders(self) -> list[Order]:
        with self._lock:
            return self.tracker.open_orders()

    def unaccounted(self):
        with self._lock:
            return unaccounted(self.tracker)

    # ------------------------------------------------------------------ SessionHandler (QuickFIX thread)
    def on_session_event(self, kind: SessionKind, event: str, text: str | None) -> None:
        events = [Event(EventKind.SESSION, None, None, f"{event}: {text}" if text else event)]
        with self._lock:
            if event == "logon":  # the Logon itself is metered from the Write bucket (part 1 §2.8)
                self.throttle.try_take()
            elif event == "logout" and self._cancels_on_disconnect():
                events += self._cancel_all_locally()
        self._deliver(events)

    def _cancels_on_disconnect(self) -> bool:
        """8013=Y on a session without resend: the exchange cancels every open order of the key on
        any disconnect, and those reports will never reach this session (part 1 §3.8)."""
        return bool(self.session_cfg.logon.cancel_orders_on_disconnect) and not retransmits(self.kind)

    def _cancel_all_locally(self) -> list[Event]:
        reason = "CANCELED_ON_DISCONNECT: CancelOrdersOnDisconnect(8013)=Y (inferred; no report on this session)"
        keys = list(self.tracker.open)
        if not keys:
            return []
        self.journal.append(J.DISCONNECT_CANCEL, None, [reason, keys])
        events: list[Event] = []
        for key in keys:
            events += self.tracker.cancel_locally(self.tracker.orders[key], reason)
        return events

    def on_exec_report(self, report, wire: str | None = None) -> None:
        """Apply, tell the strategy, then journal - all before QuickFIX counts the message as
        received (it bumps the inbound sequence number only after fromApp returns). A crash in
        between therefore loses nothing on RT: the report is asked for again after the restart.
        Journaling after delivery keeps the SQLite write off the report-to-strategy latency."""
        with self._lock:
            if (report.exec_id, report.cl_ord_id) in self.tracker.seen:
                return
            # book first: when the order handle changes and the event goes out, the book agrees
            self.book.apply_exec_report(report)
            events = self.tracker.apply_report(report)
            if self.groups.queued or report.text == ORDER_GROUP_CANCEL:
                events += self.groups.after_report(report)
            if self._pending_risk_events:
                events += self._pending_risk_events
                self._pending_risk_events = []
        self._deliver(events)
        with self._lock:
            self.journal.exec_report(report, wire, self.use_dollars)

    def on_cancel_reject(self, reject) -> None:
        with self._lock:
            self.journal.cancel_reject(reject)
            events = self.tracker.apply_cancel_reject(reject)
        self._deliver(events)

    def on_settlement_report(self, report, wire: str | None = None) -> None:
        """A MarketSettlementReport page (KalshiRT with 20127=Y), handled as the KalshiPT client does
        (fixengine.settlement): a page already seen (PossDup resend) changes nothing; otherwise it
        goes to the order journal (recovery) and the settlement journal (raw page, parties, P&L),
        closes the book's positions at the settlement value, and each batch its pages complete
        is one SETTLEMENT event whose `report` is the SettlementBatch."""
        with self._lock:
            if self.settlements.is_duplicate(report.report_id):
                self.settlements.duplicates += 1
                return
            outcome = self.settlements.handle_report(report, wire, self.session_cfg.target_comp_id)
            risk_events, self._pending_risk_events = self._pending_risk_events, []
        self.settlements.deliver(outcome)
        self._deliver([Event(EventKind.SETTLEMENT, None, batch, f"{batch.symbol} settled {batch.result}"
                             + ("" if batch.complete else " (incomplete batch)")) for batch in outcome.batches]
                      + risk_events)

    def apply_settlement_page(self, page) -> None:
        """A settlement page just given to the book (party ids = subaccount numbers), from this
        engine's RT session or a KalshiPT client attached to it: journal it as the book got it (so a
        restart settles the same subaccounts) and close the risk positions at the settlement value,
        its P&L counting toward the daily loss limit. Idempotent by report id."""
        with self._lock:
            if page.report_id in self._settled_pages:
                return
            self.journal.settlement(page)
            self._close_settled_positions(page)

    def _close_settled_positions(self, page) -> None:
        self._settled_pages.add(page.report_id)
        for party in page.parties:
            sub = int(party.party_id) if party.party_id.isdigit() else 0
            pos = self.positions.get(page.symbol, sub)
            if pos.net == 0:
                continue
            was_hit = self.risk.loss_limit_hit()
            pnl = pos.apply(pos.net < 0, page.yes_value, abs(pos.net), party.fee)
            self.risk.on_realized(pnl, page.clearing_date)
            if not was_hit and self.risk.loss_limit_hit():
                self._pending_risk_events.append(Event(EventKind.RISK, None, page, "DAILY_LOSS_LIMIT reached "
                                                       "(settlement): new orders are blocked until the next "
                                                       "trading day"))

    def on_settlement_wire(self, session: str, wire: str) -> None:
        """A UMS page as wire text: parsed here so a malformed page is kept raw in the settlement
        journal (and counted in parse_errors) instead of only logged."""
        try:
            report = parse_settlement_report_text(wire, session)
        except MessageParseError as exc:
            self.parse_errors.append(f"{exc} :: {wire.replace(chr(1), '|')}")
            self.settlements.reject(wire, str(exc), session)
            return
        self.on_settlement_report(report, wire)

    def on_mass_cancel_report(self, report) -> None:
        with self._lock:
            self.journal.mass_cancel_report(report)
        self._deliver([Event(EventKind.MASS_CANCEL, None, report, report.text)])

    def on_business_reject(self, reject) -> None:
        if self._reject_consumed(reject):
            return
        with self._lock:
            if reject.is_rate_limit:
                self.throttle.drain()
            self.journal.business_reject(reject)
            events = self.tracker.apply_business_reject(reject)
        if not events:  # not about an order we track (e.g. a refused mass cancel): still tell the strategy
            events = [Event(EventKind.REJECT, None, reject, reject.text or f"BusinessMessageReject 380={reject.reason}")]
        self._deliver(events)

    def on_session_reject(self, reject) -> None:
        """35=3: one of our messages was malformed (a client bug: never retried blindly)."""
        self.session_rejects.append(reject)
        if self._reject_consumed(reject):
            return
        text = f"SESSION_REJECT 373={reject.reason}: {reject.text}"
        events = [Event(EventKind.SESSION, None, reject, text)]
        if reject.ref_cl_ord_id is not None:
            with self._lock:
                order = self.tracker.by_cl_ord_id.get(reject.ref_cl_ord_id)
                if order is not None:
                    # Same effect as a 35=j naming the ClOrdID: the request was never applied.
                    bmr = BusinessReject(reject.ref_seq_num, reject.ref_msg_type, reject.ref_cl_ord_id, 0, text)
                    self.journal.business_reject(bmr)
                    events += self.tracker.apply_business_reject(bmr)
        self._deliver(events)

    def on_parse_error(self, kind: SessionKind, error: Exception, raw: str) -> None:
        self.parse_errors.append(f"{error} :: {raw}")
        log.error("unparseable message on %s: %s", kind.value, error)

    # ------------------------------------------------------------------ internals
    def _on_fill(self, order: Order, fill, report) -> None:
        pnl = self.positions.get(order.ticker, order.subaccount).apply(order.side.value == "1", fill.price,
                                                                        fill.qty, fill.fee)
        was_hit = self.risk.loss_limit_hit()
        self.risk.on_realized(pnl, _eastern_day(fill.transact_time))
        if not was_hit and self.risk.loss_limit_hit():
            self._pending_risk_events.append(Event(EventKind.RISK, order, report, "DAILY_LOSS_LIMIT reached: new orders "
                                                   "are blocked until the next trading day"))

    def _deliver(self, events: list[Event]) -> None:
        self.callback_errors += fan_out(events, self.events, self._callbacks, log, "event")


def _limits(cfg: EngineConfig) -> RiskLimits:
    r = cfg.risk
    return RiskLimits(r.max_order_qty, r.max_order_notional, r.max_position_per_market, r.max_position_total,
                      r.max_open_orders, r.price_collar, r.daily_loss_limit)

