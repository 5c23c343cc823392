#!/bin/sh
# ops/unsharp.sh — the unsharp mask on real masters and slaves, every pixel within 1 level
# (8-bit) or 2 (16-bit) of ImageMagick's -unsharp RxS+A+T: every layout, three parameter
# sets, blocks cut several ways.
. "$TESTLIB"

# Two checks an unsharp_matches: 8 kinds x 3 parameter sets, 6 more jobs; 4 on the inputs
# and outputs, 3 on the command line.
plan $((2 * (8 * 3 + 6) + 4 + 3))

# unsharp_matches DESC IN R S A T [BLUR ARGS...]: two checks, whether blur succeeds or not,
# so that the plan holds.
unsharp_matches() {
	desc=$1 in=$2 r=$3 s=$4 a=$5 t=$6
	shift 6
	depth=$(tag "$in" Bits/Sample)
	tol=$([ "$depth" = 16 ] && echo 2 || echo 1)
	rm -f "$T/out.tif" "$T/ref.tif"
	blur -master "$in" -o "$T/out.tif" -op unsharp -radius "$r" -sigma "$s" \
	    -amount "$a" -threshold "$t" -slaves 2 -q "$@"
	st=$?
	convert "$in" -unsharp "${r}x$s+$a+$t" "$T/ref.tif"
	check "$desc" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" "$depth" "$tol"'
	check "$desc: DIR left empty" dir_empty
}

# Every kind with ImageMagick's usual threshold, none, and a strong one, each in blocks of
# another height (the last one shorter): halos cut at the image's edges and between blocks.
for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 150x100 7
	unsharp_matches "$kind 4x2+1+0.05, rows 7" "$T/$kind.tif" 4 2 1 0.05 -rows 7
	unsharp_matches "$kind 2x1+2.5+0, rows 40" "$T/$kind.tif" 2 1 2.5 0 -rows 40
	unsharp_matches "$kind 6x3+0.8+0.1, rows 13" "$T/$kind.tif" 6 3 0.8 0.1 -rows 13
done

# The inputs were what their names say; the mask changed colour and kept alpha.
check "rgba16 input has 4 samples of 16 bits" '[ "$(tag "$T/rgba16.tif" Samples/Pixel)" = 4 ] && [ "$(tag "$T/rgba16.tif" Bits/Sample)" = 16 ]'
check "graya8 input has 2 samples" '[ "$(tag "$T/graya8.tif" Samples/Pixel)" = 2 ]'
check "the mask is not the input" '! same_pixels "$T/out.tif" "$T/rgba16.tif" 16 2'
convert "$T/out.tif" -alpha extract "$T/out-alpha.tif"
convert "$T/rgba16.tif" -alpha extract "$T/in-alpha.tif"
check "alpha comes through unchanged" 'same_pixels "$T/out-alpha.tif" "$T/in-alpha.tif" 16 0'

# One-row blocks, one block, the defaults (4x2+1+0.05), a wide radius, a negative amount,
# an image smaller than the mask.
unsharp_matches "one-row blocks" "$T/rgba8.tif" 3 1.5 1.2 0.02 -rows 1
unsharp_matches "one block" "$T/graya16.tif" 4 2 1 0.05 -rows 100000
rm -f "$T/out.tif"
blur -master "$T/rgb8.tif" -o "$T/out.tif" -op unsharp -slaves 2 -q
st=$?
convert "$T/rgb8.tif" -unsharp 4x2+1+0.05 "$T/ref.tif"
check "defaults are -unsharp 4x2+1+0.05" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" 8 1'
check "defaults: DIR left empty" dir_empty
unsharp_matches "radius 20 sigma 6" "$T/rgb16.tif" 20 6 1.5 0.01 -rows 30
unsharp_matches "amount -0.5" "$T/gray8.tif" 3 2 -0.5 0 -rows 9
make_image "$T/small.tif" rgba8 5x3 3
unsharp_matches "5x3 image, radius 6" "$T/small.tif" 6 3 2 0 -rows 2

# Values the mask refuses: exit status 2, one line on what is wrong (then the hint).
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op unsharp -threshold 1.5 2> "$T/err"
st=$?
check "threshold 1.5 refused" '[ $st -eq 2 ] && head -n 1 "$T/err" | grep -q -- "-threshold" && [ "$(grep -c "^blur: " "$T/err")" -eq 1 ] && [ ! -e "$T/bad.tif" ]'
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op unsharp -amount much 2> "$T/err"
st=$?
check "amount 'much' refused" '[ $st -eq 2 ] && head -n 1 "$T/err" | grep -q -- "-amount" && [ "$(grep -c "^blur: " "$T/err")" -eq 1 ]'
blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op unsharp -kernel 3x3 2> "$T/err"
st=$?
check "-kernel is not the mask's" '[ $st -eq 2 ] && head -n 1 "$T/err" | grep -q -- "-kernel" && [ "$(grep -c "^blur: " "$T/err")" -eq 1 ]'

finish
