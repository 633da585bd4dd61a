"""Generate ``hpinspect/load/data/skops_trusted.json``: the types skops trusts by default.

skops decides which types in a ``.skops`` file are untrusted from lists it computes at import
time from the installed scikit-learn, numpy and scipy (``skops/io/_trusted_types.py``). The
reader in :mod:`hpinspect.load.skops` must not import any of them, so the lists are stored as
data, regenerated with the libraries the tests pin::

    python scripts/gen_skops_trusted.py
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from skops.io import _trusted_types as tt
from skops.io._sklearn import ALLOWED_LOSSES
from skops.io._utils import get_module, get_type_paths

OUT = Path(__file__).resolve().parent.parent / "hpinspect" / "load" / "data" / "skops_trusted.json"


def main() -> None:
    """Write the lists, sorted, with the versions they came from."""
    lists = {
        "primitive": tt.PRIMITIVE_TYPE_NAMES,
        "container": tt.CONTAINER_TYPE_NAMES,
        "sklearn": tt.SKLEARN_ESTIMATOR_TYPE_NAMES + tt.SKLEARN_INTERNAL_TYPE_NAMES,
        "ufunc": tt.SCIPY_UFUNC_TYPE_NAMES + tt.NUMPY_UFUNC_TYPE_NAMES,
        "numpy_dtype": tt.NUMPY_DTYPE_TYPE_NAMES,
        "bit_generator": tt.NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES,
        "loss": [get_module(x) + "." + x.__name__ for x in ALLOWED_LOSSES],
    }
    import numpy as np
    from scipy.sparse import sparray, spmatrix

    # the default trust of each loader with a fixed list (skops/io/_general.py, _numpy.py,
    # _scipy.py); the composite ones are built from the lists above in the reader
    loaders = {
        "DictNode": [dict, "collections.OrderedDict"], "ListNode": [list], "SetNode": [set],
        "TupleNode": [tuple], "BytesNode": [bytes], "BytearrayNode": [bytearray],
        "SliceNode": [slice], "MaskedArrayNode": [np.ma.MaskedArray],
        "RandomStateNode": [np.random.RandomState], "RandomGeneratorNode": [np.random.Generator],
        "SparseMatrixNode": [spmatrix, sparray], "NdArrayNode": [np.ndarray],
    }
    lists["loaders"] = {name: get_type_paths(types) for name, types in loaders.items()}
    doc = {
        "generated_with": {name: metadata.version(name)
                           for name in ("skops", "scikit-learn", "numpy", "scipy")},
        **{key: value if isinstance(value, dict) else sorted(set(value))
           for key, value in lists.items()},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
