"""Long containers of plain values are passed over at once by the conversion and by the walk
that places findings; one non-plain member among them is still converted and placed.

The files are real pickles of dicts and lists with 200 plain members and, in the mixed ones,
one global: a real load resolves it (``os.getcwd``, referenced, never called); hpinspect
must report it at its own key or index and keep every plain member as the file has it.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from hpinspect import inspect_file
from hpinspect.load.pickle_file import read


def _plain(n: int = 200) -> dict[str, object]:
    return {f"word{i}": (i if i % 3 else float(i) if i % 2 else f"w{i}") for i in range(n)}


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_global_among_many_plain_members_is_placed(tmp_path: Path, protocol: int) -> None:
    words = _plain()
    mixed = dict(words)
    mixed["zz_cwd"] = os.getcwd
    listed = [*range(150), os.getcwd, *map(str, range(50))]
    path = tmp_path / "mixed.pkl"
    path.write_bytes(pickle.dumps({"vocabulary_": mixed, "items_": listed, "words_": words},
                                  protocol=protocol))
    real = pickle.loads(path.read_bytes())  # a real load: the global resolves, nothing runs
    assert real["vocabulary_"]["zz_cwd"] is os.getcwd
    findings = inspect_file(path).safety.findings
    (cwd,) = [f for f in findings if f.global_name.endswith("getcwd")]
    assert not cwd.called
    loaded = read(path)
    assert cwd.path in ("['vocabulary_']['zz_cwd']", "['items_'][150]"), cwd.path
    root = loaded.root
    assert {k: v for k, v in root["words_"].items()} == words
    assert {k: v for k, v in root["vocabulary_"].items() if k != "zz_cwd"} == words
    assert root["items_"][:150] == list(range(150)) and root["items_"][151:] == \
        [str(i) for i in range(50)]
    assert root["items_"][150] is not os.getcwd  # an inert reference, never the function


def test_every_placement_of_a_global_in_long_containers(tmp_path: Path) -> None:
    listed = [*map(str, range(100)), os.getcwd]
    path = tmp_path / "listed.pkl"
    path.write_bytes(pickle.dumps({"a_words": _plain(), "b_items": listed}, protocol=4))
    findings = inspect_file(path).safety.findings
    (cwd,) = [f for f in findings if f.global_name.endswith("getcwd")]
    assert cwd.path == "['b_items'][100]"
