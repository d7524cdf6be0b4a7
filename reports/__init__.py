"""Report renderers: each turns one stored scan into one output format."""
