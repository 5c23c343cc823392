#!/bin/sh
# ops/median.sh — the median on real masters and slaves, every pixel exactly ImageMagick's
# -statistic Median (2R+1)x(2R+1): every layout, radii 1, 2 and 5, blocks cut several ways.
. "$TESTLIB"

# Two checks a median_matches: 8 kinds x 3 radii x 2 block heights, 4 more jobs; 3 on the
# inputs, 3 on the command line.
plan $((2 * (8 * 3 * 2 + 4) + 3 + 3))

# median_matches DESC IN RADIUS [BLUR ARGS...]: two checks, whether blur succeeds or not,
# so that the plan holds. The median picks one of the window's samples, so no tolerance.
median_matches() {
	desc=$1 in=$2 r=$3
	shift 3
	depth=$(tag "$in" Bits/Sample)
	rm -f "$T/out.tif" "$T/ref.tif"
	blur -master "$in" -o "$T/out.tif" -op median -radius "$r" -slaves 2 -q "$@"
	st=$?
	convert "$in" -statistic Median "$((2 * r + 1))x$((2 * r + 1))" "$T/ref.tif"
	check "$desc" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" "$depth" 0'
	check "$desc: DIR left empty" dir_empty
}

# Every kind, each radius, in blocks of 7 rows and of 40 (the last one shorter): halos
# cut at the image's edges and at no block's.
for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 150x100 7
	for r in 1 2 5; do
		for rows in 7 40; do
			median_matches "$kind radius $r, rows $rows" "$T/$kind.tif" "$r" -rows "$rows"
		done
	done
done

# The inputs were what their names say, and the median changed them.
check "rgba16 input has 4 samples of 16 bits" '[ "$(tag "$T/rgba16.tif" Samples/Pixel)" = 4 ] && [ "$(tag "$T/rgba16.tif" Bits/Sample)" = 16 ]'
check "graya8 input has 2 samples" '[ "$(tag "$T/graya8.tif" Samples/Pixel)" = 2 ]'
check "the median is not the input" '! same_pixels "$T/out.tif" "$T/rgba16.tif" 16 0'

# One-row blocks, one block, the default radius, an image smaller than the window.
median_matches "one-row blocks, radius 5" "$T/rgba16.tif" 5 -rows 1
median_matches "one block" "$T/graya16.tif" 5 -rows 100000
median_matches "default radius 2" "$T/rgb8.tif" 2
make_image "$T/small.tif" rgb8 5x3 3
median_matches "5x3 image, radius 5" "$T/small.tif" 5 -rows 2

# Values the median refuses, with exit status 2 and a word on what is wrong.
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op median -radius 128 2> "$T/err"
st=$?
check "radius 128 refused" '[ $st -eq 2 ] && grep -q -- "-radius" "$T/err" && [ ! -e "$T/bad.tif" ]'
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op median -radius 0 2> "$T/err"
st=$?
check "radius 0 refused" '[ $st -eq 2 ] && grep -q -- "-radius" "$T/err"'
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op median -sigma 2 2> "$T/err"
st=$?
check "-sigma is not the median's" '[ $st -eq 2 ] && grep -q -- "-sigma" "$T/err"'

finish
