#!/bin/sh
# corpus.sh — every TIFF of the corpora configure found (--with-corpus=DIR) gives the right
# pixels or one clear line of error, never a crash, a hang or a sanitizer report, and DIR
# is left empty.
#
# DIR/libtiff: libtiff's own test images, each checked against a reference: ImageMagick's
# blur of libtiff's own decoding (tiff2rgba), or for floating-point files the values
# check below. For some of these files ImageMagick's reader gets the pixels wrong (old
# JPEG as YCbCr, two separate planes of gray and alpha), and the first directory is the
# image blur reads.
#
# DIR/external: other readers' test files (MANIFEST.tsv lists them), many malformed. Each
# must be blurred into a file libtiff reads, or refused in one line naming it; at least
# 95 of them must give a result. Each result is then checked against `convert IN[0]
# -blur 4x2` (written uncompressed, or ImageMagick keeps a lossy or bilevel compression)
# with `compare -metric PAE`: within 1 level at 8 bits, 2 at 16 (odd depths are read by
# both at 16). Where ImageMagick reads a file wrong or not at all, the table `refs` names
# the reader that reads it right: GDAL (gdal_translate to a plain TIFF, then ImageMagick),
# vips (vips copy, then ImageMagick), or none, and then the result is only read back by
# libtiff (tiffinfo -D), each for the reason given there.
#
# Float and signed results are compared as values: GDAL maps input and output alike onto
# 16-bit integers (floats: the input's minimum and maximum onto 0-65535, so one level is
# 1/65535 of the range; signed: -2^(n-1) onto 0, exactly), ImageMagick blurs the mapped
# input, and the two must agree within 6 levels (under 1e-4 of the range) for floats, 1
# level for integers. ImageMagick reads ImageMagick's bands only: gray, RGB, CMYK and a
# first alpha; bands past those are not compared.
. "$TESTLIB"
[ -n "${CORPUS:-}" ] || skip_all "no TIFF corpus: ./configure --with-corpus=DIR, DIR holding" \
    "libtiff/ and external/ (the project's ../shared/corpus)"
[ -d "$CORPUS/libtiff" ] && [ -f "$CORPUS/external/MANIFEST.tsv" ] ||
	{ echo "$CORPUS: no libtiff/ and external/MANIFEST.tsv in it" >&2; exit 99; }

# Kinds blur refuses, by design, with the reason it gives.
refused_kinds="logluv-3c-16b.tiff:LogLuv"

# How many of the external files must give a result (blur gave 97 of 119 when this was set).
least=95

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

