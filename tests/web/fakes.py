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
