"""``python -m upnext`` runs the command line."""

from upnext.cli import main

main()
