"""``python -m gatehouse``: the ``gatehouse`` command, where no script is on the PATH."""

import sys

from gatehouse.cli import main

sys.exit(main())
