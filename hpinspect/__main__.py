"""``python -m hpinspect`` runs the command line."""

from hpinspect.cli import main

main()
