"""The posting engine: claims pending postings per tenant, maps them, posts them in batches through the
tenant's connector, and decides every posting's next state from the answer."""
