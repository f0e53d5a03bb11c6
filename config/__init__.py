"""Typed settings and tenant files: the only place refundsync reads configuration from."""
