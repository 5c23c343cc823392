#!/bin/sh
# ops/convolve.sh — convolution on real masters and slaves, every pixel within 1 level
# (8-bit) or 2 (16-bit) of ImageMagick's -define convolve:scale=S -morphology Convolve K:
# every layout, symmetric and asymmetric kernels with their origin anywhere, blocks cut
# several ways.
. "$TESTLIB"

# Two checks a convolve_matches: 8 kinds x 4 kernels, 6 more jobs; 3 on the inputs and
# outputs, 6 on the command line.
plan $((2 * (8 * 4 + 6) + 3 + 6))

# convolve_matches DESC IN KERNEL SCALE [BLUR ARGS...]: two checks, whether blur succeeds
# or not, so that the plan holds.
convolve_matches() {
	desc=$1 in=$2 kernel=$3 scale=$4
	shift 4
	depth=$(tag "$in" Bits/Sample)
	tol=$([ "$depth" = 16 ] && echo 2 || echo 1)
	rm -f "$T/out.tif" "$T/ref.tif"
	blur -master "$in" -o "$T/out.tif" -op convolve -kernel "$kernel" -scale "$scale" \
	    -slaves 2 -q "$@"
	st=$?
	convert "$in" -define convolve:scale="$scale" -morphology Convolve "$kernel" \
	    "$T/ref.tif"
	check "$desc" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" "$depth" "$tol"'
	check "$desc: DIR left empty" dir_empty
}

# A symmetric origin; an even width, a hole (nan) and negative values, the origin at the
# bottom left; a tall kernel whose origin is its last row (it reads 0 rows above, 6
# below); a Laplacian, half of it added to the image. Each in blocks of another height.
for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 150x100 7
	convolve_matches "$kind 3x3, rows 7" "$T/$kind.tif" "3x3: 1,2,3,4,5,6,7,8,9" ! \
	    -rows 7
	convolve_matches "$kind 4x3+0+2, rows 5" "$T/$kind.tif" \
	    "4x3+0+2: 1,-2,3,0.5, 2,nan,1,-1, 0,1,2,3" ! -rows 5
	convolve_matches "$kind 1x7+0+6, rows 3" "$T/$kind.tif" "1x7+0+6: 1,2,3,4,5,6,7" \
	    0.05 -rows 3
	convolve_matches "$kind Laplacian 50%,100%, rows 40" "$T/$kind.tif" \
	    "3x3: -1,-1,-1, -1,8,-1, -1,-1,-1" 50%,100% -rows 40
done

# The inputs were what their names say, and the kernel changed them.
check "rgba16 input has 4 samples of 16 bits" '[ "$(tag "$T/rgba16.tif" Samples/Pixel)" = 4 ] && [ "$(tag "$T/rgba16.tif" Bits/Sample)" = 16 ]'
check "graya8 input has 2 samples" '[ "$(tag "$T/graya8.tif" Samples/Pixel)" = 2 ]'
check "the convolution is not the input" '! same_pixels "$T/out.tif" "$T/rgba16.tif" 16 2'

# The old form (n² values), ^, the default scale, the origin in a corner in one-row
# blocks, one block, a 7x7 kernel on a 5x3 image.
convolve_matches "old form, 1 2 1 ..." "$T/rgb8.tif" "1 2 1 2 4 2 1 2 1" ! -rows 11
convolve_matches "scale ^" "$T/graya16.tif" "3x2+2+1: -1,-2,-1, 0,1,0" "^,100%" -rows 6
rm -f "$T/out.tif"
blur -master "$T/rgba8.tif" -o "$T/out.tif" -op convolve -slaves 2 -q \
    -kernel "2x2: 0.25,0.25,0.25,0.25"
st=$?
convert "$T/rgba8.tif" -morphology Convolve "2x2: 0.25,0.25,0.25,0.25" "$T/ref.tif"
check "default scale 1" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" 8 1'
check "default scale 1: DIR left empty" dir_empty
convolve_matches "5x5+4+4 in one-row blocks" "$T/rgba16.tif" \
    "5x5+4+4: 1,1,1,1,1, 1,2,2,2,1, 1,2,3,2,1, 1,2,2,2,1, 1,1,1,1,-9" ! -rows 1
convolve_matches "one block" "$T/rgb16.tif" "3x3+0+0: 0,1,0, 1,-4,1, 0,1,0" ",100%" \
    -rows 100000
make_image "$T/small.tif" graya8 5x3 3
convolve_matches "7x7 on a 5x3 image" "$T/small.tif" \
    "7: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49" \
    ! -rows 2

# Kernels and scales refused: exit status 2, one line on what is wrong (then the hint).
refused() {
	desc=$1 says=$2
	shift 2
	blur -master "$T/rgb8.tif" -o "$T/bad.tif" -op convolve "$@" 2> "$T/err"
	st=$?
	check "$desc" '[ $st -eq 2 ] && head -n 1 "$T/err" | grep -q -- "$says" && [ "$(grep -c "^blur: " "$T/err")" -eq 1 ] && [ ! -e "$T/bad.tif" ]'
}
refused "-kernel bad" "-kernel 'bad': named kernels ('bad') are not supported" -kernel bad
refused "too few values" "-kernel '3x3: 1,2': 2 values for a 3x3 kernel, which takes 9" \
    -kernel "3x3: 1,2"
refused "origin outside" "the origin is outside the 3x1 kernel" -kernel "3x1+3+0: 1,2,3"
refused "no -kernel" "convolve needs -kernel"
refused "-scale 2?" "-scale: '2?' is not a scale" -kernel "1: 1" -scale "2?"
refused "-radius is not convolve's" "-radius" -kernel "1: 1" -radius 3

finish
