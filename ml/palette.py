"""The skeleton's colours, one home for the 3D viewer, the 2D overlay and the overlay video.

RGB hex. The viewer reads them from frontend/src/generated/tables.js (written from this module by
tools/frontend_tables.py); ml/export/overlay.py turns them into OpenCV's BGR.
"""
LEFT = 0x3D9BFF        # the subject's left side: blue
RIGHT = 0xFF7A2F       # the subject's right side: orange
CENTER = 0xE8E8E8      # pelvis, spine, thorax, neck/nose, head
BACKGROUND = 0x1B1E24  # the 3D view and the video panel behind a missing video
TRAIL = 0x9BE15D       # the root's path on the floor

PALETTE = {"left": LEFT, "right": RIGHT, "center": CENTER, "background": BACKGROUND, "trail": TRAIL}


def rgb(colour: int) -> tuple[int, int, int]:
    return (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF


def bgr(colour: int) -> tuple[int, int, int]:
    r, g, b = rgb(colour)
    return b, g, r

# Several people (result version 2): person `id` (1-based) is drawn in PEOPLE[(id - 1) % len(PEOPLE)], in the
# viewer (frontend/src/generated/tables.js: PEOPLE_COLOURS) and the overlay MP4 alike. Bright, far apart in
# hue, readable on the dark background and on video (person 9 is a green-lime at 88°: the lime at 66° sat too close to 6's yellow at 54°; hues, not greys: the e2e tests find people by hue).
PEOPLE = (0x4FC3F7, 0xFFB74D, 0x81C784, 0xE57373, 0xBA68C8, 0xFFF176, 0x4DB6AC, 0xF06292, 0x9CCC65, 0x7986CB)


def person_colour(person_id: int) -> int:
    return PEOPLE[(int(person_id) - 1) % len(PEOPLE)]
