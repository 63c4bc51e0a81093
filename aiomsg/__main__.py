"""``python -m aiomsg``: the ``aiomsg`` command line (see :mod:`aiomsg._cli`)."""

import sys

from aiomsg._cli import main

sys.exit(main())
