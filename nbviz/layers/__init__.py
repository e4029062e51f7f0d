"""Layer explorer compute: the layer tree, feature maps, activation statistics, top-activating
inputs with receptive-field crops, and filter images.

Module calls are named ``"name"`` (first call) and ``"name#k"`` (k-th call of a module run
several times in one forward); every function accepts both forms and modules.
"""

from .capture import activations
from .contrast import ChannelContrast, channel_contrast, channel_means
from .filter_images import FilterImages, filters
from .receptive_fields import receptive_field
from .stats import ActivationStats, activation_stats
from .top import TopActivating, top_activating
from .tree import LayerInfo, layer_tree

__all__ = [
    "ActivationStats",
    "ChannelContrast",
    "FilterImages",
    "LayerInfo",
    "TopActivating",
    "activation_stats",
    "activations",
    "channel_contrast",
    "channel_means",
    "filters",
    "layer_tree",
    "receptive_field",
    "top_activating",
]
