#!/bin/sh
# formats.sh — real masters and slaves on TIFFs of every sample format, odd depths, many
# bands, CMYK, Lab, GDAL_NODATA holes and Orientation, made here with gdal_translate and
# convert and compared with ImageMagick, sample by sample, in their own format
# (tests/pixdiff reads them with libtiff as stored).
. "$TESTLIB"

for tool in gdal_translate gdalbuildvrt gdalwarp gdalinfo tiffset; do
	command -v "$tool" > /dev/null || skip_all "$tool not found (apt-get install gdal-bin libtiff-tools)"
done
# GDAL would leave .aux.xml files beside its inputs and outputs.
export GDAL_PAM_ENABLED=NO

# Sample formats: 4 checks each, 5 against ImageMagick reading them, 3 + 1 more for
# signed ones and 2 x 2 for floats beyond [0, 1]; odd depths: 3 each; bands: 2 + 7 and 2 + 3; CMYK 3 x 3 + 1; Lab 3 x 2;
# nodata: 6 x 2 + 2; orientation: 4 + 3; a 16-bit palette: 4.
plan $((4 * 9 + 5 + 3 + 1 + 2 * 2 + 3 * 8 + 9 + 5 + 10 + 6 + 14 + 7 + 4))

# format_of FILE: u16, i8, f32...: the kind and size of its samples, as tiffinfo says.
format_of() {
	case $(tag "$1" "Sample Format") in
	"signed integer") printf i ;;
	"IEEE floating point") printf f ;;
	*) printf u ;;
	esac
	tag "$1" Bits/Sample
}

# lowest FILE, highest FILE: of its first band, holes left out, as GDAL computes them.
lowest() { gdalinfo -mm "$1" 2> /dev/null | sed -n 's/.*Computed Min\/Max=\([^,]*\),.*/\1/p' | head -n 1; }
highest() { gdalinfo -mm "$1" 2> /dev/null | sed -n 's/.*Computed Min\/Max=[^,]*,//p' | head -n 1; }

# below A B: whether number A < B (never when either is missing).
below() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# blurred IN OUT [ARGS]: blur -radius 4 -sigma 2 with two slaves; $st is its status.
blurred() {
	in=$1 out=$2
	shift 2
	rm -f "$out"
	blur -master "$in" -o "$out" -radius 4 -sigma 2 -slaves 2 -q "$@"
	st=$?
}

# im IN OUT DEPTH: ImageMagick's -blur 4x2 of IN, written DEPTH-bit.
im() { convert "$1" -blur 4x2 -depth "$3" "$2" 2> /dev/null; }

# translate ARGS...: gdal_translate, quiet.
translate() { gdal_translate -q "$@" > /dev/null; }

g8=$T/g8.tif g16=$T/g16.tif
make_image "$g8" gray8 120x80 7
make_image "$g16" gray16 120x80 7
im "$g8" "$T/g8-im.tif" 8
im "$g16" "$T/g16-im.tif" 16

# format NAME FORMAT OUTFORMAT: 3 checks: $T/NAME.tif is of FORMAT, blur succeeds, and
# its output $T/NAME-out.tif is of OUTFORMAT.
format() {
	name=$1 from=$2 to=$3
	check "$name: the input is $from" '[ "$(format_of "$T/$name.tif")" = "$from" ]'
	blurred "$T/$name.tif" "$T/$name-out.tif"
	check "$name: blurred" '[ $st -eq 0 ]'
	check "$name: the output is $to" '[ "$(format_of "$T/$name-out.tif")" = "$to" ]'
}

