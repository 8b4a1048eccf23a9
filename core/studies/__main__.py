"""``python -m core.studies run|worker|stop|list|estimate ...``: the same as ``python -m core study``.

Workers are launched through this entry point, so they depend only on this package.
"""

import sys

from core.cli import main

sys.exit(main(["study", *sys.argv[1:]]))
