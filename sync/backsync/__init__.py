"""Back-sync and reconciliation: read posted entries back from the books and say whether they still match.

- :mod:`sync.backsync.compare`: pure; what was meant vs what the books hold -> a state and the differences.
- :mod:`sync.backsync.expected`: pure; a posting and its case revision -> what the books should hold.
- :mod:`sync.backsync.run`: the change-feed pager, cursor and ledger writes (``backsync``), and the full
  check of a date range (``reconcile``).
- :mod:`sync.backsync.report`: the finance sign-off report built from the ledger.
- :mod:`sync.backsync.schedule`: which tenants are due for a scheduled back-sync.

Back-sync never changes the books: it records what it found, and the operator decides.
"""
