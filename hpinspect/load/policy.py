"""Which globals are dangerous, which are inert data constructors, which are known classes.

The severity of a global depends on its name and on how a real load would use it: merely
referenced (imported), instantiated without its constructor (NEWOBJ with no arguments,
``copyreg._reconstructor``), or called (REDUCE, INST, OBJ, NEWOBJ with arguments).
:func:`method_severity` then judges the methods a real load runs on the instances it builds
(``__setstate__``, ``extend``, ``__setitem__``, ``__new__`` ...) by the implementation the
knowledge base records for the class (:func:`effective_calls`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Literal

from hpinspect.load import allowlist
from hpinspect.report import Severity

if TYPE_CHECKING:
    from hpinspect.kb import MethodTable

Use = Literal["referenced", "instantiated", "called"]

# Modules where every name is a code-execution, process, file or network primitive.
DANGEROUS_MODULES: frozenset[str] = frozenset({
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "importlib", "imp",
    "runpy", "marshal", "types", "pydoc", "pkgutil", "timeit", "cProfile", "profile",
    "pdb", "bdb", "trace", "code", "codeop", "ctypes", "_ctypes", "socket", "_socket",
    "http", "urllib", "urllib2", "httplib", "requests", "ftplib", "smtplib", "telnetlib",
    "poplib", "imaplib", "nntplib", "ssl", "shutil", "tempfile", "webbrowser",
    "multiprocessing", "_posixsubprocess", "asyncio", "pty", "signal", "threading", "_thread",
    "concurrent", "zipimport", "ensurepip", "venv", "site", "distutils", "setuptools", "pip",
    "io", "_io", "fileinput", "pathlib", "glob", "zipfile", "tarfile", "sqlite3", "mmap",
    "gc", "inspect", "dill", "dbm", "shelve", "logging", "sklearn.utils._testing",
    "sklearn.datasets", "sklearn.utils._mocking", "cloudpickle", "numpy.f2py", "numpy.testing",
    "numpy.distutils", "numpy.lib._datasource", "numpy.lib.npyio", "numpy.lib._npyio_impl",
    "numpy.lib.format",
    "numpy.ctypeslib", "torch.jit", "torch.hub", "torch.package", "torch.serialization",
    "idlelib", "lib2to3", "commands", "platform", "pickle", "_pickle", "cPickle", "copyreg",
    "copy_reg",
})

# Dangerous names inside otherwise harmless modules.
DANGEROUS_NAMES: frozenset[str] = frozenset({
    *(f"{mod}.{name}" for mod in ("builtins", "__builtin__") for name in (
        "eval", "exec", "execfile", "compile", "open", "getattr", "setattr", "delattr",
        "__import__", "breakpoint", "input", "globals", "locals", "vars", "type", "apply",
        "reload", "file", "exit", "quit", "help", "memoryview", "super", "classmethod",
        "staticmethod", "property", "__build_class__", "print", "dir",
    )),
    "operator.attrgetter", "operator.methodcaller", "operator.itemgetter", "operator.call",
    "_operator.attrgetter", "_operator.methodcaller", "_operator.itemgetter", "_operator.call",
    "functools.partial", "functools.reduce", "functools.partialmethod", "_functools.partial",
    "_functools.reduce", "joblib.load", "joblib.numpy_pickle.load", "joblib.dump",
    "numpy.load", "numpy.save", "numpy.savez", "numpy.loadtxt", "numpy.savetxt",
    "numpy.fromfile", "numpy.memmap", "numpy.DataSource", "numpy.lib.npyio.DataSource",
    "numpy.lib._npyio_impl.DataSource", "numpy.genfromtxt", "numpy.lib.npyio.load",
    "numpy.lib._npyio_impl.load", "numpy.lib.format.open_memmap", "numpy.core.memmap.memmap",
    "numpy._core.memmap.memmap", "torch.load", "torch.save", "codecs.open",
    "_codecs.lookup", "codecs.lookup", "sklearn.utils._testing.TempMemmap",
})

# joblib < 0.10 array placeholders: joblib.load replaces each by the array np.load reads from
# the sidecar file its state names. hpinspect reads that state as data and the sidecar only
# under load/joblib_arrays.py's rules (bare name <pickle>_NN.npy[.z] in the same folder);
# any other name is a finding of its own there.
LEGACY_JOBLIB_WRAPPERS: frozenset[str] = frozenset(
    f"{module}.{name}" for module in (
        "joblib.numpy_pickle", "joblib.numpy_pickle_compat",
        "sklearn.externals.joblib.numpy_pickle",
        "sklearn.externals.joblib.numpy_pickle_compat")
    for name in ("NDArrayWrapper", "ZNDArrayWrapper"))

# Allowed only with the exact use the unpickler evaluates (hpinspect.load.unpickler).
INERT_CONSTRUCTORS: frozenset[str] = frozenset({
    "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.bytes",
    "builtins.slice", "builtins.complex", "builtins.list", "builtins.tuple", "builtins.dict",
    "builtins.int", "builtins.float", "builtins.bool", "builtins.str", "builtins.range",
    "builtins.object", "collections.OrderedDict", "copyreg._reconstructor", "_codecs.encode",
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", "numpy.dtype",
    "numpy.ndarray", "joblib.numpy_pickle.NumpyArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper", *LEGACY_JOBLIB_WRAPPERS,
})


# Classes/functions a real load may construct or call that only build inert state.
KNOWN_CALLABLES: frozenset[str] = frozenset({
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__generator_ctor",
    "numpy.random._pickle.__bit_generator_ctor", "numpy.random.__RandomState_ctor",
    "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
    "numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64",
    "numpy.random._pcg64.PCG64DXSM", "numpy.random._philox.Philox",
    "numpy.random._sfc64.SFC64", "numpy.random.bit_generator.SeedSequence",
    "numpy.random._bit_generator.SeedSequence",
    "datetime.datetime", "datetime.date", "datetime.time",
    "datetime.timedelta", "datetime.timezone", "decimal.Decimal", "fractions.Fraction",
    "uuid.UUID", "collections.Counter", "numpy.ma.core._mareconstruct",
    "numpy.ma.core.MaskedArray", "numpy.ma.MaskedArray", "numpy.matrix",
    "numpy.matrixlib.defmatrix.matrix",
    "scipy.interpolate._bsplines.BSpline",
})

# scikit-learn callables its own pickles call (REDUCE) to rebuild Cython objects.
SKLEARN_REDUCE_SUFFIXES: tuple[str, ...] = (
    "._tree.Tree", ".KDTree", ".BallTree", ".newObj", "._quad_tree._QuadTree",
)
SKLEARN_REDUCE_MODULES: tuple[str, ...] = (
    "sklearn._loss._loss.", "sklearn.linear_model._sgd_fast.", "sklearn.metrics._dist_metrics.",
    "sklearn.neighbors._kd_tree.", "sklearn.neighbors._ball_tree.",
    "sklearn.neighbors._binary_tree.",
)


def _sklearn_call_ok(dotted: str) -> bool:
    name = dotted.rsplit(".", 1)[-1]
    return (name.startswith("__pyx_unpickle_") or dotted.endswith(SKLEARN_REDUCE_SUFFIXES)
            or dotted.startswith(SKLEARN_REDUCE_MODULES))

_SPARSE = re.compile(
    r"^scipy\.sparse\.(?:_?\w+\.)*(?:csr|csc|coo|bsr|dia|dok|lil)_(?:matrix|array)$")
# Libraries that hold no custom estimators: an unlisted class of theirs is never "a custom
# estimator to review" but an unknown callable (e.g. numpy DataSource.__del__ runs rmtree).
LIBRARY_ROOTS: frozenset[str] = frozenset({
    "numpy", "scipy", "joblib", "pandas", "matplotlib", "torch", "threadpoolctl", "requests",
    "urllib3", "yaml", "setuptools", "pkg_resources", "IPython", "jinja2", "dill",
})
_HARMLESS_REFERENCE_ROOTS = ("numpy.", "builtins.", "math.", "sklearn.", "scipy.")


# numpy file I/O, under whatever module path a numpy version exposes it.
NUMPY_IO_NAMES: frozenset[str] = frozenset({
    "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt", "fromfile",
    "tofile", "memmap", "open_memmap", "fromregex", "DataSource", "write_array", "read_array",
    "recfromtxt", "recfromcsv", "runstring",
})


def is_dangerous(dotted: str) -> bool:
    """Whether ``dotted`` names a known code-execution or I/O primitive."""
    if dotted in DANGEROUS_NAMES:
        return True
    if dotted.startswith("numpy.") and dotted.rsplit(".", 1)[-1] in NUMPY_IO_NAMES:
        return True
    if dotted in INERT_CONSTRUCTORS:
        return False
    module = dotted.rsplit(".", 1)[0]
    parts = module.split(".")
    return any(".".join(parts[:i]) in DANGEROUS_MODULES for i in range(1, len(parts) + 1))


@cache
def _known_sklearn() -> tuple[frozenset[str], frozenset[str]]:
    from hpinspect.kb import knowledge_base

    kb = knowledge_base()
    return kb.known_classes, kb.known_functions


def _dangerous_traversal(name: str) -> bool:
    """A dotted *name* (protocol 4 resolves it attribute by attribute from the module)."""
    parts = name.split(".")
    if any(is_dangerous(".".join(parts[i:])) for i in range(len(parts) - 1)):
        return True
    # Legitimate dotted names are nested classes (Outer.Inner); walking through a lowercase
    # attribute reaches whatever that module imported (e.g. some_module.os.system).
    return any(not part[:1].isupper() for part in parts[:-1])


def severity_of(dotted: str, uses: set[Use], traversal: str | None = None,
                result_called: bool = False, unvetted: bool = False) -> tuple[Severity, str]:
    """Severity and one-line detail for a global given every way the stream used it.

    Three passes, most severe first: dangerous names and call chains, then the known names,
    then what a load of an unknown name would do.
    """
    dotted = allowlist.canonical(dotted)  # old scikit-learn module paths (load/allowlist.py)
    called = "called" in uses
    instantiated = "instantiated" in uses
    return (_dangerous(dotted, called, instantiated, traversal, result_called, unvetted)
            or _known(dotted, called, instantiated)
            or _unknown(dotted, called, instantiated))


def _dangerous(dotted: str, called: bool, instantiated: bool, traversal: str | None,
               result_called: bool, unvetted: bool) -> tuple[Severity, str] | None:
    if traversal is not None and _dangerous_traversal(traversal):
        return Severity.DANGEROUS, (f"dotted name {traversal!r} walks module attributes to "
                                    "reach another module's object")
    if is_dangerous(dotted):
        verb = "called" if called else "instantiated" if instantiated else "referenced"
        return Severity.DANGEROUS, f"code-execution, process, file or network primitive ({verb})"
    if result_called:
        return Severity.UNKNOWN_CALL, (f"a real load calls the object {dotted}(...) returns: "
                                       "a call chain, never inert")
    if unvetted:
        return Severity.UNKNOWN_CALL, (f"{dotted} is called in a way no scikit-learn or joblib "
                                       "file uses; hpinspect does not vouch for it")
    return None


def _known(dotted: str, called: bool, instantiated: bool) -> tuple[Severity, str] | None:
    # The reviewed allowlist (load/allowlist.py); its argument rules set ``unvetted``.
    entry = allowlist.allowed(dotted)
    if entry is not None:
        return Severity.KNOWN, entry.reason
    if dotted in INERT_CONSTRUCTORS:
        return Severity.KNOWN, "inert data constructor, evaluated by hpinspect's restricted reader"
    classes, functions = _known_sklearn()
    rebuilt = _sklearn_call_ok(dotted)
    checks: tuple[tuple[bool, str], ...] = (
        (dotted in classes and not called, "scikit-learn class in the knowledge base"),
        ((dotted in classes or dotted in functions) and rebuilt,
         "scikit-learn Cython type rebuilt by its own pickle"),
        (dotted.startswith(("sklearn.", "numpy.random.")) and rebuilt,
         "Cython type rebuilt by its own pickle (scikit-learn or numpy.random)"),
        (dotted in KNOWN_CALLABLES or bool(_SPARSE.match(dotted)),
         "known data class (numpy random state, scipy sparse, stdlib value)"),
        (dotted.startswith("sklearn.") and not called,
         "scikit-learn name not in the installed knowledge base (other version)"),
        (dotted in functions and not called, "scikit-learn function, referenced as a value"),
        (not called and not instantiated and dotted.startswith(_HARMLESS_REFERENCE_ROOTS),
         "referenced as a value, never called"),
    )
    for applies, detail in checks:
        if applies:
            return Severity.KNOWN, detail
    return None


def _unknown(dotted: str, called: bool, instantiated: bool) -> tuple[Severity, str]:
    module = dotted.rsplit(".", 1)[0]
    root = module.split(".")[0]
    if (root in sys.stdlib_module_names or root in LIBRARY_ROOTS) and (called or instantiated):
        return Severity.UNKNOWN_CALL, (f"{dotted} is not a known model component; a load "
                                       "would run its constructor, __setstate__ or __del__")
    if called:
        return Severity.UNKNOWN_CALL, (f"a real load would call {dotted}, which is not known "
                                       "to be inert")
    if instantiated:
        return Severity.UNKNOWN_CLASS, f"a real load imports {module} and instantiates this class"
    return Severity.UNKNOWN_CLASS, f"a real load imports {module} to resolve this name"


def _build_calls(has: Mapping[str, str]) -> tuple[str, ...]:
    """BUILD: ``__setstate__``, or without one ``__dict__`` update and ``setattr`` of slot
    state (a failed ``__setstate__`` lookup first asks ``__getattr__``)."""
    if "__setstate__" in has:
        return ("__getattribute__", "__setstate__")
    return ("__getattribute__", "__getattr__", "__setattr__")


def _lookup_calls(*names: str) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    """APPEND(S)/ADDITEMS look the method up (C: ``extend`` first, then ``append``); a name
    the class lacks goes to ``__getattr__``, whose answer is then called."""
    def calls(has: Mapping[str, str]) -> tuple[str, ...]:
        missing = ("__getattr__",) if any(n not in has for n in names) else ()
        return ("__getattribute__", *names, *missing)
    return calls


# Per operation a stand-in records: the methods of the real class a real load would run.
CALLS_FOR: Mapping[str, Callable[[Mapping[str, str]], tuple[str, ...]]] = {
    "__setstate__": _build_calls,
    "append": _lookup_calls("extend", "append"),
    "extend": _lookup_calls("extend", "append"),
    "add": _lookup_calls("add"),
    "__setitem__": lambda has: ("__setitem__",),
    "__new__": lambda has: ("__new__",),
}


@cache
def _method_table() -> MethodTable:
    from hpinspect.kb import method_table

    return method_table()


def effective_calls(dotted: str, ops: set[str]) -> list[str] | None:
    """The implementations (``owner.method``) a real load runs on a ``dotted`` instance for
    the recorded ``ops``, plus its ``__del__``; None when the knowledge base lacks the class."""
    has: dict[str, str] | None = _method_table().effective(dotted)
    if has is None:
        return None
    wanted = {m for op in ops for m in (CALLS_FOR[op](has) if op in CALLS_FOR else (op,))}
    if ops:
        wanted.add("__del__")  # the instance exists, and is collected some time after the load
    return sorted({has[m] for m in wanted if m in has})


def _legacy_unreviewed(dotted: str, severity: Severity, methods: set[str]) -> set[str]:
    """Classes the knowledge base does not list (custom or other-version classes): BUILD and
    NEWOBJ stay as judged by :func:`severity_of`; any other method is unreviewed unless the
    allowlist entry of the class lists it."""
    entry = allowlist.allowed(dotted)
    unreviewed = methods - (entry.methods if entry is not None else frozenset())
    if severity in (Severity.KNOWN, Severity.UNKNOWN_CLASS):
        unreviewed -= {"__setstate__", "__new__"}
    return unreviewed


def unreviewed_calls(dotted: str, severity: Severity, methods: set[str]) -> list[str]:
    """What a real load runs on ``dotted`` instances for ``methods`` that is not reviewed:
    implementations (``owner.method``) for classes the knowledge base lists, else method
    names (:func:`_legacy_unreviewed`)."""
    dotted = allowlist.canonical(dotted)
    calls = effective_calls(dotted, methods)
    if calls is None:
        return sorted(_legacy_unreviewed(dotted, severity, methods))
    return [impl for impl in calls if impl not in allowlist.REVIEWED_METHODS]


def method_severity(dotted: str, severity: Severity, detail: str, methods: set[str],
                    class_ops: set[str]) -> tuple[Severity, str]:
    """Raise the severity of a global for the methods a real load calls on it.

    Every method a real load runs on an instance of a class the knowledge base lists is a
    finding unless its effective implementation (the MRO's owner) is reviewed harmless in
    :data:`allowlist.REVIEWED_METHODS <hpinspect.load.allowlist.REVIEWED_METHODS>`; a method
    called on the class or function object itself mutates it and is never harmless.
    """
    if severity == Severity.DANGEROUS:
        return severity, detail
    if class_ops:
        return Severity.UNKNOWN_CALL, (f"a real load calls {', '.join(sorted(class_ops))} on "
                                       f"the {dotted} object itself (BUILD/APPEND/SETITEM on "
                                       "a global)")
    unreviewed = unreviewed_calls(dotted, severity, methods)
    if not unreviewed:
        return severity, detail
    if severity == Severity.UNKNOWN_CALL:
        return severity, f"{detail}; the load also runs {', '.join(unreviewed)}"
    return Severity.UNKNOWN_CALL, (f"a real load calls {', '.join(unreviewed)} on a {dotted} "
                                   "instance, not reviewed as harmless")
