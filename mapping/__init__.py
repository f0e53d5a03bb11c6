"""The refund case model and the pure translation from cases to accounting entries. No I/O here.

* ``case``, ``currency``, ``money``, ``validation``: the case as the case log publishes it;
* ``plan``: ``plan_case(case, tenant) -> CasePlan`` (the entry point) and ``PlannedDocument``;
* ``compose`` (rules and checks) -> ``entries`` (provider-neutral) -> ``quickbooks`` / ``xero`` (wire JSON);
* ``split`` (largest remainder, tax), ``tags`` (DocNumber/Reference scheme, memos), ``parties``
  (name normalisation, ``match_party``), ``placeholders`` (``bind``), ``hashing`` (payload hash,
  idempotency key), ``wire`` (Decimal-exact JSON text), ``limits`` (provider limits), ``errors``.
"""
