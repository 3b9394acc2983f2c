"""The worker as a real child process, for the tests that kill or restart it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def start_worker(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m worker` from the repository, configured by `environment`, logging to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "worker"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
