"""Rebuild the small, real model files in sample_models/ (run from anywhere).

    python sample_models/make_samples.py

Every model is fitted on deterministic synthetic data, so the files only change when
scikit-learn or joblib change how they pickle.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Fit and save every sample model."""
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)
    rng = np.random.default_rng(0)

    logreg = LogisticRegression(C=0.5, max_iter=200).fit(X, y)
    joblib.dump(logreg, HERE / "logreg.joblib")

    colors = rng.choice(["red", "green", "blue"], size=len(X)).reshape(-1, 1)
    mixed = np.hstack([X[:, :4].astype(object), colors])
    prep = ColumnTransformer([
        ("num", StandardScaler(), [0, 1, 2, 3]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), [4]),
    ])
    pipe = Pipeline([("prep", prep), ("clf", SVC(C=2.0, kernel="rbf"))])
    pipe.fit(mixed, y)
    joblib.dump(pipe, HERE / "pipeline_columntransformer.joblib", compress=3)

    search = GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0, 10.0]}, cv=3)
    search.fit(X, y)
    joblib.dump(search, HERE / "gridsearch.pkl")

    forest = RandomForestClassifier(n_estimators=25, max_depth=5, random_state=0).fit(X, y)
    joblib.dump(forest, HERE / "forest.joblib", compress=("gzip", 3))

    kmeans = KMeans(n_clusters=3, n_init=3, random_state=0).fit(X)
    joblib.dump(kmeans, HERE / "kmeans.joblib")

    mixture = GaussianMixture(n_components=2, random_state=0).fit(X)
    with open(HERE / "gaussian_mixture.pkl", "wb") as handle:
        import pickle

        pickle.dump(mixture, handle, protocol=4)


if __name__ == "__main__":
    main()
