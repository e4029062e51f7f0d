"""The watcher's controls act while its training cell runs, in a real ipykernel with subshells.

The test is the front end here: it talks the Jupyter protocol to a kernel as JupyterLab does with its
default ``commsOverSubshells`` setting (a subshell made on the control channel, the widget's comm
messages sent with that ``subshell_id``). The training cell runs until the scrubber message has been
applied or a step bound is reached, so nothing here is timed: the order of events is what is checked.
Without routing (the second test) the same message waits for the cell to end, as it did before.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
ipykernel = pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[1]
MAX_STEPS = 400  # the training cell's bound when no message is applied

SETUP = """
import threading, time, torch, nbviz
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 3))
x, y = torch.rand(24, 1, 8, 8), torch.randint(0, 3, (24,))
watcher = nbviz.watch(model, (x, y), every=1, adaptive=False, tsne=False, surface=False)
applied = []  # (live, steps done, thread) when the front end's update arrives
watcher.observe(lambda c: applied.append((c["new"], watcher.steps_done, threading.current_thread().name)), names="live")
print(watcher.comm.comm_id)
"""
TRAIN = f"""
optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range({MAX_STEPS}):
    optimiser.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimiser.step()
    watcher.step()
    if i == 2:
        print("training", flush=True)
    if applied:
        break
    time.sleep(0.01)
print("in the cell", applied, watcher.steps_done, watcher.frame)
"""
AFTER = "print('after', applied, watcher._controls.routing, '_reply_subshell_for' in vars(watcher.comm))"


@pytest.fixture
def kernel():
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env, cwd=str(REPO))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str, timeout: float = 120) -> str:
    out: list[str] = []
    reply = client.execute_interactive(
        code, timeout=timeout, output_hook=lambda m: out.append(m["content"]["text"]) if m["msg_type"] == "stream" else None
    )
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def subshell(client) -> str:
    client.control_channel.send(client.session.msg("create_subshell_request", {}))
    reply = client.control_channel.get_msg(timeout=30)
    assert reply["content"]["status"] == "ok"
    return reply["content"]["subshell_id"]


def train_and_scrub(client, comm_id: str, subshell_id: str, code: str = TRAIN) -> tuple[str, str]:
    """Start the training cell, move the scrubber (frame 0, stop following) once it trains, queue a
    cell behind it; return the training cell's output and the queued cell's."""
    train = client.execute(code)
    seen = ""
    while "training" not in seen:  # the loop is past its first steps: the watcher is routing
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == train and msg["msg_type"] == "stream":
            seen += msg["content"]["text"]
    state = {"method": "update", "state": {"frame": 0, "live": False}, "buffer_paths": []}
    update = client.session.msg("comm_msg", {"comm_id": comm_id, "data": state})
    update["header"]["subshell_id"] = subshell_id
    client.shell_channel.send(update)
    queued = client.execute("print('queued cell', applied)")  # a user's cell waiting behind training
    outputs: dict[str, str] = {train: "", queued: ""}
    replies: list[str] = []
    while len(replies) < 2:
        msg = client.get_shell_msg(timeout=120)
        if msg["msg_type"] == "execute_reply":
            replies.append(msg["parent_header"]["msg_id"])
    assert replies == [train, queued], "the queued cell ran before the training cell ended"
    while True:  # the streams of both cells, up to the queued cell's idle
        msg = client.get_iopub_msg(timeout=30)
        parent = msg["parent_header"].get("msg_id")
        if msg["msg_type"] == "stream" and parent in outputs:
            outputs[parent] += msg["content"]["text"]
        if msg["msg_type"] == "status" and parent == queued and msg["content"]["execution_state"] == "idle":
            break
    return outputs[train], outputs[queued]


def test_the_scrubber_acts_inside_the_training_cell_on_the_main_thread(kernel):
    comm_id = run(kernel, SETUP).strip()
    trained, queued = train_and_scrub(kernel, comm_id, subshell(kernel))
    line = trained.splitlines()[-1]
    assert line.startswith("in the cell [(False, "), trained  # applied while the loop ran...
    assert "'MainThread')]" in line  # ...by a step() in the training thread, not by the subshell
    steps = int(line.rsplit(" ", 2)[1])
    assert steps < MAX_STEPS  # the loop stopped on the message, not on its bound
    assert line.endswith(" 0"), line  # the watcher shows snapshot 0, as asked
    assert "queued cell [(False" in queued
    after = run(kernel, AFTER)
    assert after.strip().endswith("False False"), after  # routing put back when the cell ended


def test_without_routing_the_scrubber_waits_for_the_cell(kernel):
    comm_id = run(kernel, SETUP + "watcher._controls._start_routing = lambda: None\n").strip()
    trained, queued = train_and_scrub(kernel, comm_id, subshell(kernel))
    assert trained.splitlines()[-1].startswith(f"in the cell [] {MAX_STEPS} "), trained
    # applied after the cell, before the queued cell, on the main thread
    assert f"queued cell [(False, {MAX_STEPS}, 'MainThread')]" in queued


def test_a_message_after_the_last_step_applies_when_the_cell_ends(kernel):
    """Queued on the subshell after the loop's last step(): applied on the main thread once the cell is over."""
    loop = TRAIN.replace("    if applied:\n        break\n", "    if i == 2:\n        break\n")  # stop after the step that prints
    wait = "\nfor _ in range(2000):\n    if not watcher._controls._pending.empty():\n        break\n    time.sleep(0.01)\n"
    comm_id = run(kernel, SETUP).strip()
    trained, queued = train_and_scrub(kernel, comm_id, subshell(kernel), loop + wait + "print('queued', applied, watcher._controls._pending.qsize())")
    assert trained.splitlines()[-1] == "queued [] 1", trained  # in the queue, not applied by the subshell
    assert "queued cell [(False, 3, 'MainThread')]" in queued


