"""rvcidx: builds the faiss indexes RVC voice models load, through the
installed shared library librvcidx (ctypes; no compiled extension).

    import rvcidx
    result = rvcidx.build(["logs/mymodel"], "out", target_recall=0.95)

The library is found through $RVCIDX_LIBRARY, the dynamic loader's search,
then pkg-config's libdir for rvcidx (rvcidx._lib.load)."""
import contextlib
import ctypes
import json
import os
import signal
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _lib
from .errors import (BY_STATUS, BadInput, BadParameter, Error, FaissError, Interrupted, IOFailure, LibraryNotFound,
                     Locked, NoGPU, NotImplementedYet, OutOfMemory, TargetNotReached, TooBig, VerifyFailed)

__all__ = ["build", "parameters", "version", "library_path", "Error", "BadParameter", "BadInput", "IOFailure", "NoGPU",
           "TargetNotReached", "TooBig", "OutOfMemory", "FaissError", "NotImplementedYet", "Locked", "VerifyFailed",
           "Interrupted", "LibraryNotFound"]
__version__ = "0.1.0"


def version() -> str:
    """The library's version ("0.1.0")."""
    return _lib.load().rvcidx_version().decode()


def library_path() -> str:
    """Where librvcidx was loaded from."""
    return _lib.path()


# Statuses this package raises itself, before calling the library (rvcidx/error.h).
_EINVAL, _EINPUT = -1, -2


def parameters() -> List[Dict[str, Any]]:
    """Every parameter rvcidx.build takes, from the library's own table
    (rvcidx/params.h), in its order: dicts with name, group, type ("flag",
    "int", "number", "size", "choice", "text", "path"), choices (a list of
    words), min and max (numbers; None when they do not apply), default
    (text, "" when derived), help (one line), more (further help), flag (the
    command's option)."""
    lib = _lib.require(_lib.PARAMS_API)
    rows = []
    for i in range(lib.rvcidx_params_count()):
        r = lib.rvcidx_params_info(i).contents
        text = lambda b: (b or b"").decode()  # noqa: E731
        kind = lib.rvcidx_param_type_name(r.type).decode()
        ranged = kind in ("int", "number") and (r.min or r.max)
        rows.append({"name": text(r.name), "group": text(r.group), "type": kind,
                     "choices": [c for c in text(r.choices).split("|") if c],
                     "min": r.min if ranged else None, "max": r.max if ranged else None,
                     "default": text(r.default_value), "help": text(r.help), "more": text(r.more),
                     "flag": text(r.flag)})
    return rows


def _parameters_doc() -> str:
    """The parameters as text for help(rvcidx.build); "" without the library."""
    try:
        rows = parameters()
    except (LibraryNotFound, OSError):
        return ""
    lines = ["", "Parameters (the library's table; the command's option in brackets):", ""]
    for r in rows:
        if r["name"] == "outdir":
            continue
        values = "|".join(r["choices"]) if r["type"] == "choice" else r["type"]
        default = f", default {r['default']}" if r["default"] else ""
        lines.append(f"    {r['name']} ({values}{default}) [{r['flag']}]: {r['help']}")
    return "\n".join(lines) + "\n"


def _error(lib, status, result=None, message=None):
    """The exception for a failed call; call it right after the call, on its
    thread: rvcidx_last_error() is per thread and replaced by the next failure.
    With message: a refusal of this package's own, classed as the library
    classes status."""
    if message is None:
        message = (lib.rvcidx_last_error() or b"").decode(errors="replace")
    code = lib.rvcidx_exit_code(status)
    name = lib.rvcidx_err_name(status).decode()
    cls = BY_STATUS.get(name, Error)
    return cls(message or lib.rvcidx_strerror(status).decode(), status=status, exit_code=code, name=name,
               result=result)


