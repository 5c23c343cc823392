#!/bin/sh
# jobs.sh — real masters and slaves on generated TIFFs of every kind, each pixel compared
# with ImageMagick: ±1 level at 8 bits, ±2 at 16 bits.
. "$TESTLIB"

# Two checks a blur_matches: 8 kinds x 5 layouts, 7 sigmas, 3 x 2 box, 3 block heights,
# 5 x 2 sizes; 4 on the inputs, 2 on strips, 8 on tags, 2 on defaults, 7 outside slaves.
plan $((2 * (8 * 5 + 7 + 3 * 2 + 3 + 5 * 2) + 4 + 2 + 8 + 2 + 7))

# blur_matches DESC IN FILTER RADIUS SIGMA [BLUR ARGS...]: two checks, whether blur
# succeeds or not, so that the plan holds.
blur_matches() {
	desc=$1 in=$2 filter=$3 r=$4 s=$5
	shift 5
	depth=$(tag "$in" Bits/Sample)
	tol=$([ "$depth" = 16 ] && echo 2 || echo 1)
	rm -f "$T/out.tif" "$T/ref.tif"
	sigma=$([ "$filter" = gaussian ] && echo "-sigma $s")
	blur -master "$in" -o "$T/out.tif" -filter "$filter" -radius "$r" $sigma \
	    -slaves 2 "$@"
	st=$?
	im_blur "$in" "$T/ref.tif" "$filter" "$r" "$s"
	check "$desc" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$T/ref.tif" "$depth" "$tol"'
	check "$desc: DIR left empty" dir_empty
}

# Every kind of pixel, stored every way.
for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 300x200 7
	for layout in none lzw zip tiled planar; do
		in=$T/$kind-$layout.tif
		case $layout in
		none) cp "$T/$kind.tif" "$in" ;;
		tiled) tiffcp -c lzw -t -w 64 -l 32 "$T/$kind.tif" "$in" ;;
		planar) convert "$T/$kind.tif" -interlace plane -compress zip "$in" ;;
		*) tiffcp -c "$layout" "$T/$kind.tif" "$in" ;;
		esac
		blur_matches "$kind $layout" "$in" gaussian 4 2
	done
done

# The input really was what its name says (or the loop above proved less than it claims).
check "gray+alpha input has 2 samples" '[ "$(tag "$T/graya16-planar.tif" Samples/Pixel)" = 2 ]'
check "rgba input has 4 samples" '[ "$(tag "$T/rgba8-tiled.tif" Samples/Pixel)" = 4 ]'
check "tiled input is tiled" 'tiffinfo "$T/rgb8-tiled.tif" | grep -q "Tile Width"'
check "planar input is planar" 'tiffinfo "$T/rgb16-planar.tif" | grep -q "separate image planes"'

# Radii and sigmas, the box filter, block heights.
for rs in "1 0.5" "2 1" "3 0.4" "7 3.3" "10 5" "10 1.5" "5 8"; do
	set -- $rs
	blur_matches "gaussian radius $1 sigma $2" "$T/rgb8-lzw.tif" gaussian "$1" "$2"
done
for r in 1 3 10; do
	blur_matches "box radius $r" "$T/rgb8-none.tif" box "$r" 1
	blur_matches "box radius $r, 16-bit alpha" "$T/rgba16-none.tif" box "$r" 1
done
blur_matches "one-row blocks" "$T/graya8-none.tif" gaussian 3 1.5 -rows 1
blur_matches "odd block height" "$T/rgb16-none.tif" gaussian 4 2 -rows 7
blur_matches "one block" "$T/rgb8-none.tif" gaussian 4 2 -rows 100000
# Output strips: whole strips per block (their height divides it), at most 256 KiB.
blur -master "$T/rgb8-none.tif" -o "$T/rows12.tif" -rows 12 -slaves 1
per=$(tag "$T/rows12.tif" Rows/Strip)
width=$(tag "$T/rows12.tif" "Image Width" | cut -d' ' -f1)
check "strip height $per divides the block height 12" '[ "${per:-0}" -gt 0 ] && [ $((12 % per)) -eq 0 ]'
check "a strip holds at most 256 KiB" '[ -n "$per" ] && [ -n "$width" ] && [ $((per * width * 3)) -le 262144 ]'

