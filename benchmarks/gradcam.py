"""Grad-CAM speed: nbviz vs Captum LayerGradCam vs pytorch-grad-cam GradCAM, one process.

resnet18 (weights=None, seed 0), a batch of 16 random 224×224 images, layer4, explicit targets
(the predicted classes) for everyone; every engine also upsamples its CAM to 224×224 bilinearly
(Captum via LayerAttribution.interpolate). nbviz is timed twice: with the targets given, and with
target=None (it then takes the predicted class from the same pass, as pytorch-grad-cam does).

    nice -n 10 python benchmarks/gradcam.py            # batch 16, 224², 7 repeats
    nice -n 10 python benchmarks/gradcam.py --quick    # batch 4, 112², 3 repeats

Target: nbviz not slower than Captum (ratio ≤ 1.0); pytorch-grad-cam measured 2.9× Captum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def median_times(engines: dict, repeats: int) -> dict[str, float]:
    """Median wall time per engine, running the engines round-robin so load changes on a shared
    machine hit all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):
        for name, fn in engines.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 4 at 112², 3 repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    batch, size, repeats = (4, 112, 3) if args.quick else (16, 224, 7)
    repeats = args.repeats or repeats

    import torchvision
    from captum.attr import LayerAttribution, LayerGradCam
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from nbviz.attribution import saliency

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        target = model(x).argmax(1)

    def ours():
        return saliency(model, x, target, "gradcam", layer="layer4")

    def ours_predicted():
        return saliency(model, x, None, "gradcam", layer="layer4")

    captum_cam = LayerGradCam(model, model.layer4)

    def captum():
        raw = captum_cam.attribute(x, target=target)
        return raw, LayerAttribution.interpolate(raw.clamp(min=0), (size, size), interpolate_mode="bilinear")

    anchor = GradCAM(model, target_layers=[model.layer4[-1]])
    targets = [ClassifierOutputTarget(int(t)) for t in target]

    def grad_cam():
        return anchor(x, targets=targets)

    # same numbers first
    ref_raw, ref_up = captum()
    mine = ours()
    scale = float(ref_up.detach().abs().max())
    print(f"max |nbviz − Captum| (upsampled CAM) / max: {float((torch.as_tensor(mine.maps) - ref_up[:, 0].detach()).abs().max()) / scale:.2e}")

    engines = {"nbviz (targets given)": ours, "nbviz (target=None)": ours_predicted,
               "Captum LayerGradCam": captum, "pytorch-grad-cam GradCAM": grad_cam}
    for fn in engines.values():  # warm-up
        fn()
    times = median_times(engines, repeats)
    anchor.activations_and_grads.release()
    base = times["Captum LayerGradCam"]
    print(f"Grad-CAM, resnet18 layer4, batch {batch}, {size}×{size}, median of {repeats} (threads: {torch.get_num_threads()})")
    for name, t in times.items():
        print(f"  {name:28s} {t:7.3f} s   {t / base:5.2f}× Captum")


if __name__ == "__main__":
    main()
