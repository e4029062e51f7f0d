"""Jobs on a local Ray instance (2 CPUs) give the local backend's values; progress, partial results,
cancellation, a killed worker and the driver's memory during a 20,000-image scan.

Values are compared to 1e-6 relative: a Ray worker runs torch with one thread from process start
(``OMP_NUM_THREADS=1``) and float32 forwards then round differently in the last bits (measured: at most
4e-7 relative on the digits CNN, also against a local run started with one thread on the same
directions); indices, positions, accuracies and counts are compared exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from execution_helpers import NoiseImages, kill, rss_bytes, start, task_pids, wait_idle
from landscape_models import digits, tiny_cnn
from nbviz import activation_stats, extract_features, saliency, top_activating
from nbviz._progress import Cancelled
from nbviz.execution import current_executor, use_local
from nbviz.execution.ray_layers import TopK
from nbviz.landscape import line, plane

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray
CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    start(num_cpus=2)
    assert current_executor() == "ray"
    use_local()  # each test names its executor
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def data():
    return digits(300)


def test_plane_equals_local_with_the_same_partials_and_progress(data):
    model = tiny_cnn()
    local_partials, ray_partials, fractions = [], [], []
    local = plane(model, CE, data, resolution=11, span=0.6, progress=False, on_partial=lambda r, f: local_partials.append(r))
    remote = plane(
        model, CE, data, resolution=11, span=0.6, executor="ray",
        progress=lambda f, m: fractions.append(f), on_partial=lambda r, f: ray_partials.append(r),
    )
    np.testing.assert_allclose(remote.loss, local.loss, rtol=1e-6)
    np.testing.assert_array_equal(remote.accuracy, local.accuracy)
    assert remote.samples == local.samples == 300 and remote.complete
    assert len(ray_partials) == len(local_partials) == 2
    np.testing.assert_array_equal(np.isnan(ray_partials[0].loss), np.isnan(local_partials[0].loss))
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_line_and_recompute_bn_preview_equal_local(data):
    model = tiny_cnn()
    local, remote = line(model, CE, data, progress=False), line(model, CE, data, progress=False, executor="ray")
    np.testing.assert_allclose(remote.loss, local.loss, rtol=1e-6)
    np.testing.assert_array_equal(remote.accuracy, local.accuracy)
    kwargs = dict(resolution=3, preview=100, recompute_bn=True, progress=False)
    np.testing.assert_allclose(
        plane(model, CE, data, executor="ray", **kwargs).loss, plane(model, CE, data, **kwargs).loss, rtol=1e-6
    )


@pytest.mark.parametrize("kind", ["tensor", "dataset", "loader"])
def test_top_activating_equals_local(kind):
    images = NoiseImages(700)
    source = {
        "tensor": torch.stack([images[i][0] for i in range(700)]),
        "dataset": images,
        "loader": torch.utils.data.DataLoader(images, batch_size=50),
    }[kind]
    model = tiny_cnn()
    local = top_activating(model, source, "conv2", 3, k=7, batch_size=64, progress=False)
    remote = top_activating(model, source, "conv2", 3, k=7, batch_size=64, progress=False, executor="ray")
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_allclose(remote.values, local.values, rtol=1e-6)
    np.testing.assert_array_equal(remote.positions, local.positions)
    np.testing.assert_array_equal(remote.images, local.images)
    np.testing.assert_array_equal(remote.boxes, local.boxes)


def test_top_k_merge_keeps_ties_in_index_order_as_the_local_sort():
    merged = TopK(3)
    empty = np.zeros((2, 0))
    merged.add(dict(values=np.array([5.0, 1.0]), indices=np.array([40, 41]), positions=empty, images=empty))
    merged.add(dict(values=np.array([5.0, 5.0]), indices=np.array([2, 3]), positions=empty, images=empty))
    np.testing.assert_array_equal(merged.best["indices"], [2, 3, 40])
    assert merged.peak == 4


def test_activation_stats_and_features_equal_local():
    images = NoiseImages(500)
    model = tiny_cnn()
    local = activation_stats(model, images, batch_size=64, progress=False)
    remote = activation_stats(model, images, batch_size=64, progress=False, executor="ray")
    assert remote.layers == local.layers and remote.samples == local.samples == 500
    assert remote.channel_axis == local.channel_axis
    for name in local.layers:
        np.testing.assert_allclose(remote.mean[name], local.mean[name], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(remote.max[name], local.max[name], rtol=1e-6)
        np.testing.assert_allclose(remote.sparsity[name], local.sparsity[name], atol=1e-3)
        np.testing.assert_array_equal(remote.dead[name], local.dead[name])
    for pool in ("avg", "flatten"):
        f_local = extract_features(model, images, "conv2", batch_size=64, pool=pool, progress=False)
        f_remote = extract_features(model, images, "conv2", batch_size=64, pool=pool, progress=False, executor="ray")
        assert f_remote.shape == f_local.shape and f_remote.dtype == np.float32
        np.testing.assert_allclose(f_remote, f_local, rtol=1e-5, atol=1e-6)


def test_top_activating_over_20000_images_keeps_the_driver_small():
    """Holding every input's activation of conv2 (8×8×8 floats) would take 41 MB and every image 5 MB;
    the driver's resident memory grows by less than 12 MB and never holds more than 2k candidates."""
    images, model, k = NoiseImages(20_000), tiny_cnn(), 9
    peak = [0]
    before = rss_bytes()

    def watch(fraction, message):
        peak[0] = max(peak[0], rss_bytes() - before)

    remote = top_activating(model, images, "conv2", 5, k=k, batch_size=256, progress=watch, executor="ray")
    assert peak[0] < 12 * 2**20, f"driver grew by {peak[0] / 2**20:.1f} MB"
    local = top_activating(model, images, "conv2", 5, k=k, batch_size=256, progress=False)
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_allclose(remote.values, local.values, rtol=1e-6)


