"""govscan: one policy language and one engine for AWS accounts, Linux hosts and networks."""

__version__ = "0.1.0"
