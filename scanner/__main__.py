"""``python -m scanner`` runs the govscan CLI."""

from scanner.cli import main

main()