def test_outside_a_kernel_nothing_is_routed():
    """In a plain Python process (no ipykernel running) step() leaves the widget's comm as it was."""
    import torch

    import nbviz

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(72, 2))
    watcher = nbviz.watch(model, (torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 0, 1])), every=1, tsne=False, surface=False)
    try:
        watcher.step(loss=1.0)
        assert not watcher._controls.routing
        assert watcher._controls.poll() == 0
        assert "handle_msg" not in vars(watcher.comm) and "_reply_subshell_for" not in vars(watcher.comm)
    finally:
        watcher.close()


def update(state: dict, buffers: tuple = ()) -> dict:
    paths = [[key] for key in state if isinstance(state[key], bytes)]
    return {"header": {"msg_id": str(state)}, "content": {"data": {"method": "update", "state": state, "buffer_paths": paths}},
            "buffers": list(buffers)}


def test_coalesce_merges_runs_of_plain_updates_and_keeps_the_rest():
    from nbviz.widgets._live_controls import coalesce

    custom = {"header": {}, "content": {"data": {"method": "custom", "content": {"ask": 1}}}, "buffers": []}
    binary = update({"raw": b"\x00"}, (b"\x00",))
    msgs = [update({"frame": 3, "live": False}), update({"frame": 2}), update({"frame": 1}), custom,
            update({"live": True}), binary, update({"frame": 0})]
    out = coalesce(msgs)
    # by hand: the first three merge (frame from the last, live from the first), custom and binary stay
    assert [m["content"]["data"].get("state") for m in out] == [
        {"frame": 1, "live": False}, None, {"live": True}, {"raw": b"\x00"}, {"frame": 0}]
    assert out[0]["header"]["msg_id"] == str({"frame": 1})  # the run's last message
    assert msgs[0]["content"]["data"]["state"] == {"frame": 3, "live": False}  # inputs unchanged


def test_a_dragged_scrubber_costs_one_redraw():
    """Positions queued during one step reach the widget as one update: its observers fire once."""
    import ipywidgets

    from nbviz.widgets._live_controls import LiveControls

    slider = ipywidgets.IntSlider(max=10)
    seen: list[int] = []
    slider.observe(lambda change: seen.append(change["new"]), names="value")
    controls = LiveControls(slider)
    controls._comm = slider.comm
    for value in (4, 5, 6, 7):
        controls._pending.put(update({"value": value}))
    assert controls.apply_pending() == 1
    assert seen == [7] and slider.value == 7
