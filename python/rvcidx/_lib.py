"""Finding and loading librvcidx, and the prototypes of the functions used.

Only calls that need no knowledge of struct layouts are used (the
"for bindings" part of rvcidx/build.h), except rvcidx_progress and
rvcidx_frames, whose layouts are part of the public API (rvcidx/progress.h,
rvcidx/ingest.h)."""
import ctypes
import ctypes.util
import glob
import os
import subprocess
import threading

from .errors import LibraryNotFound

HOW_TO_POINT = ("set RVCIDX_LIBRARY to the path of librvcidx.so (e.g. PREFIX/lib/librvcidx.so after "
                "'cmake --install build --prefix PREFIX'), or put PREFIX/lib on LD_LIBRARY_PATH, "
                "or PREFIX/lib/pkgconfig on PKG_CONFIG_PATH")

class Progress(ctypes.Structure):
    _fields_ = [("stage", ctypes.c_char_p), ("unit", ctypes.c_char_p), ("done", ctypes.c_uint64),
                ("total", ctypes.c_uint64), ("bytes", ctypes.c_uint64), ("finished", ctypes.c_int)]


class Frames(ctypes.Structure):  # rvcidx_frames (rvcidx/ingest.h)
    _fields_ = [("speaker", ctypes.c_char_p), ("data", ctypes.c_void_p), ("rows", ctypes.c_uint64),
                ("cols", ctypes.c_uint64), ("descr", ctypes.c_char_p)]


class ParamInfo(ctypes.Structure):  # rvcidx_param_info (rvcidx/params.h)
    _fields_ = [("name", ctypes.c_char_p), ("group", ctypes.c_char_p), ("type", ctypes.c_int),
                ("choices", ctypes.c_char_p), ("min", ctypes.c_double), ("max", ctypes.c_double),
                ("default_value", ctypes.c_char_p), ("metavar", ctypes.c_char_p), ("flag", ctypes.c_char_p),
                ("help", ctypes.c_char_p), ("more", ctypes.c_char_p)]


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Progress), ctypes.c_void_p)

_PROTOTYPES = {  # name: (restype, argtypes)
    "rvcidx_version": (ctypes.c_char_p, []),
    "rvcidx_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "rvcidx_err_name": (ctypes.c_char_p, [ctypes.c_int]),
    "rvcidx_last_error": (ctypes.c_char_p, []),
    "rvcidx_exit_code": (ctypes.c_int, [ctypes.c_int]),
    "rvcidx_build_params_create": (ctypes.c_void_p, []),
    "rvcidx_build_params_free": (None, [ctypes.c_void_p]),
    "rvcidx_build_params_set": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "rvcidx_build_params_set_sources": (None, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]),
    "rvcidx_build_params_set_progress": (None, [ctypes.c_void_p, PROGRESS_FN, ctypes.c_void_p]),
    "rvcidx_build_params_set_frames": (None, [ctypes.c_void_p, ctypes.POINTER(Frames), ctypes.c_size_t]),
    "rvcidx_build": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
    "rvcidx_build_result_json": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "rvcidx_build_result_create": (ctypes.c_void_p, []),
    "rvcidx_build_result_free": (None, [ctypes.c_void_p]),
    "rvcidx_free": (None, [ctypes.c_void_p]),
    "rvcidx_params_count": (ctypes.c_size_t, []),
    "rvcidx_params_info": (ctypes.POINTER(ParamInfo), [ctypes.c_size_t]),
    "rvcidx_param_type_name": (ctypes.c_char_p, [ctypes.c_int]),
}

_lock = threading.Lock()
_lib = None
_path = None


# The wheel (scripts/build-wheel.sh) carries the library and the command in
# the package itself: _native/lib and _native/bin.
NATIVE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_native")


def _bundled():
    """The library the wheel carries, or None for a source install."""
    names = sorted(glob.glob(os.path.join(NATIVE, "lib", "librvcidx.so*")))
    return names[0] if names else None


def _candidates():
    """Where to look, in order, with what each place was (for the error)."""
    env = os.environ.get("RVCIDX_LIBRARY")
    if env:
        # an explicit choice: nothing else is tried when it fails
        yield "RVCIDX_LIBRARY", os.path.join(env, "librvcidx.so") if os.path.isdir(env) else env
        return
    bundled = _bundled()
    if bundled:
        # the wheel's own copy matches this package's prototypes: nothing else is tried
        yield "the wheel's bundled copy", bundled
        return
    found = ctypes.util.find_library("rvcidx")
    if found:
        yield "the dynamic loader's search", found
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "rvcidx"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        libdir = ""
    if libdir:
        names = [os.path.join(libdir, "librvcidx.so")] + sorted(glob.glob(os.path.join(libdir, "librvcidx.so.*")))
        for name in names:
            if os.path.exists(name):
                yield "pkg-config's libdir", name
                break


def load():
    """The loaded library (once per process); LibraryNotFound says how to point at it."""
    global _lib, _path
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for how, path in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path} ({how}): {e}")
                continue
            if not hasattr(lib, "rvcidx_version"):
                tried.append(f"{path} ({how}): not librvcidx (no rvcidx_version)")
                continue
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(lib, name, None)  # a missing one: require() says so when it is needed
                if fn is not None:
                    fn.restype, fn.argtypes = restype, argtypes
            _lib, _path = lib, path
            return lib
        detail = "; tried " + "; ".join(tried) if tried else " (not named by RVCIDX_LIBRARY, not in the loader's search, no rvcidx.pc found by pkg-config)"
        raise LibraryNotFound(f"librvcidx not found{detail}; {HOW_TO_POINT}")


BUILD_API = ["rvcidx_exit_code", "rvcidx_build_params_create", "rvcidx_build_params_free",
             "rvcidx_build_params_set", "rvcidx_build_params_set_sources", "rvcidx_build_params_set_progress",
             "rvcidx_build", "rvcidx_build_result_json", "rvcidx_build_result_create",
             "rvcidx_build_result_free", "rvcidx_free"]


FRAMES_API = ["rvcidx_build_params_set_frames"]  # the array path's one more call
PARAMS_API = ["rvcidx_params_count", "rvcidx_params_info", "rvcidx_param_type_name"]  # rvcidx.parameters()


def require(names):
    """The library, when it has every function in names; else LibraryNotFound naming what lacks."""
    lib = load()
    missing = [name for name in names if not hasattr(lib, name)]
    if missing:
        raise LibraryNotFound(f"librvcidx at {_path} (version {lib.rvcidx_version().decode(errors='replace')}) "
                              f"lacks {', '.join(missing)}: this package needs a library with rvcidx_build and "
                              f"its setters for bindings (rvcidx/build.h); {HOW_TO_POINT}")
    return lib


def path():
    """The path or name the library was loaded from."""
    load()
    return _path
