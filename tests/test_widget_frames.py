"""FrameBuffer and FrameSender: the t-SNE explorer's frames, kept in Python and paced to the page."""

from __future__ import annotations

import threading

import numpy as np

from nbviz.widgets._frames import FrameBuffer, FrameSender


def test_a_repeated_iteration_replaces_its_frame_and_pick_clamps():
    frames = FrameBuffer()
    assert frames.pick(None) is None and frames.stack().shape == (0, 0, 2)
    frames.add(0, 3.0, np.zeros((4, 2)))
    frames.add(10, 2.0, np.ones((4, 2)))
    frames.add(10, 1.5, np.full((4, 2), 2.0))  # the final callback repeats the last iteration
    iterations, kl, last, newest = frames.curve()
    np.testing.assert_array_equal(iterations, [0, 10])
    np.testing.assert_allclose(kl, [3.0, 1.5])
    assert last == 1 and newest.dtype == np.float32 and (newest == 2).all()
    assert frames.pick(-5)[0] == 0 and frames.pick(99)[0] == 1 and frames.pick(None)[0] == 1
    assert frames.stack().shape == (2, 4, 2) and len(frames) == 2


def test_frames_added_from_threads_are_all_kept():
    frames = FrameBuffer()

    def add(offset: int) -> None:
        for i in range(200):
            frames.add(offset + 2 * i, 0.0, np.zeros((3, 2)))

    workers = [threading.Thread(target=add, args=(k,)) for k in (0, 1)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(frames) == 400  # even and odd iterations: never a repeat to replace
    assert sorted(frames.curve()[0].tolist()) == list(range(400))


def test_sender_paces_by_points_and_time(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("nbviz.widgets._frames.time.monotonic", lambda: now[0])
    sent = []
    sender = FrameSender(lambda: sent.append(now[0]), n_points=1_000_000)  # 8 MB a frame at 40 MB/s: 0.2 s
    assert sender.interval == 0.2
    for t in (100.0, 100.1, 100.21, 100.3, 100.45):
        now[0] = t
        sender.maybe_send()
    assert sent == [100.0, 100.21, 100.45]
    assert FrameSender(lambda: None, n_points=10).interval == 0.05  # at most 20 frames a second
