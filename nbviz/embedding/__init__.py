"""Embeddings of network features: feature extraction, PCA, t-SNE (one-shot and interactive
sessions with kNN reuse and streamed frames), neighbourhood-quality scores and snapping a map to a grid."""

from .features import extract_features, pca
from .grid import GridLayout, snap_to_grid
from .quality import knn_preservation, trustworthiness
from .result import SmallMultiples, TSNEResult
from .session import TSNESession
from .tsne_engines import tsne

__all__ = [
    "GridLayout",
    "SmallMultiples",
    "TSNEResult",
    "TSNESession",
    "extract_features",
    "knn_preservation",
    "pca",
    "snap_to_grid",
    "trustworthiness",
    "tsne",
]
