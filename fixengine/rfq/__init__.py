"""RFQ (request for quote) over FIX, both roles (part2 §5).

* Creator: `engine.rfq` (RfqRequester) on an Engine whose session is KalshiRT.
* Maker: `RfqMaker(cfg, quote_fn, confirm_fn)` on its own KalshiRFQ session.
"""

from fixengine.rfq.maker import RfqMaker, RfqMakerError
from fixengine.rfq.maker_records import (MakerEvent, MakerQuote, MakerQuoteStatus, MakerRfq, QuoteDecision,
                                         validate_decision)
from fixengine.rfq.parse import RfqParseError, parse_rfq_message
from fixengine.rfq.records import Accept, AcceptStatus, Quote, QuoteState, Rfq, RfqStatus, RfqUpdate
from fixengine.rfq.requester import RfqError, RfqRequester

__all__ = ["Accept", "AcceptStatus", "MakerEvent", "MakerQuote", "MakerQuoteStatus", "MakerRfq", "Quote",
           "QuoteDecision", "QuoteState", "Rfq", "RfqError", "RfqMaker", "RfqMakerError", "RfqParseError",
           "RfqRequester", "RfqStatus", "RfqUpdate", "parse_rfq_message", "validate_decision"]