# Each format made from the 8- or 16-bit gray image by an exact linear map, so that
# ImageMagick's blur of that image is the reference, compared in its 8- or 16-bit
# levels (signed samples offset by half the range, floats from [0, 1]). ImageMagick
# reads 32-bit, int16 and float files itself too; not int8 and int32, whose negative
# values it wraps around even with -define quantum:format=signed.
cp "$g8" "$T/uint8.tif"
cp "$g16" "$T/uint16.tif"
translate -ot UInt32 -scale 0 65535 0 4294967295 "$g16" "$T/uint32.tif"
translate -ot Int16 -scale 0 65535 -32768 32767 "$g16" "$T/int16.tif"
translate -ot Int32 -scale 0 65535 -2147483648 2147483647 "$g16" "$T/int32.tif"
# GDAL 3.6 has no Int8 but labels bytes signed: v - 128 is v with its top bit flipped.
convert "$g8" -fx 'u < 0.5 ? u + 128 / 255 : u - 128 / 255' -depth 8 "$T/x8.tif"
translate -co PIXELTYPE=SIGNEDBYTE "$T/x8.tif" "$T/int8.tif"
translate -ot Float32 -scale 0 65535 0 1 "$g16" "$T/float32.tif"
translate -ot Float64 -scale 0 65535 0 1 "$g16" "$T/float64.tif"
translate -co NBITS=16 "$T/float32.tif" "$T/float16.tif"
# Half floats carry 11 bits: their reference is their float32 copy (GDAL's), blurred.
translate -ot Float32 "$T/float16.tif" "$T/f16-as-32.tif"
blurred "$T/f16-as-32.tif" "$T/f16-as-32-out.tif"

# NAME FORMAT OUTFORMAT LEVELS TOLERANCE REFERENCE [LEVELS TOLERANCE]: the last two
# for ImageMagick's blur of the file itself.
for c in "uint8 u8 u8 8 1 $T/g8-im.tif" \
    "uint16 u16 u16 16 2 $T/g16-im.tif" \
    "uint32 u32 u32 16 2 $T/g16-im.tif 16 2" \
    "int8 i8 i8 8 1 $T/g8-im.tif" \
    "int16 i16 i16 16 2 $T/g16-im.tif 16 2" \
    "int32 i32 i32 16 2 $T/g16-im.tif" \
    "float32 f32 f32 16 2.5 $T/g16-im.tif 16 2.5" \
    "float64 f64 f64 16 2.5 $T/g16-im.tif 16 2.5" \
    "float16 f16 f32 0 1e-6 $T/f16-as-32-out.tif 16 2.5"; do
	set -- $c
	format "$1" "$2" "$3"
	scale=$([ "$4" = 0 ] || echo "-n $4") tol=$5 ref=$6 levels=${7:-} imtol=${8:-}
	check "$name: within $tol of $(basename "$ref")" \
	    'pixels $scale "$T/$name-out.tif" "$ref" "$tol"'
	[ -n "$levels" ] || continue
	im "$T/$name.tif" "$T/ref.tif" "$levels"
	check "$name: within $imtol of ImageMagick's blur of the file itself" \
	    'pixels -n "$levels" "$T/$name-out.tif" "$T/ref.tif" "$imtol"'
done

# Signed samples against a float64 copy through blur, in their own units: within 1 level
# (int32: within 656, 1/100 of a 16-bit level, as its float computation carries 24
# bits). GDAL 3.6 reads signed bytes as unsigned: int8's copy is made from the original.
translate -ot Float64 -scale 0 255 -128 127 "$g8" "$T/int8-f.tif"
translate -ot Float64 "$T/int16.tif" "$T/int16-f.tif"
translate -ot Float64 "$T/int32.tif" "$T/int32-f.tif"
for c in "int8 1" "int16 1" "int32 656"; do
	set -- $c
	name=$1 tol=$2
	blurred "$T/$name-f.tif" "$T/$name-f-out.tif"
	check "$name: within $tol of its float64 copy blurred" \
	    '[ $st -eq 0 ] && pixels "$T/$name-out.tif" "$T/$name-f-out.tif" "$tol"'
done
check "int16: negative values in and out" \
    'below "$(lowest "$T/int16.tif")" -30000 && below "$(lowest "$T/int16-out.tif")" -30000'

# Floats are not clamped: values in [-1, 3] blur to 4 x the blur of [0, 1], less 1.
for f in float32 float64; do
	translate -ot $f -scale 0 65535 -1 3 "$g16" "$T/wide.tif"
	blurred "$T/wide.tif" "$T/wide-out.tif"
	check "$f beyond [0, 1]: below 0 and above 1 after" \
	    '[ $st -eq 0 ] && below "$(lowest "$T/wide-out.tif")" 0 && below 1 "$(highest "$T/wide-out.tif")"'
	translate -ot $f -scale 0 1 -1 3 "$T/$f-out.tif" "$T/wide-ref.tif"
	check "$f beyond [0, 1]: within 4e-4 of the blur of [0, 1] mapped there" \
	    'pixels "$T/wide-out.tif" "$T/wide-ref.tif" 4e-4'
