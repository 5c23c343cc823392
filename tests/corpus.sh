#!/bin/sh
# corpus.sh — every TIFF of the corpora configure found (--with-corpus=DIR) gives the right
# pixels or one clear line of error, never a crash, a hang or a sanitizer report, and DIR
# is left empty.
#
# DIR/libtiff: libtiff's own test images, each checked against a reference: ImageMagick's
# blur of libtiff's own decoding (tiff2rgba). For some of these files ImageMagick's reader
# gets the pixels wrong (old JPEG as YCbCr, two separate planes of gray and alpha), and
# the first directory is the image blur reads.
#
# DIR/external: other readers' test files (MANIFEST.tsv lists them), many malformed. Each
# must be blurred into a file libtiff reads, or refused in one line naming it; which of
# the two is counted, not judged.
. "$TESTLIB"
[ -n "${CORPUS:-}" ] || skip_all "no TIFF corpus: ./configure --with-corpus=DIR, DIR holding" \
    "libtiff/ and external/ (the project's ../shared/corpus)"
[ -d "$CORPUS/libtiff" ] && [ -f "$CORPUS/external/MANIFEST.tsv" ] ||
	{ echo "$CORPUS: no libtiff/ and external/MANIFEST.tsv in it" >&2; exit 99; }

# Kinds blur refuses, by design, with the reason it gives.
refused_kinds="logluv-3c-16b.tiff:LogLuv
test_float64_predictor2_be_lzw.tif:floating-point
test_float64_predictor2_le_lzw.tif:floating-point"

# tiffs FOLDER: the names of its TIFF files.
tiffs() { ls "$1" | grep '\.tiff\{0,1\}$'; }

# run FILE: blur it into $T/out.tif with two slaves of its own; its status in $rc, its
# stderr in $T/err.
run() {
	rm -f "$T/out.tif"
	blur -master "$1" -o "$T/out.tif" -slaves 2 2> "$T/err"
	rc=$?
}

# outputs: how many files in $T are the output or a part of it.
outputs() { ls -A "$T" | grep -c 'out\.tif'; }

# refused FILE: blur said why in one line naming FILE, and left no output.
refused() {
	[ $rc -eq 1 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -qF "$1: " "$T/err" &&
	    [ "$(outputs)" -eq 0 ]
}

# sane: not killed by a signal or the timeout, and no sanitizer had anything to say.
sane() { [ $rc -lt 124 ] && ! grep -q 'Sanitizer\|runtime error' "$T/err"; }

nlibtiff=$(tiffs "$CORPUS/libtiff" | wc -l)
nexternal=$(tiffs "$CORPUS/external" | wc -l)
listed=$(tail -n +2 "$CORPUS/external/MANIFEST.tsv" | grep -c .)
echo "# $CORPUS: $nlibtiff files in libtiff/, $nexternal in external/ ($listed listed)"
plan $((3 * (nlibtiff + nexternal) + 2))

tried=0
for name in $(tiffs "$CORPUS/libtiff"); do
	f=$CORPUS/libtiff/$name
	tried=$((tried + 1))
	run "$f"
	want=$(echo "$refused_kinds" | sed -n "s/^$name://p")
	if [ -n "$want" ]; then
		check "$name: refused in one line naming the file (status $rc)" 'refused "$f"'
		check "$name: the line says '$want'" 'grep -q "$want" "$T/err"'
	else
		check "$name: blurred (status $rc)" '[ $rc -eq 0 ] && sane'
		rm -f "$T/rgba.tif"
		tiff2rgba -c none "$f" "$T/rgba.tif" 2> /dev/null
		convert "$T/rgba.tif[0]" -blur 4x2 "$T/ref.tif"
		check "$name: pixels within 1 of the reference" \
		    'same_pixels "$T/out.tif" "$T/ref.tif" 8 1'
	fi
	check "$name: DIR empty" dir_empty
done
check "libtiff/: all $nlibtiff files were tried" '[ $tried -eq $nlibtiff ]'

tried=0 blurred=0 refusals=0
for name in $(tiffs "$CORPUS/external"); do
	f=$CORPUS/external/$name
	tried=$((tried + 1))
	run "$f"
	case $rc in
	0) blurred=$((blurred + 1)) ;;
	1) refusals=$((refusals + 1)) ;;
	esac
	check "$name: blurred into a TIFF, or refused in one line naming it (status $rc)" \
	    '{ [ $rc -eq 0 ] && [ "$(outputs)" -eq 1 ] && tiffinfo "$T/out.tif" > /dev/null 2>&1; } ||
	    refused "$f"'
	check "$name: no crash, hang or sanitizer report" sane
	check "$name: DIR empty" dir_empty
done
check "external/: tried as many files as MANIFEST.tsv lists ($listed)" '[ $tried -eq $listed ]'
echo "# external: $blurred blurred, $refusals refused"

finish
