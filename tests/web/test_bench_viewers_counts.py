"""tools/bench_viewers.py counts what a viewer received: duplicates, out-of-order frames, and what the
browser's viewer keeps after its de-duplication (first copy of a frame index wins)."""
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import bench_viewers  # noqa: E402


def viewer(*connections):
    """A stand-in for tests.integration.fault_stack.Viewer's recorded messages (data, not our component)."""
    conns = [[(0.0, m) for m in c] for c in connections]
    return SimpleNamespace(connections=conns, messages=lambda: [m for c in conns for m in c])


def frames(start, n):
    return {"type": "frames", "start": start, "kp3d": [[0]] * n}


def test_a_clean_stream_is_all_frames_once_in_order():
    r = bench_viewers.received(viewer([{"type": "meta"}, frames(0, 3), frames(3, 3),
                                       {"type": "status", "status": "succeeded"}]))
    assert r["raw"] == list(range(6)) and r["duplicates"] == 0 and r["out_of_order"] == 0
    assert r["final"] == "succeeded" and r["connections"] == 1
    g = bench_viewers.group_figures([r], 6)
    assert g["raw_all_frames_once_in_order"] == 1 and g["kept_all_frames"] == 1


def test_a_replayed_chunk_and_a_late_one_are_counted_and_deduplicated():
    # the catch-up sends 0-2 and 3-5, the live tail sends 3-5 again; after a reconnect 0-2 comes again,
    # then 9-11 before 6-8
    r = bench_viewers.received(viewer([frames(0, 3), frames(3, 3), frames(3, 3)],
                                      [frames(0, 3), frames(9, 3), frames(6, 3)]))
    assert r["duplicates"] == 6 and r["out_of_order"] == 3 and r["connections"] == 2
    g = bench_viewers.group_figures([r], 12)
    assert g["raw_all_frames_once_in_order"] == 0 and g["kept_all_frames"] == 1
    assert g["raw_frames_received_min_median_max"] == [18, 18, 18] and g["viewers_reconnected"] == 1
    assert g["viewers_final_succeeded"] == 0  # no final status arrived


def test_a_missing_frame_is_not_all_frames():
    g = bench_viewers.group_figures([bench_viewers.received(viewer([frames(0, 3), frames(4, 2)]))], 6)
    assert g["kept_all_frames"] == 0 and g["raw_all_frames_once_in_order"] == 0
