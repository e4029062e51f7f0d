import threading
import time

import pytest

from nbviz._progress import Cancelled, report
from nbviz.widgets._tasks import TaskRunner


def test_result_delivered_with_progress():
    seen, results = [], []
    runner = TaskRunner(on_progress=lambda f, m: seen.append((f, m)), progress_interval=0)

    def work(progress):
        for i in range(3):
            report(progress, (i + 1) / 3, f"step {i}")
        return 42

    runner.submit("a", work, results.append)
    assert runner.wait(5)
    assert results == [42]
    assert seen[-1] == (1.0, "step 2")


def test_newer_request_cancels_running_work_and_drops_queued():
    started, finished, results = threading.Event(), [], []
    release = threading.Event()
    runner = TaskRunner()

    def slow(progress):
        started.set()
        release.wait(5)
        for _ in range(100):
            report(progress, 0.5, "")  # raises Cancelled once superseded
            time.sleep(0.001)
        finished.append("slow")
        return "slow"

    def make(name):
        def work(progress):
            finished.append(name)
            return name

        return work

    runner.submit("k", slow, results.append)
    started.wait(5)
    runner.submit("k", make("middle"), results.append)  # queued, then superseded before it runs
    runner.submit("k", make("newest"), results.append)
    release.set()
    assert runner.wait(5)
    assert finished == ["newest"], "the running one stopped early; the queued middle one never ran"
    assert results == ["newest"]


def test_different_keys_do_not_cancel_each_other():
    results = []
    runner = TaskRunner()
    runner.submit("a", lambda p: 1, results.append)
    runner.submit("b", lambda p: 2, results.append)
    runner.wait(5)
    assert sorted(results) == [1, 2]


def test_errors_are_reported_not_swallowed(caplog):
    errors = []
    runner = TaskRunner(on_error=lambda key, e: errors.append((key, str(e))))

    def bad(progress):
        raise ValueError("perplexity: too large")

    runner.submit("x", bad)
    runner.wait(5)
    assert errors == [("x", "perplexity: too large")]
    assert "x request failed" in caplog.text


def test_stale_errors_are_dropped():
    errors, release = [], threading.Event()
    runner = TaskRunner(on_error=lambda k, e: errors.append(e))

    def bad(progress):
        release.wait(5)
        raise ValueError("stale")

    runner.submit("x", bad)
    time.sleep(0.05)
    runner.submit("x", lambda p: None)
    release.set()
    runner.wait(5)
    assert errors == []


def test_cancel_and_close():
    runner = TaskRunner()
    gate = threading.Event()
    out = []

    def work(progress):
        gate.wait(5)
        report(progress, 0.1)
        out.append("ran")

    runner.submit("k", work)
    runner.cancel("k")
    gate.set()
    runner.wait(5)
    assert out == []
    runner.close()
    with pytest.raises(RuntimeError, match="closed"):
        runner.submit("k", work)


def test_report_raises_cancelled():
    with pytest.raises(Cancelled):
        report(lambda f, m: False, 0.5, "stop")
    report(None, 0.5)  # no callback: nothing happens


def test_work_runs_in_the_submitting_context():
    """Widget updates sent from the worker belong to the request that asked for them (in a kernel,
    the parent message lives in a ContextVar); a bare thread would see the default instead."""
    import contextvars

    parent = contextvars.ContextVar("parent", default="none")
    seen: list[tuple[str, str]] = []
    runner = TaskRunner()

    def submit_from(name: str) -> None:
        parent.set(name)
        runner.submit(name, lambda progress: parent.get(), lambda result: seen.append((result, parent.get())))

    for name in ("cell", "slider message"):
        thread = threading.Thread(target=submit_from, args=(name,))
        thread.start()
        thread.join()
        assert runner.wait(5)
    assert seen == [("cell", "cell"), ("slider message", "slider message")]
    assert parent.get() == "none"  # the submitter's later changes never leak back
