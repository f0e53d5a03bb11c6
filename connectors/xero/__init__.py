"""Xero: the provider description, the per-tenant client, and Xero's wire quirks.

- ``provider``: what Xero is for every tenant (document types, endpoints, batch size 50, lookup fields).
- ``client``: ``XeroClient``, the :class:`connectors.protocol.TenantClient` of one organisation.
- ``session``: how every call is made (token keeper, fleet limiter, limit feedback, one 401 refresh).
- ``sdk``: xero-python with its own Configuration and ApiClient, never refreshing tokens itself.
- ``transport``: httpx under the SDK (no silent re-sends, real timeouts, exact Decimal bodies).
- ``batches``: documents -> requests of up to 50 (``summarizeErrors=false``) -> one outcome each.
- ``documents``: Xero JSON -> RemoteDocument / RemoteParty / Outstanding.
- ``faults``: Xero's error bodies -> ProviderError (classified by :mod:`connectors.errors`).
- ``wire``: exact JSON, ``/Date(...)/`` stamps, ``where`` literals, If-Modified-Since.
"""
