import sys

from drainverify.cli import main

sys.exit(main())
