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
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

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
    for name, obj in _overview_models(features, target).items():
        joblib.dump(obj, OUT / f"{name}.joblib")
        print(OUT / f"{name}.joblib")
    return 0


def _overview_models(features: Any, target: Any) -> dict[str, Any]:
    """The shapes the overview is judged on: column routing, search, stacking, calibration,
    a bundle."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 60),
                          "income": rng.normal(5e4, 1e4, 60).round(2),
                          "city": rng.choice(["paris", "lyon", "nice"], 60),
                          "plan": rng.choice(["basic", "pro"], 60)})
    labels = np.where(target == 1, "churn", "stay")
    routed = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                    ("cat", OneHotEncoder(handle_unknown="ignore"),
                                     ["city", "plan"])])),
        ("clf", SVC(C=2.0, probability=True, random_state=0)),
    ]).fit(frame, labels)
    randomized = RandomizedSearchCV(
        Pipeline([("sc", StandardScaler()), ("rf", RandomForestClassifier(random_state=0))]),
        {"rf__n_estimators": [3, 5], "rf__max_depth": [2, 3]}, n_iter=2, cv=2,
        random_state=0).fit(features, target)
    stacking = StackingClassifier(
        [("rf", RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0)),
         ("svc", SVC(random_state=0))], final_estimator=LogisticRegression(), cv=2,
    ).fit(features, target)
    calibrated = CalibratedClassifierCV(SVC(random_state=0), cv=2).fit(features, target)
    bundle = {"model": LogisticRegression(C=0.5).fit(features, target),
              "features": ["f0", "f1", "f2", "f3"], "version": "2.1"}
    return {"ct_pipeline": routed, "randomized": randomized, "stacking": stacking,
            "calibrated": calibrated, "bundle": bundle}


if __name__ == "__main__":
    sys.exit(main())
