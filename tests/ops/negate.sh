#!/bin/sh
# ops/negate.sh — negate on real masters and slaves, every pixel exactly ImageMagick's
# -negate (colour complemented, alpha kept): every layout, blocks cut two ways.
. "$TESTLIB"

plan $((2 * 8 * 2 + 2))

for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 150x100 9
	depth=${kind##*[a-z]}
	convert "$T/$kind.tif" -negate "$T/ref.tif"
	for rows in 1 40; do
		rm -f "$T/out.tif"
		blur -master "$T/$kind.tif" -o "$T/out.tif" -op negate -rows "$rows" -slaves 2 -q
		st=$?
		check "$kind, rows $rows" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" "$depth" 0'
		check "$kind, rows $rows: DIR left empty" 'dir_empty'
	done
done
check "negate is not the identity" '! same_pixels "$T/out.tif" "$T/rgba16.tif" 16 0'
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op negate -radius 2 2> "$T/err"
st=$?
check "-radius is not negate's" '[ $st -eq 2 ] && grep -q "^blur: -radius is not a parameter of negate (it takes none)$" "$T/err"'

finish
