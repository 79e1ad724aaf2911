"""``python -m compose``: the same as the ``pycompose`` command."""

import sys

from compose.app import main

sys.exit(main())
