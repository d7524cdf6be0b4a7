"""Providers: how each kind of target is reached and its resources collected."""
