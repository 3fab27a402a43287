"""Draws the dashboard's PWA icons (a glowing bulb on deep navy, the brand mark of the mock-ups) with the standard
library only: signed distance functions with analytic anti-aliasing, written as PNG through zlib and struct.

    python3 Tests/Browser/make_icons.py            # writes Dashboard/icons/*.png
    python3 Tests/Browser/make_icons.py --check    # exits 1 when the committed files differ
"""

import math
import struct
import sys
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "Dashboard" / "icons"


def png(width, height, rows):
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def clamp(x, lo=0.0, hi=1.0):
    return lo if x < lo else hi if x > hi else x


def mix(a, b, t):
    return tuple(a[i] + (b[i] - a[i]) * t for i in range(len(a)))


def sd_segment(px, py, ax, ay, bx, by):
    pax, pay, bax, bay = px - ax, py - ay, bx - ax, by - ay
    h = clamp((pax * bax + pay * bay) / (bax * bax + bay * bay))
    return math.hypot(pax - bax * h, pay - bay * h)


def sd_rounded_box(px, py, cx, cy, hw, hh, r):
    qx, qy = abs(px - cx) - hw + r, abs(py - cy) - hh + r
    return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r


def draw(size, scale, rounded):
    navy_top, navy_bottom = (11, 21, 51), (22, 40, 98)
    glow = (59, 130, 246)
    glass = (214, 232, 255)
    stroke = (147, 197, 253)
    rows = []
    px_size = 1.0 / size
    for j in range(size):
        row = []
        y = (j + 0.5) / size
        for i in range(size):
            x = (i + 0.5) / size
            # Background: vertical navy gradient, rounded corners for the "any" icon.
            color = mix(navy_top, navy_bottom, y)
            alpha = 1.0
            if rounded:
                d = sd_rounded_box(x, y, 0.5, 0.5, 0.5, 0.5, 0.22)
                alpha = clamp(0.5 - d / px_size)
            # Work in the bulb's own coordinates (scaled about the centre).
            bx, by = (x - 0.5) / scale + 0.5, (y - 0.5) / scale + 0.5
            bp = px_size / scale
            # Glow.
            g = math.hypot(bx - 0.5, by - 0.42)
            color = mix(color, glow, clamp(0.7 * math.exp(-((g / 0.26) ** 2))))
            # Bulb glass: a circle joined smoothly to a neck.
            circle = math.hypot(bx - 0.5, by - 0.40) - 0.20
            neck = sd_rounded_box(bx, by, 0.5, 0.60, 0.085, 0.07, 0.03)
            k = 0.06
            hmix = clamp(0.5 + 0.5 * (neck - circle) / k)
            body = neck * (1 - hmix) + circle * hmix - k * hmix * (1 - hmix)
            fill = clamp(0.5 - body / bp)
            color = mix(color, glass, fill * 0.92)
            edge = clamp(0.5 - (abs(body) - 0.012) / bp)
            color = mix(color, stroke, edge)
            # Filament.
            fil = min(
                sd_segment(bx, by, 0.46, 0.60, 0.46, 0.47),
                sd_segment(bx, by, 0.54, 0.60, 0.54, 0.47),
                sd_segment(bx, by, 0.46, 0.47, 0.43, 0.41),
                sd_segment(bx, by, 0.54, 0.47, 0.57, 0.41),
                sd_segment(bx, by, 0.43, 0.41, 0.5, 0.45),
                sd_segment(bx, by, 0.57, 0.41, 0.5, 0.45),
            ) - 0.011
            color = mix(color, (37, 99, 235), clamp(0.5 - fil / bp) * fill)
            # Screw base.
            for cy, hw in ((0.705, 0.075), (0.755, 0.065), (0.80, 0.04)):
                d = sd_rounded_box(bx, by, 0.5, cy, hw, 0.014, 0.014)
                color = mix(color, stroke, clamp(0.5 - d / bp))
            row.extend((round(color[0]), round(color[1]), round(color[2]), round(alpha * 255)))
        rows.append(row)
    return png(size, size, rows)


def icons():
    return {
        # The page's favicon: small, so the first load stays small.
        "icon-32.png": draw(32, 1.0, True),
        "icon-192.png": draw(192, 1.0, True),
        "icon-512.png": draw(512, 1.0, True),
        # Maskable: full-bleed background, the bulb inside the 80 % safe zone.
        "icon-maskable-512.png": draw(512, 0.72, False),
    }


def main():
    check = "--check" in sys.argv
    ICONS.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, data in icons().items():
        path = ICONS / name
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"wrote {path} ({len(data)} bytes)")
    if stale:
        print("out of date:", ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
