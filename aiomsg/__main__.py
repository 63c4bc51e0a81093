"""``python -m aiomsg``: the ``aiomsg`` command line (see :mod:`aiomsg.cli`)."""

import sys

from aiomsg.cli import main

sys.exit(main())
