"""QuickBooks Online: the provider description, the per-tenant client, and Intuit's wire quirks."""
