"""png_check.py - is a PNG screenshot a page, not a blank one?

  png_check.py FILE RRGGBB...

Decodes FILE (8-bit RGB or RGBA, as Chromium writes them) with zlib
alone and exits 0 when more than 1 % of its pixels differ from the first
one and each colour RRGGBB (hex) is among its pixels; otherwise it says
what it found and exits 1.
"""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("FAIL %s: not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                sys.exit("FAIL %s: PNG depth %d type %d" % (path, depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    prev, out = bytearray(stride), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return out


px = pixels(sys.argv[1])
first = px[0]
differ = sum(1 for p in px if p != first)
seen = set(px)
missing = [c for c in sys.argv[2:] if bytes.fromhex(c) not in seen]
if differ * 100 <= len(px) or missing:
    print("FAIL %s: %d of %d pixels differ from the first; colours missing: %s"
          % (sys.argv[1], differ, len(px), missing))
    sys.exit(1)
print("ok   the screenshot: %d of %d pixels drawn, the chart's colours there"
      % (differ, len(px)))