# The external files ImageMagick 6.9 does not read right, by name: the reader that does
# (gdal or vips, with gdal_translate's options for input and output, "-" for an output IM
# reads as it is), "nodata" (the hole value and the radius: holes kept, IM's blur far from
# them) or "none" (checked by libtiff reading only), and why. Float and signed files are compared as values (above)
# and are listed only when they cannot be checked that way.
refs="itiff-dscf0013.tif|gdal|||IM cannot decode uncompressed subsampled YCbCr
tm-guessPhotometric-flower-separated-planar-08.tif|gdal|-co PHOTOMETRIC=CMYK|-|IM cannot open a file with no Photometric; its InkSet says CMYK (GDAL would read blur's CMYK output as RGBA: IM reads it)
rio-RGB.byte.tif|nodata|0 4||GDAL_NODATA 0 marks holes: they stay holes, and samples more than 4 (the radius) from any hole are IM's blur
pillow-tiff_tiled_cmyk_jpeg.tif|vips|||IM cannot read JPEG-compressed CMYK tiles ('Can not read scanlines from a tiled image')
imgrs-clusterfuzz-5026894169374720.tif|gdal|||IM reads this corrupt planar RGBA JPEG as gray and alpha
rio-alpha.tif|gdal|||IM reads JPEG-compressed RGB with unassociated alpha premultiplied, and labels it unassociated
tm-incorrect-compression-rle-as-g3.tif|gdal|||IM refuses blur's output, a plain white 1700x32 Deflate strip of 49 bytes ('insufficient image data')
itiff-miniswhite-1c-12b.tiff|gdal|-ot UInt16 -scale 0 4095 0 65535 -co PHOTOMETRIC=MINISWHITE|-co PHOTOMETRIC=MINISWHITE|IM 6.9 does not invert a 12-bit MinIsWhite input (it does at 16)
tm-flower-rgb-contig-24.tif|gdal|-ot UInt16 -scale 0 16777215 0 65535|-ot UInt16 -scale 0 4294967295 0 65535|IM 6.9 misreads 24-bit samples (from the second pixel on)
cimg-oss-fuzz-53669.tiff|none|||malformed: min-is-black with a ColorMap of the wrong count and 4 samples; IM and GDAL read it as RGB plus alpha, blur as gray, alpha and 2 extra samples
pillow-hopper.Lab.tif|none|||IM reads 8-bit Lab a* and b* up to 2 levels off; blur is within 0.51 of a double-precision blur of the signed values (by hand, 2026-12-01; tests/formats.sh checks Lab against IM on made files)
itiff-int8_rgb.tif|none|||signed 8-bit: IM 6.9 misreads it, GDAL 3.6 hands its bytes over unsigned (PIXELTYPE=SIGNEDBYTE)
itiff-tiled-oversize-gray-i8.tif|none|||signed 8-bit: IM 6.9 misreads it, GDAL 3.6 hands its bytes over unsigned (PIXELTYPE=SIGNEDBYTE)
vips-multi-channel-z-series.ome.tif|none|||signed 8-bit: IM 6.9 misreads it, GDAL 3.6 hands its bytes over unsigned (PIXELTYPE=SIGNEDBYTE)
itiff-predictor-3-rgb-f32.tif|none|||IM's blur of GDAL's 16-bit scaling is 3.5e-4 of the range away; blur is within 4.5e-7 of the range of a double-precision blur (by hand, 2026-12-01)
tm-extra-channels.tif|none|||associated alpha that is not the last sample: colour stays premultiplied, blurred as plain bands (the right blur of premultiplied colour); IM divides by alpha and rounds, 1.34 levels apart"

# ref_field NAME N: field N of NAME's line in refs, empty if NAME has none.
ref_field() { echo "$refs" | awk -F'|' -v n="$1" -v f="$2" '$1 == n { print $f }'; }

# plain IN OUT OPTIONS...: IN as an uncompressed TIFF, through GDAL.
plain() {
	in=$1 out=$2
	shift 2
	rm -f "$out"
	gdal_translate -q -co COMPRESS=NONE "$@" "$in" "$out" > /dev/null 2>&1
}

# span FILE: the smallest and largest sample of FILE over its bands, as GDAL reads them.
span() {
	gdalinfo -mm "$1" 2>/dev/null | sed -n 's/.*Computed Min\/Max=//p' | tr ',' '\n' |
	    sort -g | sed -n '1p;$p' | tr '\n' ' '
}

# reference NAME FILE: set $a and $b to the two images to compare (blur's result and the
# reference), $depth to the depth compared and $tol to the tolerance in levels of it;
# returns 1 when NAME is checked by libtiff reading only.
reference() {
	rname=$1 rfile=$2 a=$T/out.tif b=$T/ref.tif in="$2[0]"
	format=$(tag "$T/out.tif" "Sample Format") bits=$(tag "$T/out.tif" "Bits/Sample")
	depth=16 tol=2
	[ "$bits" -le 8 ] && depth=8 tol=1
	case $format in
	IEEE*)
		span=$(span "$rfile")
		values "$rfile" -ot UInt16 -scale $span 0 65535
		depth=16 tol=6 ;;
	signed*)
		type=UInt16
		[ $depth -eq 8 ] && type=Byte
		values "$rfile" -ot $type -scale "-$((1 << (depth - 1)))" \
		    "$(((1 << (depth - 1)) - 1))" 0 "$(((1 << depth) - 1))"
		tol=1 ;;
	esac
	far=
	case $(ref_field "$rname" 2) in
	none) return 1 ;;
	nodata) far=$(ref_field "$rname" 3) ;;
	gdal)
		plain "$rfile" "$T/in.tif" $(ref_field "$rname" 3)
		if [ "$(ref_field "$rname" 4)" != - ]; then
			plain "$T/out.tif" "$T/a.tif" $(ref_field "$rname" 4)
			a=$T/a.tif
		fi
		in=$T/in.tif ;;	# after plain(), which sets its own `in`
	vips)
		rm -f "$T/in.tif"
		vips copy "$rfile" "$T/in.tif" > /dev/null 2>&1
		in=$T/in.tif ;;
	esac
	rm -f "$T/ref.tif"
	convert "$in" -blur 4x2 -depth "$depth" -compress none "$T/ref.tif" 2> /dev/null
	return 0
}

