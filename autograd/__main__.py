"""``python -m autograd`` runs the ``chaingrad`` command line."""

import sys

from autograd.cli import main

sys.exit(main())
