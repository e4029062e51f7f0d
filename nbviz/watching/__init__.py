"""Compute for watching a network learn (``nbviz.watch``): what a snapshot of a training model holds,
when to take one, and the slower views built from the snapshots so far.

- :mod:`.schedule`: every how many steps to take a snapshot, widened so the watcher costs at most a
  share (default 10 %) of the training time;
- :mod:`.rng`: the random state training sees, kept exactly as it was around snapshot work;
- :mod:`.probe`: the fixed probe set every snapshot looks at;
- :mod:`.snapshot`: one snapshot (probe loss and accuracy, first-layer filters, one layer's feature
  maps, sparsity and dead channels per layer, probe features, a copy of the weights), taken in one
  guarded forward pass that never changes training;
- :mod:`.path`: the weights' path projected on its two principal directions, over a coarse loss surface;
- :mod:`.live_map`: a t-SNE of the probe features, warm-started from the previous map so that it morphs.

The explorer (``nbviz.widgets.watch``) calls these; nothing here imports widgets.
"""

from .live_map import LiveMap
from .path import WeightPath, coarse_surface, load_weights, private_copy, project, weight_path
from .probe import Probe, as_probe
from .rng import training_rng_untouched
from .schedule import Schedule
from .snapshot import Snapshot, Snapshotter

__all__ = [
    "LiveMap",
    "Probe",
    "Schedule",
    "Snapshot",
    "Snapshotter",
    "WeightPath",
    "as_probe",
    "coarse_surface",
    "load_weights",
    "private_copy",
    "project",
    "training_rng_untouched",
    "weight_path",
]
