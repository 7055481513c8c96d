"""REST fallback for Kalshi reference data: a typed, exact, read-only Trade API v2 client,
a SQLite reference-data cache, and the ``markets`` / ``orderbook`` CLI commands."""

from fixengine.rest.cache import ReferenceCache
from fixengine.rest.client import BASE_URLS, KalshiRestClient
from fixengine.rest.errors import (
    RestApiError, RestAuthError, RestBadRequest, RestError, RestNotFound, RestRateLimited,
    RestResponseError, RestServerError, RestTransportError,
)
from fixengine.rest.markets import (
    Event, ExchangeStatus, HistoricalCutoff, Market, Orderbook, PriceRange, Schedule, Series,
)
from fixengine.rest.portfolio import (
    Balance, EventPosition, Fill, MarketPosition, Order, Positions, Settlement,
)
from fixengine.rest.ratelimit import TokenBucket, read_bucket_spec
from fixengine.rest.session import RestSession, RetryPolicy

__all__ = [name for name in dir() if not name.startswith("_")]
