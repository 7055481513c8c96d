"""The simulator's FIX gateway: Kalshi's session rules in front of a QuickFIX acceptor.

See service.Gateway (composition), gate.Gate (public sockets, logon, faults) and
handler.OrderHandler (order entry -> exchange -> reports).
"""

from fixengine.sim.gateway.service import Gateway, GatewayOptions

__all__ = ["Gateway", "GatewayOptions"]
