"""``python -m pipeprobe.cli``: the ``pipeprobe`` command."""

import sys

from pipeprobe.cli.main import main

sys.exit(main())