done

# Odd depths, as ImageMagick writes them, come back 8-, 16- or 32-bit, each within a
# level of ImageMagick's blur of the same file. ImageMagick misreads 24-bit samples: the
# reference there is GDAL's reading of the file, widened to 32 bits (v · 2^32-1 / 2^24-1,
# as blur widens them) and blurred. Its values use all three bytes unlike each other,
# so that one read in the wrong byte order is far off.
convert "$g16" -threshold 50% -depth 1 "$T/d1.tif"
for d in 2 4 10 12 14; do convert "$g16" -depth $d "$T/d$d.tif"; done
translate -ot UInt32 -scale 0 65535 0 16000000 "$g16" "$T/x24.tif"
translate -co NBITS=24 "$T/x24.tif" "$T/d24.tif"
translate -ot UInt32 -scale 0 16777215 0 4294967295 "$T/d24.tif" "$T/d24-as-32.tif"
blurred "$T/d24-as-32.tif" "$T/d24-ref.tif"
convert -seed 3 -size 120x80 plasma:fractal -alpha off -depth 4 "$T/rgb4.tif"
for c in "1 8 1" "2 8 1" "4 8 1" "10 16 2" "12 16 2" "14 16 2" "24 16 2" "rgb4 8 1"; do
	set -- $c
	in=$T/d$1.tif
	[ "$1" = rgb4 ] && in=$T/rgb4.tif
	levels=$2 tol=$3
	bits=$(tag "$in" Bits/Sample)
	want=u$([ "$bits" -le 8 ] && echo 8 || { [ "$bits" -le 16 ] && echo 16 || echo 32; })
	blurred "$in" "$T/out.tif"
	check "$bits-bit ($1): blurred" '[ $st -eq 0 ]'
	check "$bits-bit ($1): the output is $want" '[ "$(format_of "$T/out.tif")" = "$want" ]'
	if [ "$bits" = 24 ]; then cp "$T/d24-ref.tif" "$T/ref.tif"; else im "$in" "$T/ref.tif" "$levels"; fi
	check "$bits-bit ($1): within $tol of ImageMagick (24: GDAL), in $levels-bit levels" \
	    'pixels -n "$levels" "$T/out.tif" "$T/ref.tif" "$tol"'
done

# Bands: a 7-band 16-bit image and a 16-band 8-bit one, each band as blurred alone.
bands() {
	name=$1 n=$2 kind=$3
	shift 3
	files=
	for b in $(seq "$n"); do
		make_image "$T/band$b.tif" "$kind" 120x80 $((20 + b))
		files="$files $T/band$b.tif"
	done
	gdalbuildvrt -q -separate "$T/$name.vrt" $files
	translate "$T/$name.vrt" "$T/$name.tif"
	blurred "$T/$name.tif" "$T/$name-out.tif"
	check "$name: blurred" '[ $st -eq 0 ]'
	# tiffinfo gives Samples/Pixel in hexadecimal.
	check "$name: $n samples, $((n - 1)) extra, kept" \
	    '[ "$(tag "$T/$name-out.tif" Samples/Pixel)" = $(printf %x $n) ] && tag "$T/$name-out.tif" "Extra Samples" | grep -q "^$((n - 1))<"'
	for b in "$@"; do
		blurred "$T/band$b.tif" "$T/band-out.tif"
		check "$name: band $b as blurred alone" \
		    '[ $st -eq 0 ] && pixels -b "$b" "$T/$name-out.tif" "$T/band-out.tif" 0'
	done
}
bands bands7 7 gray16 1 2 3 4 5 6 7
bands bands16 16 gray8 1 9 16

