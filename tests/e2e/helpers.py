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


def person_pixels(png: bytes, at: tuple[float, float], colour: int, radius: int = 8) -> int:
    """How many pixels within `radius` of `at` (image x, y) have the hue of a person's colour (0xRRGGBB;
    lighting and see-through joints change its brightness and saturation, not its hue)."""
    import colorsys

    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    x, y = int(round(at[0])), int(round(at[1]))
    patch = img[max(0, y - radius): y + radius + 1, max(0, x - radius): x + radius + 1]
    if patch.size == 0:
        return 0
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV_FULL).reshape(-1, 3).astype(int)  # hue 0..255
    h, _, _ = colorsys.rgb_to_hsv(*(((colour >> s) & 255) / 255 for s in (16, 8, 0)))
    dh = np.abs(hsv[:, 0] - h * 256) % 256
    near = np.minimum(dh, 256 - dh) < 14  # about 20 degrees
    return int((near & (hsv[:, 1] > 50) & (hsv[:, 2] > 60)).sum())


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
