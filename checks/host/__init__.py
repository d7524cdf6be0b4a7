"""checks host providers."""