# CMYK, 8 and 16 bits, and CMYK with alpha: separated, channel by channel ImageMagick's.
convert -seed 5 -size 120x80 plasma:fractal -alpha off -depth 8 "$T/rgb8.tif"
convert "$T/rgb8.tif" -colorspace CMYK "$T/cmyk8.tif"
convert "$T/rgb8.tif" -depth 16 -colorspace CMYK "$T/cmyk16.tif"
convert "$T/cmyk8.tif" -alpha set -channel A -fx '0.2 + 0.8 * i / w' +channel "$T/cmyka8.tif"
for c in "cmyk8 4 8 1" "cmyk16 4 16 2" "cmyka8 5 8 1"; do
	set -- $c
	name=$1 n=$2 levels=$3 tol=$4
	blurred "$T/$name.tif" "$T/out.tif"
	check "$name: blurred" '[ $st -eq 0 ]'
	check "$name: separated, $n samples" \
	    '[ "$(tag "$T/out.tif" "Photometric Interpretation")" = separated ] && [ "$(tag "$T/out.tif" Samples/Pixel)" = $n ]'
	im "$T/$name.tif" "$T/ref.tif" "$levels"
	check "$name: within $tol of ImageMagick, channel by channel" \
	    'pixels "$T/out.tif" "$T/ref.tif" "$tol"'
	[ "$name" = cmyk8 ] && check "cmyk8: InkSet kept" '[ "$(tag "$T/out.tif" InkSet)" = 1 ]'
done

# Lab, 8 and 16 bits: CIELAB kept, a* and b* blurred signed (pixdiff reads them so): a
# blur taking them unsigned would be far off where they change sign.
for c in "8 1" "16 2"; do
	set -- $c
	convert "$T/rgb8.tif" -depth "$1" -colorspace Lab "$T/lab.tif"
	blurred "$T/lab.tif" "$T/out.tif"
	check "lab$1: blurred" '[ $st -eq 0 ]'
	check "lab$1: CIELAB kept" \
	    'tag "$T/out.tif" "Photometric Interpretation" | grep -q "^CIE L\*a\*b\*"'
	convert "$T/lab.tif" -blur 4x2 "$T/ref.tif"
	tol=$2
	check "lab$1: within $tol of ImageMagick" 'pixels "$T/out.tif" "$T/ref.tif" "$tol"'
done

# Nodata: a DEM, valid from 100 to 2285 m, with holes ringed by its lowest ground (the
# valleys next to holes that a plain blur drags towards -9999), one in a corner.
convert -seed 7 -size 120x80 plasma:fractal -colorspace gray -alpha off -depth 16 \
    +level 100,3000 +antialias -fill '#006400640064' -draw 'circle 30,30 30,41' \
    -draw 'circle 90,50 90,58' -fill black -draw 'circle 30,30 30,36' \
    -draw 'circle 90,50 90,53' -draw 'rectangle 0,70 8,79' -alpha off "$T/dem.tif"
translate -a_nodata 0 -a_srs EPSG:32633 -a_ullr 500000 4000080 500120 4000000 \
    "$T/dem.tif" "$T/dem-u16.tif"
for f in Float32 Int16; do
	gdalwarp -q -overwrite -srcnodata 0 -dstnodata -9999 -ot $f "$T/dem-u16.tif" "$T/dem.tif" > /dev/null
	translate -a_nodata none "$T/dem.tif" "$T/plain.tif"
	blurred "$T/plain.tif" "$T/plain-out.tif"
	blurred "$T/dem.tif" "$T/out.tif"
	check "$f DEM: blurred" '[ $st -eq 0 ]'
	check "$f DEM: nodata -9999 kept" 'gdalinfo "$T/out.tif" | grep -q "NoData Value=-9999$"'
	check "$f DEM: the holes, and only they, are -9999" \
	    'pixels -holes -9999 "$T/out.tif" "$T/dem.tif" 1e30'
	check "$f DEM: nothing below the lowest ground (100 m)" \
	    'low=$(lowest "$T/out.tif") && [ -n "$low" ] && ! below "$low" 99.9999'
	check "$f DEM: without nodata the blur goes below it (the test is fair)" \
	    'below "$(lowest "$T/plain-out.tif")" 99'
	tol=$([ $f = Int16 ] && echo 1 || echo 1e-3)
	check "$f DEM: beyond the radius of every hole, the plain blur's" \
	    'pixels -far -9999 4 "$T/out.tif" "$T/plain-out.tif" "$tol"'
