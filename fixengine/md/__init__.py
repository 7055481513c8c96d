"""KalshiMD market data: the session, the client state feeding the numba depth book, the CLI.

    client = MarketDataClient(on_top=..., on_trade=...)
    md = MarketDataSession(cfg, client); md.start(); md.wait_logon()
    client.subscribe(["TICKER"]); client.depth.top("TICKER"); client.markets["TICKER"].volume
"""

from fixengine.md.client import MarketDataClient, MarketStats, Reject, Trade, market_data_request
from fixengine.md.wire import MarketDataParseError, parse_incremental, parse_snapshot

__all__ = [
    "MarketDataClient", "MarketDataParseError", "MarketStats", "Reject", "Trade", "market_data_request",
    "parse_incremental", "parse_snapshot",
]
