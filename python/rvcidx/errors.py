"""Exceptions raised by rvcidx: one class per status of the library
(RVCIDX_E*, rvcidx/error.h), all subclasses of rvcidx.Error. Each carries
the exit code the `rvcidx` command uses for it (docs/exit-codes.md); two
statuses may share an exit code (out of memory and too big: 8) and still
raise different classes."""


class Error(Exception):
    """A failed rvcidx call.

    exit_code: the exit code `rvcidx` would use (rvcidx_exit_code);
    status:    the library's negative RVCIDX_E* status;
    name:      its symbolic name ("RVCIDX_EINPUT");
    message:   rvcidx_last_error(), read right after the failing call;
    result:    for a failed build, what it made before failing (the dict
               rvcidx.build returns), else None.
    """

    exit_code = 1

    def __init__(self, message, *, status=0, exit_code=None, name="", result=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.name = name
        self.result = result
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self):
        what = f"{self.name}, " if self.name else ""
        return f"{self.message} ({what}exit {self.exit_code})"


class BadParameter(Error, ValueError):
    """A parameter that is unknown or out of range (exit 2); the message names it."""
    exit_code = 2


class BadInput(Error):
    """Input data that cannot be used: a missing source, a bad shard (exit 3)."""
    exit_code = 3


class IOFailure(Error):
    """Reading or writing a file failed (RVCIDX_EIO, RVCIDX_EHDF5; exit 4)."""
    exit_code = 4


class NotImplementedYet(Error, NotImplementedError):
    """What was asked for is not implemented yet (exit 5)."""
    exit_code = 5


class OutOfMemory(Error, MemoryError):
    """An allocation failed while the build ran (RVCIDX_ENOMEM, exit 8)."""
    exit_code = 8


class FaissError(Error):
    """faiss refused or failed a call (RVCIDX_EFAISS, exit 1)."""
    exit_code = 1


class NoGPU(Error):
    """gpu="on" without a usable GPU (exit 6)."""
    exit_code = 6


class TargetNotReached(Error):
    """No search setting reached the recall target (exit 7)."""
    exit_code = 7


class TooBig(Error):
    """The build does not fit this machine's memory or disk, said before any
    work (RVCIDX_ETOOBIG, exit 8)."""
    exit_code = 8


class Locked(Error):
    """Another process is writing the same OUTDIR (exit 9)."""
    exit_code = 9


class VerifyFailed(Error):
    """Outputs do not match their manifest (exit 10)."""
    exit_code = 10


class Interrupted(Error):
    """The build was asked to stop (exit 130)."""
    exit_code = 130


class LibraryNotFound(OSError):
    """librvcidx could not be found or loaded, or is too old for this package."""


# The library's status names (rvcidx_err_name) -> the class raised.
BY_STATUS = {
    "RVCIDX_EINVAL": BadParameter,
    "RVCIDX_EINPUT": BadInput,
    "RVCIDX_EIO": IOFailure,
    "RVCIDX_EHDF5": IOFailure,
    "RVCIDX_ENOMEM": OutOfMemory,
    "RVCIDX_EFAISS": FaissError,
    "RVCIDX_ENOGPU": NoGPU,
    "RVCIDX_ENOTIMPL": NotImplementedYet,
    "RVCIDX_EINTR": Interrupted,
    "RVCIDX_ELOCKED": Locked,
    "RVCIDX_ETARGET": TargetNotReached,
    "RVCIDX_ETOOBIG": TooBig,
    "RVCIDX_EVERIFY": VerifyFailed,
}
