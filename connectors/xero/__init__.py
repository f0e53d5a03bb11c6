"""Xero: the provider description, the per-tenant client, and Xero's wire quirks."""
