#!/bin/sh
# corpus.sh — every file of libtiff's test images (../shared/corpus/libtiff) gives either
# the right pixels or one clear line of error, never a crash or a hang, and DIR is left
# empty. The reference is ImageMagick's blur of libtiff's own decoding (tiff2rgba): for
# some of these files ImageMagick's reader gets the pixels wrong (old JPEG as YCbCr, two
# separate planes of gray and alpha), and the first directory is the image blur reads.
. "$TESTLIB"
: "${CORPUS:?set CORPUS to the corpus directory}"

# Kinds blur refuses, by design, with the reason it gives.
refused_kinds="logluv-3c-16b.tiff:LogLuv
test_float64_predictor2_be_lzw.tif:floating-point
test_float64_predictor2_le_lzw.tif:floating-point"

count=0
for f in "$CORPUS"/*.tif "$CORPUS"/*.tiff; do
	name=$(basename "$f")
	count=$((count + 1))
	rm -f "$T/out.tif"
	blur -master "$f" -o "$T/out.tif" -slaves 2 2> "$T/err"
	rc=$?
	want=$(echo "$refused_kinds" | sed -n "s/^$name://p")
	if [ -n "$want" ]; then
		check "$name: refused (status $rc)" [ $rc -eq 1 ]
		check "$name: one line naming the file and '$want'" sh -c \
		    "[ \$(wc -l < '$T/err') -eq 1 ] && grep -qF '$f: ' '$T/err' && grep -q '$want' '$T/err'"
		check "$name: no output" [ ! -e "$T/out.tif" ]
	else
		check "$name: blurred (status $rc)" [ $rc -eq 0 ]
		rm -f "$T/rgba.tif"
		tiff2rgba -c none "$f" "$T/rgba.tif" 2> /dev/null
		convert "$T/rgba.tif[0]" -blur 4x2 "$T/ref.tif"
		check "$name: pixels within 1 of the reference" same_pixels "$T/out.tif" "$T/ref.tif" 8 1
	fi
	check "$name: DIR empty" dir_empty
done
check "all 31 corpus files were tried" [ $count -eq 31 ]

finish
