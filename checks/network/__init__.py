"""checks network providers."""
