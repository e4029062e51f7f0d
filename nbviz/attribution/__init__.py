"""Attribution: which parts of an input made the network give its answer."""

from .attention import AttentionMaps, attention_maps, attention_rollout
from .occlusion import OcclusionResult, occlusion
from .result import Attribution
from .saliency import SALIENCY_METHODS, saliency
from .scoring import RandomizationResult, pointing_game, randomization_check
from .targets import Target, resolve_target

__all__ = [
    "AttentionMaps",
    "Attribution",
    "attention_maps",
    "attention_rollout",
    "OcclusionResult",
    "RandomizationResult",
    "SALIENCY_METHODS",
    "occlusion",
    "Target",
    "pointing_game",
    "randomization_check",
    "resolve_target",
    "saliency",
]
