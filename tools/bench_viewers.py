"""Many viewers of one job: does every websocket viewer get every frame, once, in order? (issue 13)

    .venv/bin/python tools/bench_viewers.py                # 50 viewers
    .venv/bin/python tools/bench_viewers.py --viewers 200
    .venv/bin/python tools/bench_viewers.py --late 50       # and 50 that join once frames are streaming

Starts a real stack as the fault-injection tests do (tests/integration/fault_stack.py: a private Redis,
daphne, a real Celery worker with the production heartbeat and warm-up settings) on a throw-away SQLite
database and media folder, creates a user with an API token and a session, uploads
tests/fixtures/people_768x576_10fps.mp4 (120 frames) while no worker runs, opens N viewers on the job
(real websocket clients that reconnect as the browser's viewer does), and only once every viewer has its
`meta` starts the worker. `--late K` opens K more viewers once the first frames have reached a viewer:
they get the catch-up from the job's frames log and then the live tail, where a chunk may come twice. When the job ends it prints, per viewer, what arrived raw (frames exactly once
and in order, duplicates, out of order) and after the viewer's documented logic (docs/websocket.md: a
frame index already received is ignored, first copy wins), the job's wall time and the web process's
peak resident memory (sampled every 20 ms). Figures, not a pass/fail test: the exit status is 0 when
the job succeeded and every viewer ended with all its frames.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "tests" / "fixtures" / "people_768x576_10fps.mp4"
MiB = 1024 * 1024


class PeakRss(threading.Thread):
    """The largest resident memory of one process (and its children, none for daphne) while running."""

    def __init__(self, pid: int):
        import psutil

        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.before = self.peak = self.proc.memory_info().rss
        self.running = True

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except Exception:  # the process ended: keep the peak seen so far
                return
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def received(viewer) -> dict:
    """What one viewer got: the frame indices in arrival order over all its connections (raw), and the
    set the browser's viewer keeps (frontend/src/model/frameBuffer.js: a known index is skipped)."""
    raw = []
    for _, m in viewer.messages():
        if m["type"] == "frames":
            raw.extend(range(m["start"], m["start"] + len(m["kp3d"])))
    seen, duplicates, out_of_order, top = set(), 0, 0, -1
    for i in raw:
        if i in seen:
            duplicates += 1
        elif i < top:
            out_of_order += 1
        seen.add(i)
        top = max(top, i)
    final = [m for _, m in viewer.messages() if m["type"] == "status"]
    return {"raw": raw, "kept": seen, "duplicates": duplicates, "out_of_order": out_of_order,
            "connections": len(viewer.connections), "final": final[-1]["status"] if final else None}


def group_figures(rows: list[dict], n: int) -> dict:
    everything = list(range(n))
    counts = [len(r["raw"]) for r in rows]
    return {
        "viewers": len(rows),
        "raw_all_frames_once_in_order": sum(r["raw"] == everything for r in rows),
        "raw_frames_received_min_median_max": [min(counts), statistics.median(counts), max(counts)],
        "raw_duplicates_total": sum(r["duplicates"] for r in rows),
        "raw_viewers_with_duplicates": sum(r["duplicates"] > 0 for r in rows),
        "raw_out_of_order_total": sum(r["out_of_order"] for r in rows),
        "viewers_reconnected": sum(r["connections"] > 1 for r in rows),
        "kept_all_frames": sum(r["kept"] == set(everything) for r in rows),
        "viewers_final_succeeded": sum(r["final"] == "succeeded" for r in rows),
    }


