"""fixengine: a FIX trading engine for the Kalshi exchange, with a faithful simulator.

Units used everywhere (see fixengine.pricing):
  price  -> int, units of $0.0001   (YES price on the wire; 10_000 == $1)
  qty    -> int, units of 0.01 contract
  money  -> int, units of $0.000001 (price unit x qty unit, so notional is exact)
"""

__version__ = "0.1.0"
