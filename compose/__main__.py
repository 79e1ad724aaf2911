"""``python -m compose``: the same as the ``pycompose`` command."""

import sys

from compose.cli.main import main

sys.exit(main())