def test_top_k_merge_holds_at_most_2k_candidates(monkeypatch):
    from nbviz.execution import ray_layers

    seen = []
    original = ray_layers.TopK.add

    def add(self, found):
        original(self, found)
        seen.append(self.peak)

    monkeypatch.setattr(ray_layers.TopK, "add", add)
    top_activating(tiny_cnn(), NoiseImages(3000), "conv2", 5, k=9, batch_size=100, progress=False, executor="ray", crops=False)
    assert len(seen) >= 4 and max(seen) <= 18


def test_cancel_stops_every_task(data):
    calls = []

    def stop_after_first(fraction, message):
        calls.append(message)
        return not message.endswith("shards") or len(calls) < 2

    with pytest.raises(Cancelled):
        plane(tiny_cnn(), CE, data, resolution=25, progress=stop_after_first, executor="ray")
    assert wait_idle(30.0), "Ray tasks still running after the cancel"


def test_a_worker_killed_mid_job_is_retried_and_nothing_is_lost(data):
    model = tiny_cnn()
    killed = []

    def kill_one(fraction, message):
        if not killed:
            running = task_pids()
            if running:
                kill(running[0])
                killed.append(running[0])

    remote = plane(model, CE, data, resolution=15, progress=kill_one, executor="ray")
    local = plane(model, CE, data, resolution=15, progress=False)
    assert killed, "no running task to kill"
    assert not np.isnan(remote.loss).any()
    np.testing.assert_allclose(remote.loss, local.loss, rtol=1e-6)
    np.testing.assert_array_equal(remote.accuracy, local.accuracy)


def test_data_the_workers_cannot_slice_is_refused_naming_it():
    shuffled = torch.utils.data.DataLoader(NoiseImages(50), batch_size=10, shuffle=True)
    with pytest.raises(TypeError, match="data: executor='ray' needs"):
        top_activating(tiny_cnn(), shuffled, "conv2", 0, progress=False, executor="ray")


@pytest.mark.parametrize("method", ["gradient", "integrated_gradients", "gradcam"])
def test_saliency_over_many_images_equals_local(method):
    model, (x, y) = tiny_cnn(), digits(40)
    local = saliency(model, x, y, method=method, progress=False)
    remote = saliency(model, x, y, method=method, progress=False, executor="ray")
    np.testing.assert_allclose(remote.maps, local.maps, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(remote.raw, local.raw, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(remote.target, local.target)
    assert remote.method == local.method and remote.layer == local.layer


def test_smoothgrad_over_many_images_equals_local():
    # each shard skips the local noise stream to its first image, so the noise is the local run's
    model, (x, y) = tiny_cnn(), digits(6)
    kwargs = dict(method="smoothgrad", n_samples=5, noise_level=0.2, seed=3, progress=False)
    local = saliency(model, x, y, **kwargs)
    remote = saliency(model, x, y, executor="ray", **kwargs)
    np.testing.assert_allclose(remote.maps, local.maps, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(remote.raw, local.raw, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(remote.target, local.target)


def test_featurevis_of_many_units_equals_local():
    from nbviz.featurevis import maximize

    model = tiny_cnn()
    kwargs = dict(steps=6, size=8, seed=1, progress=False)
    local = maximize(model, "conv2", [0, 1, 2, (3, 2, 2)], **kwargs)
    remote = maximize(model, "conv2", [0, 1, 2, (3, 2, 2)], executor="ray", **kwargs)
    assert remote.units == local.units and remote.layer == local.layer
    np.testing.assert_allclose(remote.images, local.images, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(remote.activations, local.activations, rtol=1e-4, atol=1e-5)
    assert remote.history.shape == local.history.shape


def test_pointing_game_and_randomization_check_on_ray_equal_local():
    from nbviz import pointing_game, randomization_check

    model, (x, y) = tiny_cnn(), digits(24)
    masks = np.zeros((24, *x.shape[2:]), dtype=bool)
    masks[:, 2:6, 2:6] = True
    kwargs = dict(target=y, tolerance=2, chunk_size=16, progress=False)
    assert pointing_game("gradient", model, x, masks, executor="ray", **kwargs) == pointing_game(
        "gradient", model, x, masks, **kwargs
    )
    local = randomization_check(model, x, "gradient", progress=False)
    remote = randomization_check(model, x, "gradient", progress=False, executor="ray")
    assert remote.layers == local.layers
    np.testing.assert_allclose(remote.maps, local.maps, rtol=1e-5, atol=1e-7)


def test_occlusion_of_many_images_on_ray_equals_local_one_by_one():
    from nbviz import occlusion

    model, (x, y) = tiny_cnn(), digits(6)
    kwargs = dict(window=4, stride=2, progress=False)
    fractions = []
    remote = occlusion(model, x, y, executor="ray", **{**kwargs, "progress": lambda f, m: fractions.append(f)})
    local = occlusion(model, x, y, executor="local", **kwargs)
    assert len(remote) == len(local) == 6
    for i, (r, lo) in enumerate(zip(remote, local)):
        alone = occlusion(model, x[i], int(y[i]), **kwargs)
        np.testing.assert_array_equal(lo.probability, alone.probability)
        np.testing.assert_allclose(r.probability, lo.probability, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(r.drop_map, lo.drop_map, rtol=1e-5, atol=1e-6)
        assert r.target == lo.target == int(y[i])
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="target: expected one target per image"):
        occlusion(model, x, [0, 1], **kwargs)
    with pytest.raises(ValueError, match="on_partial: partial maps are for one image"):
        occlusion(model, x, on_partial=lambda r, f: None, **kwargs)