# values FILE OPTIONS...: FILE and blur's result mapped alike by gdal_translate OPTIONS.
values() {
	vfile=$1
	shift
	plain "$vfile" "$T/in.tif" "$@"
	plain "$T/out.tif" "$T/a.tif" "$@"
	a=$T/a.tif in=$T/in.tif
}

# matches: $a is within $tol levels at $depth bits of $b, every sample ImageMagick reads
# (compare's PAE is in 16-bit levels). With associated alpha, colour is compared
# premultiplied, as stored: ImageMagick divides it by alpha, which magnifies the rounding
# of a faint pixel's colour. With nodata ($far: the value and a radius), blur's holes are
# the input's and only samples far from them are compared, by pixdiff.
matches() {
	if [ -n "$far" ]; then
		said=$("$PIXDIFF" -holes ${far% *} "$a" "$rfile" 1000000000) &&
		    said="$said; far from holes: $("$PIXDIFF" -far $far "$a" "$b" "$tol")"
		st=$?
		echo "# holes: $said"
		return $st
	fi
	case $(tag "$a" "Extra Samples") in
	*assoc-alpha*)
		pae "$a" "$b" -background black -alpha remove &&
		    pae "$a" "$b" -alpha extract ;;
	*)
		pae "$a" "$b" ;;
	esac
}

# pae A B OPTIONS...: A and B, each as convert OPTIONS makes it, are within the tolerance
# (their first images: an input's overviews are made again in blur's).
pae() {
	pa=$1 pb=$2
	shift 2
	convert "$pa[0]" "$@" -depth 16 "$T/pa.tif" && convert "$pb[0]" "$@" -depth 16 "$T/pb.tif" &&
	pae=$(compare -metric PAE "$T/pa.tif" "$T/pb.tif" null: 2>&1 | sed -n '$s/ .*//p')
	echo "# peak error ${pae:-?} of 65535, tolerance $tol at $depth bits ($*)"
	awk -v e="${pae:-x}" -v t="$tol" -v d="$depth" \
	    'BEGIN { exit !(e + 0 == e && e <= t * (d == 8 ? 257 : 1)) }'
}

nlibtiff=$(tiffs "$CORPUS/libtiff" | wc -l)
nexternal=$(tiffs "$CORPUS/external" | wc -l)
listed=$(tail -n +2 "$CORPUS/external/MANIFEST.tsv" | grep -c .)
echo "# $CORPUS: $nlibtiff files in libtiff/, $nexternal in external/ ($listed listed)"
plan $((3 * nlibtiff + 4 * nexternal + 3))

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
		# A palette as ImageMagick reads it: tiff2rgba truncates its entries.
		case $(tag "$T/out.tif" "Sample Format")/$(tag "$f" "Photometric Interpretation") in
		IEEE*/* | */palette*)
			reference "$name" "$f"
			check "$name: values within $tol at $depth bits of the reference" matches ;;
		*)
			rm -f "$T/rgba.tif"
			tiff2rgba -c none "$f" "$T/rgba.tif" 2> /dev/null
			convert "$T/rgba.tif[0]" -blur 4x2 "$T/ref.tif"
			check "$name: pixels within 1 of the reference" \
			    'same_pixels "$T/out.tif" "$T/ref.tif" 8 1' ;;
		esac
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
	if [ $rc -ne 0 ]; then
		# A file the table says how to check must give a result.
		check "$name: refused, and not listed in refs" '[ -z "$(ref_field "$name" 2)" ]'
	elif reference "$name" "$f"; then
		check "$name: within $tol at $depth bits of ImageMagick's blur" matches
	else
		check "$name: read back by libtiff only ($(ref_field "$name" 5))" \
		    'tiffinfo -D "$T/out.tif" > /dev/null 2>&1'
	fi
done
check "external/: tried as many files as MANIFEST.tsv lists ($listed)" '[ $tried -eq $listed ]'
echo "# external: $blurred blurred, $refusals refused"
check "external/: at least $least of $listed give a result ($blurred)" '[ $blurred -ge $least ]'

finish
