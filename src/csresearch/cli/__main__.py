"""``python -m csresearch.cli``: the ``csresearch`` command."""

from . import main

main()
