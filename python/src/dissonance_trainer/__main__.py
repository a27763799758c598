"""``python -m dissonance_trainer``: the worker command (see :mod:`dissonance_trainer.cli`)."""

import sys

from .cli import main

sys.exit(main())
