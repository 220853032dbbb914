#!/usr/bin/env bash
# Prints the paths of up to N (default 6) photographs for sample clips, one a
# line.  They come from Debian's lomiri-wallpapers-16.04 (photos the default
# model never saw in training: lomiri-wallpapers* is its held-out set),
# fetched once with `apt-get download` into ~/.cache/gst-ilgnet.  Prints
# nothing (and says why on stderr) when the package cannot be had, so callers
# fall back to generated scenes.
set -uo pipefail
n=${1:-6}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gst-ilgnet
dir=$cache/lomiri-16.04/usr/share/backgrounds
if [ ! -d "$dir" ]; then
  mkdir -p "$cache"
  echo "sample-photos: fetching photos (apt-get download lomiri-wallpapers-16.04)" >&2
  if ! (cd "$cache" && apt-get download lomiri-wallpapers-16.04 >/dev/null 2>&1 &&
      dpkg-deb -x lomiri-wallpapers-16.04_*.deb lomiri-16.04); then
    echo "sample-photos: no photos available; generated scenes only" >&2
    exit 0
  fi
fi
# A fixed, varied choice (landscape, close-up, city, people), then the rest.
{
  for f in sunset_by_Aitzol_Berasategi.jpg Dragonfly_by_Bolly.jpg \
      Bridge_by_Sander_Klootwijk.jpg friends_by_Aitzol_Berasategi.jpg \
      picosdeeuropa_by_Aitzol_Berasategi.jpg Wine_by_Jakkub_Mede.jpg; do
    [ -f "$dir/$f" ] && echo "$dir/$f"
  done
  ls "$dir"/*.jpg 2>/dev/null
} | awk '!seen[$0]++' | head -n "$n"
