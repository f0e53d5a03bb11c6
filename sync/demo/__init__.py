"""`refundsync demo`: the whole pipeline on one machine with nothing but Python.

An embedded Redis, an SQLite ledger under ``./var/demo/``, the local sandbox with the two demo companies,
a real worker and a real beat process, the sample case log of ``examples/``, and a table of every sample
case in the state it ended in. Each part lives in its own module: ``redis_server`` (finding and starting a
``redis-server`` binary), ``children`` (child processes that are always cleaned up), ``sample`` (the
sample cases, their expected states and the states the ledger says they reached), ``run`` (the order of
things).
"""
