"""The demo command as the tests run it."""

import sys


def demo_command(folder, *options):
    return [sys.executable, "-m", "lingtan", "demo", "--output-dir", str(folder), *options]
