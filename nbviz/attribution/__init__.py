"""Attribution: which parts of an input made the network give its answer."""

from .result import Attribution
from .saliency import SALIENCY_METHODS, saliency
from .scoring import RandomizationResult, pointing_game, randomization_check
from .targets import Target, resolve_target

__all__ = [
    "Attribution",
    "RandomizationResult",
    "SALIENCY_METHODS",
    "Target",
    "pointing_game",
    "randomization_check",
    "resolve_target",
    "saliency",
]