def print_group(label: str, g: dict, n: int) -> None:
    low, median, high = g["raw_frames_received_min_median_max"]
    print(f"{label}, raw: {g['raw_all_frames_once_in_order']} of {g['viewers']} viewers got all {n} frames exactly "
          f"once, in order; frames received min/median/max {low}/{median}/{high}; duplicates "
          f"{g['raw_duplicates_total']} (in {g['raw_viewers_with_duplicates']} viewers), out of order "
          f"{g['raw_out_of_order_total']}; {g['viewers_reconnected']} reconnected")
    print(f"{label}, after the viewer's de-duplication: {g['kept_all_frames']} of {g['viewers']} have all {n} frames; "
          f"{g['viewers_final_succeeded']} saw the final status 'succeeded'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50, help="websocket viewers of the one job")
    parser.add_argument("--late", type=int, default=0,
                        help="more viewers that join once frames are streaming (catch-up from the log, then live)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the job's end")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="posenet-bench-viewers-"))
    media = tmp / "media"
    media.mkdir()
    # Before Django is set up (as tools/bench_split.py does): the stack's processes and this one share them.
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}", DJANGO_MEDIA_ROOT=str(media))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from poseapp.models import ApiToken, PoseJob
    from tests.integration.fault_stack import FaultStack, Viewer, wait_for

    user = get_user_model().objects.create_user("bench", password="bench-viewers")
    token = ApiToken.objects.create(user=user).key
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    stack = FaultStack(tmp, media, fast_sweeps=False)
    stack.start_redis()
    try:
        stack.start_web()
        status, _, body = stack.upload(token, CLIP)
        if status != 201:
            print(f"upload refused: HTTP {status} {body}")
            return 1
        job_id = body["id"]
        rss = PeakRss(stack.web.pid)
        rss.start()
        t_open = time.monotonic()
        viewers = [Viewer(stack, job_id, cookie) for _ in range(args.viewers)]

        def with_meta():
            return sum(1 for v in viewers if any(m["type"] == "meta" for _, m in v.messages()))
        try:
            wait_for(lambda: with_meta() == len(viewers), 120, "every viewer's meta")
        except TimeoutError:
            pass  # report how many did connect
        connected, open_s = with_meta(), time.monotonic() - t_open
        rss_connected = rss.proc.memory_info().rss

        t_worker = time.monotonic()
        stack.start_worker("bench", wait=False)
        late, late_after = [], 0
        if args.late:
            def first_frames():
                return sum(len(m["kp3d"]) for _, m in viewers[0].messages() if m["type"] == "frames")
            late_after = wait_for(first_frames, args.timeout, "the first frames", stack.log_tail)
            late = [Viewer(stack, job_id, cookie) for _ in range(args.late)]
        wait_for(lambda: PoseJob.objects.get(pk=job_id).is_terminal, args.timeout, "the job's end", stack.log_tail)
        job = PoseJob.objects.get(pk=job_id)
        wait_for(lambda: all(v.done.is_set() for v in viewers + late), 60, "every viewer's final status")
        t_end = time.monotonic()
        peak = rss.stop()
        for v in viewers + late:
            v.done.set()
    except TimeoutError as e:
        print(f"timed out: {str(e).splitlines()[0]}")
        print(stack.log_tail()[-3000:])
        return 1
    finally:
        stack.stop()  # its logs are kept in test-artifacts/logs/<tmp folder name>
        shutil.rmtree(tmp, ignore_errors=True)

    n = job.frame_count or 0
    figures = {
        "viewers": args.viewers,
        "viewers_connected_before_start": connected,
        "connect_all_s": round(open_s, 2),
        "job_status": job.status,
        "job_frames": n,
        "on_time": group_figures([received(v) for v in viewers], n),
        "job_wall_s_worker_start_to_end": round(t_end - t_worker, 1),
        "job_wall_s_started_to_finished": round((job.finished_at - job.started_at).total_seconds(), 1)
        if job.started_at and job.finished_at else None,
        "web_rss_before_viewers_mib": round(rss.before / MiB, 1),
        "web_rss_all_connected_mib": round(rss_connected / MiB, 1),
        "web_rss_peak_mib": round(peak / MiB, 1),
        "cpu_cores": os.cpu_count(),
    }
    if late:
        figures["late"] = group_figures([received(v) for v in late], n)
        figures["late_joined_after_frames"] = late_after
    print(f"viewers connected before the job started: {connected} of {args.viewers} (all within {open_s:.1f} s)")
    print(f"job {job.status}, {n} frames; wall {figures['job_wall_s_worker_start_to_end']} s from the worker's start "
          f"(its start and warm-up included), {figures['job_wall_s_started_to_finished']} s started → finished")
    print_group("on time", figures["on_time"], n)
    if late:
        print(f"{len(late)} late viewers joined once {late_after} frames had reached the first viewer:")
        print_group("late", figures["late"], n)
    print(f"web process RSS: {figures['web_rss_before_viewers_mib']} MiB before the viewers, "
          f"{figures['web_rss_all_connected_mib']} MiB with all connected, peak {figures['web_rss_peak_mib']} MiB")
    print(json.dumps(figures))
    everyone = figures["on_time"]["kept_all_frames"] + (figures["late"]["kept_all_frames"] if late else 0)
    ok = job.status == "succeeded" and everyone == args.viewers + len(late)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
