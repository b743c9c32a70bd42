"""Stand-ins for the web tests that run a pose task in-process without ffmpeg."""


class NoBrowserCopy:
    """poseapp.browser_copy.BrowserCopy's interface, making no copy (the tests here are about the
    stream and the job row, not the video)."""

    def __init__(self, *args):
        pass

    def poll(self):
        return False

    def finish(self, **kwargs):
        return False


class NoOverlay:
    """ml.export.overlay.BackgroundOverlay's interface: the overlay "file" is its format's name."""

    def __init__(self, video_path, path, **kwargs):
        self.path = path

    def push(self, kp2d, kp3d):
        pass

    def finish(self, tick=None):
        self.path.write_text("mp4")

    def close(self):
        pass

    def push_people(self, start, count, people):
        pass
