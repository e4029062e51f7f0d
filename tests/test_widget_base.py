"""The explorer base: partial results from stale requests never show; cancel clears the progress bar."""

import threading

import torch

import nbviz


def explorer():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    return nbviz.PredictionExplorer(model, torch.rand(2, 1, 8, 8)).wait()


def test_publish_shows_only_for_the_newest_request():
    e = explorer()
    shown, release = [], threading.Event()

    def slow(progress):
        release.wait(5)
        e.publish(progress, 0.5, "half", shown.append, "stale")

    def fresh(progress):
        e.publish(progress, 0.5, "half", shown.append, "fresh")

    e.run("k", slow)
    e.run("k", fresh)  # supersedes the first before it publishes
    release.set()
    e.wait()
    assert shown == ["fresh"]


def test_cancel_stops_work_and_clears_the_progress_bar():
    e = explorer()
    started, release, finished = threading.Event(), threading.Event(), []

    def work(progress):
        started.set()
        release.wait(5)
        progress(0.5, "still going?")  # answers False after cancel → Cancelled in real compute
        finished.append(progress(0.6, ""))

    e.run("k", work, finished.append)
    started.wait(5)
    e.cancel("k")
    release.set()
    e.wait()
    assert finished == [False], "the work saw it was cancelled and done() never ran"
    assert e.progress == 1.0 and e.status == ""
