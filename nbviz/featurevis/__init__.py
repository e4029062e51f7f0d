"""Feature visualisation: activation maximisation (:func:`maximize`), code inversion
(:func:`invert`) and multifaceted feature visualisation (:func:`multifaceted`).

Every entry point runs under the model guard with parameter gradients off (input gradients only),
reports ``progress(fraction, message)`` each step (return ``False`` to stop) and can stream
intermediate images to ``on_frame(images, step)``.
"""

from .invert import invert
from .maximize import maximize
from .multifaceted import multifaceted
from .objectives import Unit
from .results import Facets, FeatureVis, Inversion

__all__ = ["Facets", "FeatureVis", "Inversion", "Unit", "invert", "maximize", "multifaceted"]
