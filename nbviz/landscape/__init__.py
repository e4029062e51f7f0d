"""Loss landscapes: the loss along a line, over a plane, and the training path projected onto it.

``line`` interpolates from a start point to the trained weights; ``plane`` evaluates a grid around
them (filter-normalised, random, PCA or given directions), coarse to fine with previews;
``trajectory`` finds the PCA directions of saved checkpoints. The user's model is never modified.
"""

from .line import line
from .plane import plane
from .results import LineResult, PlaneResult, TrajectoryResult
from .trajectory import trajectory

__all__ = ["LineResult", "PlaneResult", "TrajectoryResult", "line", "plane", "trajectory"]
