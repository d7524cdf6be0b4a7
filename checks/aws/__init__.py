"""checks aws providers."""
