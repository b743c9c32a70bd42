"""Helpers for browser tests."""


def skeleton_pixels(png: bytes, skip_top: int = 0) -> int:
    """How many canvas pixels have the viewer's left (blue) or right (orange) bone colours
    (`skip_top`: leave out that many rows at the top, where the 3D view's buttons are)."""
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(int)[skip_top:]  # BGR
    b, g, r = img[..., 0], img[..., 1], img[..., 2]
    blue = (b > 150) & (b - r > 80)
    orange = (r > 170) & (r - b > 100) & (g > 60)
    return int((blue | orange).sum())


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def upload_in_browser(page, base_url, clip):
    """Upload from the home page; returns the new PoseJob once the job page is open."""
    from poseapp.models import PoseJob

    page.goto(f"{base_url}/")
    page.set_input_files("input[name=video]", str(clip))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    return PoseJob.objects.latest("pk")
