"""The worker: Celery app and tasks, the ledger, the posting engine, back-sync and the operator CLI."""
