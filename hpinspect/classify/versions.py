"""Saved-with versions from markers in the file, installed versions from package metadata.

Installed versions come from :mod:`importlib.metadata`: nothing is imported.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from typing import Any

from hpinspect.report import Skew, Versions

# State keys that record the version of the library an object was saved with.
MARKERS: dict[str, str] = {
    "_sklearn_version": "scikit-learn",
    "_xgboost_version": "xgboost",
    "_lightgbm_version": "lightgbm",
    "_imblearn_version": "imbalanced-learn",
}


def parse(version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a version string, ignoring pre-release suffixes."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


FEATURE_RELEASE_BREAKS: frozenset[str] = frozenset({"scikit-learn"})
"""Libraries whose pickles are unsupported across feature releases: scikit-learn stays on 1.x
and breaks (or silently changes) unpickled estimators between 1.y releases, so a different
feature release is a *major* skew for it."""


def skew(saved: str, installed: str | None, lib: str = "") -> Skew:
    """How far apart two versions are (a scikit-learn feature release counts as major)."""
    if installed is None:
        return Skew.UNKNOWN
    a, b = parse(saved), parse(installed)
    if a is None or b is None:
        return Skew.UNKNOWN
    if a[0] != b[0]:
        return Skew.MAJOR
    if a[1] != b[1]:
        return Skew.MAJOR if lib in FEATURE_RELEASE_BREAKS else Skew.MINOR
    if a[2] != b[2]:
        return Skew.PATCH
    return Skew.NONE


def feature_distance(saved: str, installed: str) -> int | None:
    """Feature releases between two versions (scikit-learn: 1.2 -> 1.9 is 7; across a major
    version the minor numbers restart, so the distance counts the installed minor plus one
    per major step), or None when a version does not parse."""
    a, b = parse(saved), parse(installed)
    if a is None or b is None:
        return None
    if a[0] == b[0]:
        return abs(a[1] - b[1])
    low, high = (a, b) if a < b else (b, a)
    return high[1] + (high[0] - low[0])


def skew_text(lib: str, saved: str, installed: str | None, skew: str) -> str:
    """``saved with 1.2.2, installed 1.9.1: unsupported by scikit-learn across versions (7
    feature releases apart)``."""
    if installed is None:
        return f"saved with {saved}, not installed here"
    if skew == "none":
        return f"{saved} (= installed)"
    distance = feature_distance(saved, installed)
    apart = f"{distance} feature release{'s' if distance != 1 else ''} apart" \
        if distance is not None else skew
    if lib == "scikit-learn":
        return (f"saved with {saved}, installed {installed}: unsupported by scikit-learn "
                f"across versions ({apart})")
    return f"saved with {saved}, installed {installed} ({skew} skew, {apart})"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.lru_cache(maxsize=256)
def installed_version(dist: str) -> str | None:
    """Installed version of a distribution, or None.

    Reads the ``*.dist-info`` folder names on ``sys.path`` first: importlib.metadata would
    import the email parser (about 20 ms of start-up) for the same answer.
    """
    want = _normalise(dist)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name[: -len(".dist-info")].partition("-")
                if version and _normalise(project) == want:
                    return version
    from importlib import metadata  # only here: it imports the email parser

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# Libraries installed under another distribution name (xgboost's CPU-only wheel).
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {"xgboost": ("xgboost", "xgboost-cpu")}


def library_version(lib: str) -> str | None:
    """Installed version of a library under any distribution that provides it."""
    for dist in DISTRIBUTIONS.get(lib, (lib,)):
        version = installed_version(dist)
        if version is not None:
            return version
    return None


def build_versions(saved: dict[str, str]) -> Versions:
    """Versions record for the libraries the file names."""
    installed: dict[str, str] = {}
    skews: dict[str, Skew] = {}
    for lib, version in sorted(saved.items()):
        here = library_version(lib)
        if here is not None:
            installed[lib] = here
        skews[lib] = skew(version, here, lib)
    return Versions(saved_with=dict(sorted(saved.items())), installed=installed, skew=skews)


def marker_versions(state: dict[str, Any], into: dict[str, str]) -> None:
    """Record version markers found in one object's state (first one wins)."""
    for key, lib in MARKERS.items():
        value = state.get(key)
        if isinstance(value, str) and lib not in into:
            into[lib] = value
