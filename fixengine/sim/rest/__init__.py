"""The simulator's REST face: Kalshi Trade API v2 reads served from the exchange's state.

Wiring (the simulator process):

    rest = start_rest_server(simulator.exchange, simulator.config,
                             host=simulator.config.listen_host, port=0)
    rest.url          # "http://127.0.0.1:<port>/trade-api/v2" -> EngineConfig.with_endpoints(rest_base_url=...)
    rest.inject_failures(429, 3)   # next 3 requests answer 429 (also POST /_sim/faults)
    rest.stop()
"""

from fixengine.sim.rest.app import RestAccount, RestFace
from fixengine.sim.rest.protocol import (
    BalanceInfo, BookDepth, EventInfo, ExchangeView, MarketInfo, MemoryExchangeView,
    PositionInfo, SeriesInfo, SettlementInfo,
)
from fixengine.sim.rest.server import RestServerHandle, serve_face, start_rest_server

__all__ = [name for name in dir() if not name.startswith("_")]
