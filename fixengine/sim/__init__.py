"""The Kalshi exchange simulator: exchange core (exchange/), FIX gateway (gateway/), REST face (rest/)."""