done
# Holes as transparent pixels: ImageMagick's blur of the DEM with alpha 0 on its holes
# (colour weighted by alpha) is the nodata blur, holes put back as 0.
blurred "$T/dem-u16.tif" "$T/out.tif"
check "uint16 DEM, nodata 0: blurred" '[ $st -eq 0 ]'
convert "$T/dem-u16.tif" -threshold 0 "$T/mask.tif" 2> /dev/null
convert "$T/dem-u16.tif" "$T/mask.tif" -alpha off -compose copy_opacity -composite \
    -blur 4x2 -alpha off "$T/mask.tif" -compose multiply -composite -depth 16 "$T/ref.tif" 2> /dev/null
check "uint16 DEM, nodata 0: ImageMagick's blur with the holes transparent" \
    'pixels "$T/out.tif" "$T/ref.tif" 2'

# Orientation 6, through the palette's conversion and the direct path: the pixels as
# stored and the tag kept, as ImageMagick does without -auto-orient.
convert "$T/rgb8.tif" -colors 64 -type Palette "$T/pal.tif"
cp "$g8" "$T/gray-o6.tif"
for in in "$T/pal.tif" "$T/gray-o6.tif"; do tiffset -s 274 6 "$in"; done
blurred "$T/pal.tif" "$T/out.tif"
check "palette, Orientation 6: blurred" '[ $st -eq 0 ]'
check "palette, Orientation 6: RGB, 3 samples" \
    '[ "$(tag "$T/out.tif" "Photometric Interpretation")" = "RGB color" ] && [ "$(tag "$T/out.tif" Samples/Pixel)" = 3 ]'
check "palette, Orientation 6: kept" '[ "$(tag "$T/out.tif" Orientation)" = "row 0 rhs, col 0 top" ]'
im "$T/pal.tif" "$T/ref.tif" 8
check "palette, Orientation 6: pixels as stored, within 1 of ImageMagick" \
    'pixels -n 8 "$T/out.tif" "$T/ref.tif" 1'
blurred "$T/gray-o6.tif" "$T/out.tif"
check "gray, Orientation 6: blurred" '[ $st -eq 0 ]'
check "gray, Orientation 6: kept" '[ "$(tag "$T/out.tif" Orientation)" = "row 0 rhs, col 0 top" ]'
im "$T/gray-o6.tif" "$T/ref.tif" 8
check "gray, Orientation 6: pixels as stored, within 1 of ImageMagick" \
    'pixels "$T/out.tif" "$T/ref.tif" 1'

# A 16-bit palette (GDAL writes one for a UInt16 band with a colour table): 1000
# colours, neighbours far apart, looked up and blurred as ImageMagick. GDAL's colours are
# 8-bit, so 8-bit RGB loses none of them.
translate -ot UInt16 -scale 0 65535 0 999 "$g16" "$T/index.tif"
{
	echo '<VRTDataset rasterXSize="120" rasterYSize="80"><VRTRasterBand dataType="UInt16" band="1">'
	echo '<ColorInterp>Palette</ColorInterp><ColorTable>'
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "<Entry c1=\"%d\" c2=\"%d\" c3=\"%d\" c4=\"255\"/>\n", i * 7 % 256, i * 3 % 256, 255 - i % 256 }'
	echo '</ColorTable><SimpleSource><SourceFilename relativeToVRT="1">index.tif</SourceFilename>'
	echo '<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>'
} > "$T/pal16.vrt"
translate "$T/pal16.vrt" "$T/pal16.tif"
check "16-bit palette: the input is one" \
    '[ "$(format_of "$T/pal16.tif")" = u16 ] && tag "$T/pal16.tif" "Photometric Interpretation" | grep -q "^palette"'
blurred "$T/pal16.tif" "$T/out.tif"
check "16-bit palette: blurred" '[ $st -eq 0 ]'
check "16-bit palette of 8-bit colours: 8-bit RGB" \
    '[ "$(format_of "$T/out.tif")" = u8 ] && [ "$(tag "$T/out.tif" "Photometric Interpretation")" = "RGB color" ]'
im "$T/pal16.tif" "$T/ref.tif" 8
check "16-bit palette: within 1 of ImageMagick" 'pixels "$T/out.tif" "$T/ref.tif" 1'

finish
