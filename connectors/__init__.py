"""Talking to accounting systems: one sub-package per provider, the shared protocol, auth, limits, errors,
and ``sandbox/`` (local emulators of both APIs for tests, benchmarks and the demo)."""
