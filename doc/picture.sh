#!/bin/sh
# doc/picture.sh — make doc/before-after.png for the README with blur itself, from
# libtiff's peppers test image: the input beside `blur -radius 6 -sigma 3`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
in=${1:-$top/../shared/corpus/libtiff/rgb-3c-8b.tiff}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/src/blur" -master "$in" -o "$tmp/after.tif" -radius 6 -sigma 3 -slaves 2 -q \
    -dir "$tmp/dir"
convert "$in" "$tmp/after.tif" -bordercolor white -border 4 +append -scale 200% \
    -strip "$top/doc/before-after.png"
