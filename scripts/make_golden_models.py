"""Write the model files the real-file golden tests read (``tests/data/golden_models/``).

Goldens must not depend on the floating-point rounding of a fit done at test time: a fit on
another CPU (AVX-512 against AVX2, another BLAS kernel) can differ in the last digit. So the
goldens inspect these committed files, whose bytes are fixed. Regenerate with the pinned test
extras installed, then rewrite the goldens::

    python scripts/make_golden_models.py && UPDATE_GOLDEN=1 python -m pytest tests/render
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden_models"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    features, target = make_classification(n_samples=60, n_features=4, random_state=0)
    models = {
        "logreg": LogisticRegression(C=0.5, random_state=0),
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression()),
        "forest": RandomForestClassifier(n_estimators=12, max_depth=3, random_state=0),
        "search": GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3),
    }
    for name, model in models.items():
        model.fit(features, target)
        joblib.dump(model, OUT / f"{name}.joblib")
        print(OUT / f"{name}.joblib")
    return 0


if __name__ == "__main__":
    sys.exit(main())
