"""Embeddings of network features: feature extraction, PCA, t-SNE (one-shot and interactive
sessions with kNN reuse and streamed frames) and neighbourhood-quality scores."""

from .features import extract_features, pca
from .quality import knn_preservation, trustworthiness
from .result import SmallMultiples, TSNEResult
from .session import TSNESession
from .tsne_engines import tsne

__all__ = [
    "SmallMultiples",
    "TSNEResult",
    "TSNESession",
    "extract_features",
    "knn_preservation",
    "pca",
    "trustworthiness",
    "tsne",
]
