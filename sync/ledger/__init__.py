"""The ledger: the one durable truth about every case, posting and provider call (SQLAlchemy 2 + Alembic)."""
