"""The refund case model and the pure translation from cases to accounting entries. No I/O here."""
