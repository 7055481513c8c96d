"""Strategy-facing client engine: typed orders, state machine, pre-trade risk, Write-bucket pacing,
SQLite order journal and crash recovery over a Kalshi FIX session."""

from fixengine.engine.engine import Engine, OrderStateError
from fixengine.engine.events import Event, EventKind
from fixengine.engine.orders import Fill, Order, OrderStatus
from fixengine.engine.positions import Position
from fixengine.engine.risk import RiskLimits

__all__ = ["Engine", "Event", "EventKind", "Fill", "Order", "OrderStateError", "OrderStatus", "Position", "RiskLimits"]
