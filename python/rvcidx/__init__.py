"""rvcidx: builds the faiss indexes RVC voice models load, through the
installed shared library librvcidx (ctypes; no compiled extension).

    import rvcidx
    result = rvcidx.build(["logs/mymodel"], "out", target_recall=0.95)

The library is found through $RVCIDX_LIBRARY, the dynamic loader's search,
then pkg-config's libdir for rvcidx (rvcidx._lib.load)."""
import ctypes
import json
import os

from . import _lib
from .errors import (BY_EXIT_CODE, BadInput, BadParameter, Error, Interrupted, IOFailure, LibraryNotFound, Locked,
                     NoGPU, TargetNotReached, TooBig, VerifyFailed)

__all__ = ["build", "version", "library_path", "Error", "BadParameter", "BadInput", "IOFailure", "NoGPU",
           "TargetNotReached", "TooBig", "Locked", "VerifyFailed", "Interrupted", "LibraryNotFound"]
__version__ = "0.1.0"


def version():
    """The library's version ("0.1.0")."""
    return _lib.load().rvcidx_version().decode()


def library_path():
    """Where librvcidx was loaded from."""
    return _lib.path()


def _error(lib, status, result=None):
    """The exception for a failed call; call it right after the call, on its
    thread: rvcidx_last_error() is per thread and replaced by the next failure."""
    message = (lib.rvcidx_last_error() or b"").decode(errors="replace")
    code = lib.rvcidx_exit_code(status)
    cls = BY_EXIT_CODE.get(code, Error)
    name = lib.rvcidx_err_name(status).decode()
    return cls(message or lib.rvcidx_strerror(status).decode(), status=status, exit_code=code, name=name,
               result=result)


def _text(key, value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    raise BadParameter(f"{key}: {value!r} is neither a string, a number nor a bool", status=-1, exit_code=2,
                       name="RVCIDX_EINVAL")


def build(sources, outdir, *, progress=None, **params):
    """Builds OUTDIR from sources as `rvcidx build -o OUTDIR SRC...` does.

    sources:  a path or a list of paths (RVC model directories, shard
              folders, folders of model directories, list files);
    progress: optional progress(stage, done, total), called as stages
              advance (total 0 when unknown); an exception it raises stops
              the build and is raised again here;
    params:   the command's options by name, '-' as '_' (nlist=512,
              per_speaker=True, target_recall=0.97, threads=2, for_="w-okada");
              bools become "1"/"0", numbers text; None leaves the default.

    Returns the build's result as a dict (rvcidx_build_result_json: the
    indexes with their paths, chosen settings and recall; times). Raises a
    subclass of rvcidx.Error by exit code (BadParameter, BadInput, ...),
    whose .result holds what a failed build made before failing.
    """
    lib = _lib.require(_lib.BUILD_API)
    if isinstance(sources, (str, bytes, os.PathLike)):
        sources = [sources]
    keep = []  # the library keeps strings by pointer: they live until the build returns

    def c_text(s):
        b = os.fsencode(s)
        keep.append(b)
        return b

    p = lib.rvcidx_build_params_create()
    if not p:
        raise _error(lib, -4)
    try:
        # 'for' applies an app's needs to the parameters set so far: last, as the command does
        items = [(k.rstrip("_"), v) for k, v in params.items() if v is not None]
        items.sort(key=lambda kv: kv[0] == "for")
        for key, value in [("outdir", outdir)] + items:
            rc = lib.rvcidx_build_params_set(p, c_text(key), c_text(_text(key, value)))
            if rc != 0:
                raise _error(lib, rc)
        srcs = (ctypes.c_char_p * max(len(sources), 1))(*[c_text(s) for s in sources])
        lib.rvcidx_build_params_set_sources(p, srcs, len(sources))

        raised = []
        if progress is not None:
            def on_progress(report, _user):
                if raised:
                    return 1
                try:
                    r = report.contents
                    progress((r.stage or b"").decode(errors="replace"), r.done, r.total)
                    return 0
                except BaseException as e:  # KeyboardInterrupt too: stop the build, raise it after
                    raised.append(e)
                    return 1
            callback = _lib.PROGRESS_FN(on_progress)
            lib.rvcidx_build_params_set_progress(p, callback, None)

        result = lib.rvcidx_build_result_create()
        if not result:
            raise MemoryError("rvcidx_build_result_create: out of memory")
        try:
            status = lib.rvcidx_build(p, result)
            failure = _error(lib, status) if status != 0 else None  # at once, on this thread
            try:
                made = _result_dict(lib, result)
            except Error:
                if failure is None:
                    raise
                made = None  # the build's own failure is the one to report
        finally:
            lib.rvcidx_build_result_destroy(result)
        if raised:
            raise raised[0]
        if failure is not None:
            failure.result = made
            raise failure
        return made
    finally:
        lib.rvcidx_build_params_destroy(p)


def _result_dict(lib, result):
    text = ctypes.c_void_p()
    rc = lib.rvcidx_build_result_json(result, ctypes.byref(text))
    if rc != 0:
        raise _error(lib, rc)
    try:
        return json.loads(ctypes.string_at(text.value).decode())
    finally:
        lib.rvcidx_free(text.value)
