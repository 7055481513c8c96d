"""Adapters from the simulator's config and ``Exchange`` to the REST face's inputs."""

from __future__ import annotations

from typing import Any

from fixengine.auth import load_public_key
from fixengine.sim.rest.app import RestAccount
from fixengine.sim.rest.protocol import ExchangeView


def accounts_from_config(sim_config: Any) -> list[RestAccount]:
    """Every API key with the ``read`` scope, with its user's tier and subaccount restriction."""
    accounts = []
    for user in sim_config.users:
        tier = getattr(user.tier, "value", user.tier)
        for key in user.keys:
            if "read" not in key.scopes:
                continue
            public_key = load_public_key(key.public_key_pem())
            accounts.append(RestAccount(key.key_id, user.user_id, public_key, str(tier),
                                        key.subaccount))
    return accounts


def as_view(exchange: Any) -> ExchangeView:
    """The simulator's Exchange wrapped in its adapter; anything else must already be a view."""
    from fixengine.sim.exchange import Exchange
    if isinstance(exchange, Exchange):
        from fixengine.sim.rest.exchange_view import ExchangeAdapter
        return ExchangeAdapter(exchange)
    return exchange