def _text(lib, key, value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    raise _error(lib, _EINVAL, message=f"{key}: {value!r} is neither a string, a number nor a bool")


PathLike = Union[str, bytes, "os.PathLike[str]"]
Progress = Callable[[str, int, int], None]


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


def _frames_from(lib, sources: Any) -> Optional[List[Tuple[str, Any]]]:
    """[(speaker, array)] when sources are arrays (a dict name -> array, or a
    list of arrays named "000", "001", ... in their order), None for paths."""
    if isinstance(sources, Mapping):
        items = [(str(k), v) for k, v in sources.items()]
    elif _is_path(sources):
        return None
    elif hasattr(sources, "__array_interface__"):  # one array: one speaker, as a list of one
        items = [("000", sources)]
    else:
        sources = list(sources)
        if all(_is_path(x) for x in sources):
            return None
        width = max(3, len(str(len(sources) - 1)))
        items = [(f"{i:0{width}d}", x) for i, x in enumerate(sources)]
    try:
        import numpy as np  # only the array path needs numpy
    except ImportError as e:
        raise _error(lib, _EINVAL, message="frames in memory need numpy: pip install numpy") from e
    frames = []
    for name, x in items:
        if _is_path(x):
            raise _error(lib, _EINVAL, message=f"sources: {name!r} is a path among arrays; give paths or arrays, "
                                               "not both")
        a = np.asarray(x)
        if a.ndim != 2:
            raise _error(lib, _EINPUT, message=f"{name} (frames in memory): shape {a.shape} is not (frames, dim)")
        frames.append((name, np.ascontiguousarray(a)))  # no copy when already C-ordered
    return frames


def _set_frames(lib, p, frames, keep):
    """Hands the arrays to the library by pointer; keep holds them until the build returns."""
    table = (_lib.Frames * len(frames))()
    for i, (name, a) in enumerate(frames):
        speaker, descr = os.fsencode(name), a.dtype.str.encode()
        keep.extend([a, speaker, descr])
        table[i] = _lib.Frames(speaker, a.ctypes.data_as(ctypes.c_void_p), a.shape[0], a.shape[1], descr)
    keep.append(table)
    lib.rvcidx_build_params_set_frames(p, table, len(frames))


def build(sources: Union[PathLike, Sequence[PathLike], Sequence[Any], Mapping[str, Any]], outdir: PathLike, *,
          progress: Optional[Progress] = None, **params: Any) -> Dict[str, Any]:
    """Builds OUTDIR from sources as `rvcidx build -o OUTDIR SRC...` does.

    sources:  a path or a list of paths (RVC model directories, shard
              folders, folders of model directories, list files); or frames
              already in memory: numpy arrays of shape (frames, 256 or 768),
              float32 (float16 and float64 are converted as numpy's
              astype(float32) does), one per speaker, either a list (speakers
              "000", "001", ... in that order; one array alone is one
              speaker, "000") or a dict speaker -> array
              (speakers in the byte order of their names, as RVC orders model
              directories). The arrays are read in place, not copied, and
              must not change during the build; the model name in the
              index's file name is `name`, "frames" if not given;
    progress: optional progress(stage, done, total), called as stages
              advance (total 0 when unknown); an exception it raises stops
              the build and is raised again here;
    params:   the command's options by name, '-' as '_' (nlist=512,
              per_speaker=True, target_recall=0.97, threads=2, for_="w-okada");
              bools become "1"/"0", numbers text; None leaves the default.

    Ctrl-C (KeyboardInterrupt) stops the build at its next progress step,
    leaving OUTDIR as it was (nothing half-written), and is raised here.

    Returns the build's result as a dict (rvcidx_build_result_json: the
    indexes with their paths, chosen settings and recall; times). Raises a
    subclass of rvcidx.Error by the library's status (BadParameter,
    BadInput, OutOfMemory, TooBig, ...), whose .result holds what a failed
    build made before failing.

    The parameters (rvcidx.parameters(), from the library's table) follow
    when the library is found.
    """
    lib = _lib.require(_lib.BUILD_API)
    frames = _frames_from(lib, sources)
    if frames is not None:
        _lib.require(_lib.FRAMES_API)
    if frames is None and _is_path(sources):
        sources = [sources]
    keep: List[Any] = []  # the library keeps strings and arrays by pointer: they live until the build returns

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
            rc = lib.rvcidx_build_params_set(p, c_text(key), c_text(_text(lib, key, value)))
            if rc != 0:
                raise _error(lib, rc)
        if frames is not None:
            if not frames:
                raise _error(lib, _EINPUT, message="no frames given")
            _set_frames(lib, p, frames, keep)
        else:
            srcs = (ctypes.c_char_p * max(len(sources), 1))(*[c_text(s) for s in sources])
            lib.rvcidx_build_params_set_sources(p, srcs, len(sources))

        # Always a callback: it is where Python runs during the build. Ctrl-C
        # is caught by a handler that only takes note (a KeyboardInterrupt
        # raised on entry to a ctypes callback would be lost there); the
        # callback then stops the build and KeyboardInterrupt is raised here.
        raised = []

        def on_progress(report, _user):
            if raised:
                return 1
            try:
                if progress is not None:
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
            with _sigint_noted(raised):
                status = lib.rvcidx_build(p, result)
            failure = _error(lib, status) if status != 0 else None  # at once, on this thread
            try:
                made = _result_dict(lib, result)
            except Error:
                if failure is None:
                    raise
                made = None  # the build's own failure is the one to report
        finally:
            lib.rvcidx_build_result_free(result)
        if raised:
            raise raised[0]
        if failure is not None:
            failure.result = made
            raise failure
        return made
    finally:
        lib.rvcidx_build_params_free(p)


build.__doc__ = (build.__doc__ or "") + _parameters_doc()


@contextlib.contextmanager
def _sigint_noted(raised: List[BaseException]):
    """While the build runs: SIGINT appends a KeyboardInterrupt to raised
    (the progress callback then stops the build) instead of raising it at a
    point where ctypes would swallow it. Main thread only, as signal allows."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # the program handles Ctrl-C itself: leave it
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: raised.append(KeyboardInterrupt()))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _result_dict(lib, result) -> Dict[str, Any]:
    text = ctypes.c_void_p()
    rc = lib.rvcidx_build_result_json(result, ctypes.byref(text))
    if rc != 0:
        raise _error(lib, rc)
    try:
        return json.loads(ctypes.string_at(text.value).decode())
    finally:
        lib.rvcidx_free(text.value)
