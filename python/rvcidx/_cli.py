"""The `rvcidx` command of the wheel: runs the binary the wheel carries
(rvcidx/_native/bin/rvcidx) with the same arguments, exit code and signals.

A source install (pip install ./python over `cmake --install`) has no
bundled binary and installs no such command: the rvcidx that
`cmake --install` put on PATH is the command there."""
import os
import sys

from ._lib import NATIVE


def binary_path() -> str:
    """Where the bundled command is (it may not exist in a source install)."""
    return os.path.join(NATIVE, "bin", "rvcidx")


def main() -> int:
    path = binary_path()
    if not os.access(path, os.X_OK):
        sys.stderr.write(f"rvcidx: this Python package carries no rvcidx command ({path} is missing); "
                         "install the wheel (scripts/build-wheel.sh), or use the rvcidx that "
                         "'cmake --install' put on PATH\n")
        return 127
    # exec: the command's exit code, signals and terminal are the process's own
    os.execv(path, ["rvcidx"] + sys.argv[1:])
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main())
