"""An H.264 copy of each upload that every browser can play (OpenCV's mp4v and phones' HEVC are not).

ffmpeg (the binary inside imageio-ffmpeg) runs as a separate, niced process (nice 10: the
detector comes first, so the first 3D frames are not held up by the copy) while the worker detects; it also applies rotation metadata. The copy is written to a temporary name and
renamed when complete, so the web side never serves half a file. ffmpeg dies with the worker
(ml.child_process): a killed worker leaves no copy running on, and the re-run removes its .part file.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ml.child_process import die_with_parent

NICE = 10  # the copy (and a split job's background overlay drawing) yield to the detector


def ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - fall back to a system ffmpeg
        return shutil.which("ffmpeg")


class BrowserCopy:
    def __init__(self, source: str | Path, target: Path):
        self.target = Path(target)
        self.part = self.target.with_name(self.target.stem + ".part.mp4")
        self.ready = False
        exe = ffmpeg_exe()
        self.proc = None
        if exe:
            args = [exe, "-y", "-loglevel", "error", "-i", str(source), "-an", "-c:v", "libx264",
                    "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
                    "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-movflags", "+faststart", str(self.part)]
            # Niced: the copy must not slow the detector down while the first 3D frames are due.
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         preexec_fn=die_with_parent(nice=NICE))

    def poll(self) -> bool:
        """True exactly once: when the copy has just become available."""
        if self.ready or self.proc is None or self.proc.poll() is None:
            return False
        return self._publish(self.proc.returncode)

    def finish(self, kill: bool = False, tick=None) -> bool:
        """Wait for ffmpeg (or kill it); True if the copy has just become available. `tick()` is called
        every few seconds while waiting (the worker's heartbeat; it may raise to stop waiting)."""
        if self.proc is None or self.ready:
            return False
        if kill:
            self.proc.kill()
        while True:
            try:
                code = self.proc.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                if tick is not None:
                    try:
                        tick()
                    except BaseException:
                        self.proc.kill()
                        self.proc.wait()
                        self._publish(-1)
                        raise
        return self._publish(code if not kill else -1)

    def _publish(self, code: int) -> bool:
        if code == 0 and self.part.exists() and self.part.stat().st_size > 0:
            self.part.replace(self.target)
            self.ready = True
            return True
        self.part.unlink(missing_ok=True)
        self.proc = None
        return False
