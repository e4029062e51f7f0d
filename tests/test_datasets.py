"""nbviz.datasets: digits against scikit-learn's own copy, shapes against geometry measured from the masks."""

import numpy as np
import pytest
import torch

from nbviz import datasets


@pytest.fixture(scope="module")
def shapes400() -> datasets.ImageDataset:
    return datasets.shapes(400, seed=1)


def test_shapes_types_shapes_and_ranges(shapes400):
    d = shapes400
    assert d.images.shape == (400, 3, 32, 32) and d.images.dtype == torch.float32 and d.images.is_contiguous()
    assert d.labels.shape == (400,) and d.labels.dtype == torch.int64
    assert d.masks.shape == (400, 32, 32) and d.masks.dtype == torch.bool
    assert 0.0 <= d.images.min() and d.images.max() <= 1.0
    assert d.class_names == datasets.SHAPE_CLASSES and len(d.class_names) >= 4
    assert set(d.labels.tolist()) == set(range(len(d.class_names)))
    image, label = d[7]
    assert torch.equal(image, d.images[7]) and label == d.labels[7] and len(d) == 400


def test_shapes_size_argument():
    d = datasets.shapes(6, size=48, seed=2)
    assert d.images.shape == (6, 3, 48, 48) and d.masks.shape == (6, 48, 48)


def test_shapes_deterministic_per_seed_and_different_across_seeds():
    a, b, c = datasets.shapes(50, seed=3), datasets.shapes(50, seed=3), datasets.shapes(50, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels) and torch.equal(a.masks, b.masks)
    assert not torch.equal(a.images, c.images) and not torch.equal(a.masks, c.masks)


def test_shapes_more_images_than_one_generation_chunk_are_all_filled():
    d = datasets.shapes(datasets._CHUNK + 5, size=16, seed=0)
    tail = d.images[datasets._CHUNK :]
    assert d.masks[datasets._CHUNK :].flatten(1).any(1).all()  # every image has an object
    assert tail.flatten(1).std(1).min() > 0.02  # a textured background, not uninitialised memory


def test_shapes_classes_are_balanced():
    assert datasets.shapes(400).labels.bincount().tolist() == [100] * 4
    counts = datasets.shapes(10).labels.bincount(minlength=4)
    assert counts.max() - counts.min() <= 1


def test_masks_cover_a_flat_coloured_object_that_stands_out(shapes400):
    """Inside the mask the colour is one colour plus small noise; it differs from the background."""
    d = shapes400
    for image, mask in zip(d.images, d.masks):
        inside, outside = image[:, mask], image[:, ~mask]
        assert 0.02 < mask.float().mean() < 0.4
        assert inside.std(1).max() < 0.05  # the object: colour + N(0, 0.03) noise
        assert outside.std(1).max() > inside.std(1).max()  # the background is textured
        assert (inside.mean(1) - outside.mean(1)).abs().max() > 0.2  # visible contrast


def _geometry(mask: np.ndarray) -> tuple[float, float]:
    """Compactness (area / area of the circle through the farthest pixel) and solidity (area / convex hull)."""
    from scipy.spatial import ConvexHull

    ys, xs = np.nonzero(mask)
    far = np.sqrt((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2).max() + 0.5
    corners = np.concatenate([np.stack([ys + a, xs + b], 1) for a in (0, 1) for b in (0, 1)])
    return len(ys) / (np.pi * far**2), len(ys) / ConvexHull(corners).volume


def _classify(mask: np.ndarray) -> str:
    compactness, solidity = _geometry(mask)
    if compactness > 0.76:
        return "circle"
    if compactness < 0.51:
        return "triangle"
    return "cross" if solidity < 0.79 else "square"


def test_labels_name_the_shape_the_mask_draws(shapes400):
    """An independent rule on mask geometry (circle compact, triangle not, cross concave) agrees with
    the labels; a few pixelated small shapes may sit at a threshold."""
    d = shapes400
    predicted = [_classify(m.numpy()) for m in d.masks]
    agree = np.mean([p == d.class_names[y] for p, y in zip(predicted, d.labels.tolist())])
    assert agree >= 0.97


def test_split_keeps_masks_and_order(shapes400):
    train, test = shapes400.split(300)
    assert len(train) == 300 and len(test) == 100
    assert torch.equal(test.images[0], shapes400.images[300]) and torch.equal(test.masks[-1], shapes400.masks[-1])


def test_works_with_a_dataloader(shapes400):
    x, y = next(iter(torch.utils.data.DataLoader(shapes400, batch_size=16)))
    assert x.shape == (16, 3, 32, 32) and torch.equal(y, shapes400.labels[:16])


def test_digits_equal_sklearn_load_digits_over_16():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    d = datasets.digits()
    assert d.images.shape == (1797, 1, 8, 8) and d.images.dtype == torch.float32
    np.testing.assert_array_equal(d.images[:, 0].numpy(), (bunch.images / 16.0).astype(np.float32))
    np.testing.assert_array_equal(d.labels.numpy(), bunch.target)
    assert d.class_names == tuple("0123456789") and d.masks is None


def test_digits_upsampling_is_half_pixel_bilinear():
    """Reference: separable linear interpolation at half-pixel centres with edge clamping (np.interp)."""
    small, big = datasets.digits().images[:20, 0].numpy(), datasets.digits(size=20).images[:20, 0].numpy()
    assert big.shape == (20, 20, 20)
    src = np.clip((np.arange(20) + 0.5) * 8 / 20 - 0.5, 0, 7)
    rows = np.stack([[np.interp(src, np.arange(8), row) for row in img] for img in small])  # along x
    ref = np.stack([[np.interp(src, np.arange(8), col) for col in img.T] for img in rows]).transpose(0, 2, 1)
    np.testing.assert_allclose(big, ref, atol=1e-6)


@pytest.mark.parametrize(
    "call, error, argument",
    [
        (lambda: datasets.shapes(0), ValueError, "n"),
        (lambda: datasets.shapes(-3), ValueError, "n"),
        (lambda: datasets.shapes(2.5), TypeError, "n"),
        (lambda: datasets.shapes(True), TypeError, "n"),
        (lambda: datasets.shapes(10, size=8), ValueError, "size"),
        (lambda: datasets.shapes(10, size="32"), TypeError, "size"),
        (lambda: datasets.shapes(10, seed=-1), ValueError, "seed"),
        (lambda: datasets.shapes(10, seed=None), TypeError, "seed"),
        (lambda: datasets.digits(size=4), ValueError, "size"),
        (lambda: datasets.digits(size=16.0), TypeError, "size"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, argument):
    with pytest.raises(error, match=rf"^{argument}: expected an int"):
        call()


def test_numpy_integers_are_accepted():
    assert len(datasets.shapes(np.int64(3), size=np.int32(16), seed=np.uint8(1))) == 3
