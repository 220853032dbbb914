"""Reads the files out of a compiled Qt resource bundle (.rcc).

GCompris ships its pictures inside .rcc bundles; this reader lets photos.py
take the photographs from them without Qt.  Layout (Qt's rcc format,
versions 1-3): a 'qres' header with the offsets of the tree, data and name
tables; tree entries of 14 bytes (22 from version 2: a modification time
follows) holding a name offset, flags (1 zlib, 2 directory, 4 zstd) and
either a child range or a data offset; each data blob is a big-endian
length followed by the bytes; each name a length, a hash and UTF-16BE text.
"""

import struct
import zlib

FLAG_ZLIB, FLAG_DIR, FLAG_ZSTD = 1, 2, 4


class RccError(ValueError):
    pass


def files(blob):
    """Yields (path, bytes) for every file in the bundle.  zstd-compressed
    files (flag 4) are skipped: Python has no zstd in Debian 12's standard
    library, and the bundles store their pictures uncompressed anyway."""
    if blob[:4] != b"qres" or len(blob) < 20:
        raise RccError("not a Qt resource bundle")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    if not 1 <= version <= 3:
        raise RccError("unknown rcc version %d" % version)
    entry_size = 14 if version == 1 else 22

    def name_at(off):
        (n,) = struct.unpack_from(">H", blob, names + off)
        start = names + off + 6
        return blob[start:start + 2 * n].decode("utf-16-be")

    def walk(index, prefix, depth):
        if depth > 64:
            raise RccError("directory tree too deep")
        o = tree + index * entry_size
        name_off, flags = struct.unpack_from(">IH", blob, o)
        name = name_at(name_off) if index else ""
        path = prefix + "/" + name if index else ""
        if flags & FLAG_DIR:
            count, first = struct.unpack_from(">II", blob, o + 6)
            for child in range(first, first + count):
                yield from walk(child, path, depth + 1)
            return
        (off,) = struct.unpack_from(">I", blob, o + 10)
        (size,) = struct.unpack_from(">I", blob, data + off)
        payload = blob[data + off + 4:data + off + 4 + size]
        if len(payload) != size:
            raise RccError("truncated bundle: %s is cut short" % path)
        if flags & FLAG_ZSTD:
            return
        if flags & FLAG_ZLIB:
            payload = zlib.decompress(payload[4:])  # after the unpacked size
        yield path, payload

    try:
        yield from walk(0, "", 0)
    except struct.error as e:
        raise RccError("truncated bundle: %s" % e) from None