# Sizes from one pixel up.
for size in 1x1 1x9 9x1 5x3 1000x600; do
	make_image "$T/s$size.tif" rgb8 "$size" 3
	blur_matches "size $size" "$T/s$size.tif" gaussian 4 2
	blur_matches "size $size, radius 10" "$T/s$size.tif" gaussian 10 3
done

# The output keeps the input's shape and tags (tiffinfo's "Image Width" line has the
# length too, its "Resolution" line the unit). A tag missing from both would compare
# equal: the input must have each.
convert "$T/rgb16.tif" -density 300x150 -units PixelsPerInch -compress lzw "$T/tagged.tif"
blur -master "$T/tagged.tif" -o "$T/tagged-out.tif" -slaves 1
for t in "Image Width" Bits/Sample Samples/Pixel "Photometric Interpretation" \
    "Compression Scheme" Resolution; do
	check "output keeps $t" 'v=$(tag "$T/tagged.tif" "$t") && [ -n "$v" ] && [ "$(tag "$T/tagged-out.tif" "$t")" = "$v" ]'
done
check "output keeps the resolution unit" '[ "$(tag "$T/tagged-out.tif" Resolution)" = "300, 150 pixels/inch" ]'
blur -master "$T/graya16-planar.tif" -o "$T/ga.tif" -slaves 1
check "output keeps alpha" '[ "$(tag "$T/ga.tif" "Extra Samples")" = "1<unassoc-alpha>" ]'

# The default output name, beside the input; -sigma defaults to radius / 2.
mkdir "$T/photos"
cp "$T/rgb8-none.tif" "$T/photos/img.tif"
blur -master "$T/photos/img.tif" -radius 6 -slaves 2
check "default output is photos/img-blur.tif" '[ -f "$T/photos/img-blur.tif" ]'
convert "$T/photos/img.tif" -blur 6x3 "$T/ref.tif"
check "default sigma is radius/2" 'same_pixels "$T/photos/img-blur.tif" "$T/ref.tif" 8 1'

# Slaves started before the master, with no local slaves: the exact commands of the README.
mkdir "$T/cwd"
cp "$T/s1000x600.tif" "$T/cwd/img.tif"
(cd "$T/cwd" && "$BLUR" -slave > "$T/slave1.out" 2>&1) &
s1=$!
(cd "$T/cwd" && "$BLUR" -slave > "$T/slave2.out" 2>&1) &
s2=$!
check "master with outside slaves succeeds" '(cd "$T/cwd" && blur -master img.tif -radius 4 2> "$T/master.err")'
check "master told how to start slaves" 'grep -q "blur -slave -dir $BLUR_DIR" "$T/master.err"'
check "first slave exits 0 when the job ends" 'wait $s1'
check "second slave exits 0 when the job ends" 'wait $s2'
n1=$(sed -n 's/^Finished: \([0-9]*\) blocks*$/\1/p' "$T/slave1.out")
n2=$(sed -n 's/^Finished: \([0-9]*\) blocks*$/\1/p' "$T/slave2.out")
blocks=$(sed -n 's/^blur: img\.tif: \([0-9]*\) blocks* of .*/\1/p' "$T/master.err")
check "slaves say Finished: N blocks, together all the master's ($blocks)" '[ -n "$blocks" ] && [ $((n1 + n2)) -eq "$blocks" ]'
convert "$T/cwd/img.tif" -blur 4x2 "$T/ref.tif"
check "outside slaves' result matches" 'same_pixels "$T/cwd/img-blur.tif" "$T/ref.tif" 8 1'
check "DIR left empty after outside slaves" dir_empty

finish
