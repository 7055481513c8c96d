"""Strategy-facing client engine: typed orders, state machine, pre-trade risk, Write-bucket pacing,
SQLite order journal and crash recovery over a Kalshi FIX session."""

from fixengine.engine.engine import Engine, OrderStateError
from fixengine.engine.events import Event, EventKind
from fixengine.engine.groups import GroupState, OrderGroup, OrderGroupChange
from fixengine.engine.orders import Fill, Order, OrderStatus
from fixengine.engine.positions import Position
from fixengine.engine.risk import RiskLimits

__all__ = ["Engine", "Event", "EventKind", "Fill", "GroupState", "Order", "OrderGroup", "OrderGroupChange", "OrderStateError",
           "OrderStatus", "Position", "RiskLimits"]
