"""QuickBooks Online: the provider description, the per-tenant client, and Intuit's wire quirks.

- ``provider``: what QuickBooks is (document types, look-up fields, void or delete, batch size, limits).
- ``client``: ``QuickBooksClient``, one company (realm) as the engine and back-sync use it.
- ``transport``: every HTTP exchange (httpx): limiter slot, bearer token, timeouts, Intuit's answer read.
- ``sdk``: python-quickbooks' ``QuickBooks`` sending through that transport.
- ``batch``, ``changefeed``, ``query``, ``reading``: /batch outcomes, CDC with its query fallback, safe
  query text, and QBO JSON read into the protocol's types.
- ``faults``: Intuit's three error shapes read into one ``ProviderError``.
"""
