"""Jobs on a two-node Ray cluster simulated on this machine (``ray.cluster_utils.Cluster``, one CPU per
node): the same values as the local backend, work on both nodes, and a worker killed mid-job."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from execution_helpers import NoiseImages, kill, start_cluster, task_pids, wait_idle
from landscape_models import digits, tiny_cnn
from nbviz import top_activating
from nbviz._progress import Cancelled
from nbviz.execution import use_local
from nbviz.landscape import plane

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray
CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module", autouse=True)
def cluster():
    found = start_cluster(nodes=2, cpus_per_node=1)
    use_local()
    yield found
    ray.shutdown()
    found.shutdown()


def test_the_cluster_has_two_nodes_and_both_run_tasks():
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2

    @ray.remote(num_cpus=1)
    def node():
        import time

        time.sleep(0.5)
        return ray.get_runtime_context().get_node_id()

    assert len(set(ray.get([node.remote() for _ in range(4)]))) == 2


def test_plane_and_top_activating_equal_local_on_two_nodes():
    data, model = digits(300), tiny_cnn()
    local = plane(model, CE, data, resolution=9, progress=False)
    remote = plane(model, CE, data, resolution=9, progress=False, executor="ray")
    np.testing.assert_allclose(remote.loss, local.loss, rtol=1e-6)
    np.testing.assert_array_equal(remote.accuracy, local.accuracy)
    images = NoiseImages(1000)
    top_local = top_activating(model, images, "conv1", 2, k=5, batch_size=64, progress=False)
    top_remote = top_activating(model, images, "conv1", 2, k=5, batch_size=64, progress=False, executor="ray")
    np.testing.assert_array_equal(top_remote.indices, top_local.indices)
    np.testing.assert_allclose(top_remote.values, top_local.values, rtol=1e-6)
    np.testing.assert_array_equal(top_remote.boxes, top_local.boxes)


def test_a_killed_worker_on_the_cluster_still_gives_every_point_once():
    data, model = digits(1797), tiny_cnn()  # long enough shards that one is running at the first report
    killed = []

    def kill_one(fraction, message):
        if not killed and task_pids():
            killed.append(task_pids()[0])
            kill(killed[0])

    remote = plane(model, CE, data, resolution=13, progress=kill_one, executor="ray")
    assert killed
    np.testing.assert_allclose(remote.loss, plane(model, CE, data, resolution=13, progress=False).loss, rtol=1e-6)


def test_cancel_on_the_cluster_leaves_nothing_running():
    with pytest.raises(Cancelled):
        plane(tiny_cnn(), CE, digits(300), resolution=21, executor="ray",
              progress=lambda f, m: not m.endswith("shards"))
    assert wait_idle(30.0)
