"""The acceptance test of ``nbviz.watch``: it never changes training.

The zoo's shapes CNN is trained twice from the same seed, 3 epochs on generated shapes, once alone and
once with a watcher in the loop taking a snapshot every 10 steps with every panel on (filters, feature
maps, sparsity, t-SNE map, weight path and loss surface, the last two on the worker thread while
training goes on). Every weight and every BatchNorm buffer must be bitwise equal, and so must torch's
global random state after training.

To see it fail, draw from the global generator in the training thread without putting it back: in
``nbviz/watching/snapshot.py`` drop ``training_rng_untouched()`` from ``Snapshotter.take`` and add
``torch.rand(1)`` there; the next epoch's shuffled order changes and the weights differ.
"""

from __future__ import annotations

import pytest
import torch

import nbviz
from watch_training import train_shapes

pytestmark = pytest.mark.slow

SETUP = dict(epochs=3, n=1000, n_train=768, seed=0)  # 12 steps an epoch: snapshots at steps 0, 10, 20, 30


def test_training_is_bitwise_the_same_with_and_without_the_watcher() -> None:
    alone, _, _ = train_shapes(**SETUP)
    rng_alone = torch.get_rng_state()

    def watcher(model, held_out):
        return nbviz.watch(model, (held_out.images, held_out.labels), every=10, adaptive=False)

    watched, _, w = train_shapes(**SETUP, watcher=watcher)
    rng_watched = torch.get_rng_state()
    w.wait(600)
    # every panel was on and computed
    assert list(w.snapshot_steps) == [0, 10, 20, 30]
    assert w.error == ""
    assert w.filters is not None and w.maps is not None and w.embedding is not None
    assert w.surface is not None and w.path is not None and len(w.path) == 4
    assert len(w.layer_names) == w.sparsity.shape[1] > 0
    # and training did not notice
    a, b = alone.state_dict(), watched.state_dict()
    assert a.keys() == b.keys()
    assert any("running_mean" in k for k in a) and any("num_batches_tracked" in k for k in a)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"tensors changed by watching: {different}"
    assert torch.equal(rng_alone, rng_watched)
    w.close()
