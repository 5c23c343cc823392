#!/bin/sh
# tags.sh — the tags blur does not change come back in its output, value for value: the
# first directory's (tiffdump, every value), and what exiftool reads in and beside it
# (EXIF, GPS, ICC, XMP, IPTC, Photoshop, GeoTIFF keys); a GeoTIFF made by gdal_translate
# keeps its georeferencing, nodata and metadata for gdalinfo. On files made here and, when
# configure found the corpus (--with-corpus), on real files of DIR/external.
. "$TESTLIB"
command -v exiftool > /dev/null || { echo "tags.sh needs exiftool (libimage-exiftool-perl)" >&2; exit 99; }
command -v gdal_translate > /dev/null || { echo "tags.sh needs gdal_translate (gdal-bin)" >&2; exit 99; }

# The corpus files: NAME, first-directory tags blur drops on purpose beyond `owned`
# (- for none), exiftool groups it drops (- for none), and a tag the output must carry
# (an exiftool "[Group] Name" or a tiffdump tag number), so that no comparison is empty.
# exiftool reads no GeoTIFF keys in a BigTIFF file (the usda input), but does in the output.
corpus_cases="cimg-matthew2.tif - - [ICC-header] ColorSpaceData
rio-RGB.byte.tif 42112 - 33550
pillow-tiff_16bit_RGBa.tiff - - [ExifIFD] ExifImageWidth
tm-big-endian-bad-clip-everything-clipped.tif - - [IPTC] City
tm-chifley_logo.tif - - [Photoshop] IPTCDigest
pillow-pport_g4.tif - - 316
tm-xerox-jpeg-ycbcr-weird-coefficients.tif 532 - 337
extiff-poppies.tif - - 318
tm-general-cmm-error.tif 34675 ICC [ExifIFD] ExifImageWidth
tm-guessPhotometric-flower-separated-planar-08.tif - - 332
itiff-usda_naip_256_webp_z3.tif - GeoTiff 34735"
ncorpus=$(echo "$corpus_cases" | wc -l)

plan $((4 * ncorpus + 8 + 5 + 8 + 2 + 1))

# Tags image.c writes itself, and those never copied because they would not be true of
# the output (man page, TAGS): their values may differ, or they may be gone.
owned="254 256 257 258 259 262 263 266 273 274 277 278 279 280 281 282 283 284 296 317 320 322 323 324 325 330 338 339 340 341 347 512 513 514 515 516 517 518 519 520 521 529 530 531 34665 34853 37724 40965"

# ifd0 FILE [DROPPED]: the first directory's tags, one a line with every value, in tag
# order (the input's may be out of order), less `owned` and DROPPED. Bytes are bytes:
# libtiff writes XMP and Photoshop's tag as BYTE, some writers as UNDEFINED.
ifd0() {
	tiffdump -m 100000000 "$1" 2>/dev/null | awk '/^Directory /{d++; next} d == 1 && NF' |
	    sed -E 's/^([0-9]+) \(0x[0-9a-f]+\)/\1/; s/^[A-Za-z][^(]* \(([0-9]+)\)/\1/; s/ UNDEFINED \(7\) / BYTE (1) /' |
	    awk -v drop="$owned ${2:-}" 'BEGIN { n = split(drop, d, " "); for (i = 1; i <= n; i++) skip[d[i]] = 1 }
		!($1 in skip)' | sort -n
}

# meta FILE [GROUPS]: what exiftool reads beside the first directory (its own IFD0 lines
# are ifd0's; other images and the Interoperability directory are not copied), less the
# groups matching GROUPS.
meta() {
	exiftool -a -G1 -s -u -q -q "$1" | grep -av '^\[\(System\|File\|ExifTool\|Composite\|IFD0\|IFD[1-9][0-9]*\|SubIFD[0-9]*\|InteropIFD\)\]' |
	    { if [ -n "${2:-}" ]; then grep -av "^\[$2"; else cat; fi; }
}

# same_ifd0 IN OUT [DROPPED], same_meta IN OUT [GROUPS]: ifd0's or meta's lists agree;
# how many lines were compared, and any difference, go to the log.
same_ifd0() {
	ifd0 "$1" "${3:-}" > "$T/a.tags"; ifd0 "$2" "${3:-}" > "$T/b.tags"
	echo "# $(wc -l < "$T/a.tags") first-directory tags compared"
	diff "$T/a.tags" "$T/b.tags" | cut -c1-150 | sed 's/^/# /'
	cmp -s "$T/a.tags" "$T/b.tags"
}
same_meta() {
	meta "$1" "${3:-}" > "$T/a.meta"; meta "$2" "${3:-}" > "$T/b.meta"
	echo "# $(wc -l < "$T/a.meta") other tags compared"
	diff "$T/a.meta" "$T/b.meta" | cut -c1-150 | sed 's/^/# /'
	cmp -s "$T/a.meta" "$T/b.meta"
}

# carries FILE WANT [NAME]: FILE has exiftool's tag "[Group] NAME" (WANT is the group) or
# tiffdump's tag number WANT.
carries() {
	if [ -n "${3:-}" ]; then
		exiftool -a -G1 -s -u -q -q "$1" | awk -v g="$2" -v n="$3" '$1 == g && $2 == n { f = 1 } END { exit !f }'
	else
		ifd0 "$1" | grep -q "^$2 "
	fi
}

# run IN OUT: blur IN into OUT with two slaves; status in $rc.
run() {
	rm -f "$2"
	blur -master "$1" -o "$2" -slaves 2 -q < /dev/null 2> "$T/err"
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/# /' "$T/err"
}

# Real files, each with some of what blur must keep.
while read -r name dropped groups want wantname; do
	[ "$dropped" = - ] && dropped=
	[ "$groups" = - ] && groups=
	f=${CORPUS:-}/external/$name
	if [ -z "${CORPUS:-}" ] || [ ! -f "$f" ]; then
		for what in blurred "first directory" "other tags" "carries $want"; do
			check "$name: $what # SKIP no corpus (configure --with-corpus=DIR)" true
		done
		continue
	fi
	run "$f" "$T/out.tif"
	check "$name: blurred" '[ $rc -eq 0 ]'
	check "$name: first directory's tags as they were" 'same_ifd0 "$f" "$T/out.tif" "$dropped"'
	check "$name: EXIF, GPS, ICC, XMP, IPTC, Photoshop, GeoTIFF keys as they were" \
	    'same_meta "$f" "$T/out.tif" "$groups"'
	check "$name: the output has $want ${wantname:-}" 'carries "$T/out.tif" "$want" "${wantname:-}"'
done <<EOF_CASES
$corpus_cases
EOF_CASES

# An ICC profile's header (128 bytes, no tags) of colour space SPACE, for exiftool to read.
icc() {
	python3 -c 'import struct, sys
h = struct.pack(">I4sI4s4s4s6H4s4sIII", 132, b"blur", 0x02100000, b"mntr", sys.argv[1].encode(), b"XYZ ",
    2024, 1, 2, 3, 4, 5, b"acsp", b"APPL", 0, 0, 0)
h += bytes(128 - len(h)) + struct.pack(">I", 0)
sys.stdout.buffer.write(h)' "$1"
}

# An unknown tag, 53248, that libtiff reads as an anonymous field.
cat > "$T/exiftool.config" <<'EOF'
%Image::ExifTool::UserDefined = (
	'Image::ExifTool::Exif::Main' => {
		0xd000 => { Name => 'BlurPrivate', Writable => 'int16u', WriteGroup => 'IFD0', Count => -1 },
	},
);
1;
EOF

# A made photo with text tags, EXIF, GPS, XMP, IPTC, an ICC profile and an unknown tag.
make_image "$T/rgb.tif" rgb8 120x90 3
icc "RGB " > "$T/rgb.icc"
exiftool -config "$T/exiftool.config" -q -overwrite_original \
    -Artist='A. Painter' -Copyright='(c) blur' -ImageDescription='a test' -Software=blur-test \
    -ModifyDate='2024:01:02 03:04:05' -Make=Maker -Model='Model 1' -HostComputer=host \
    -DocumentName=doc -PageName=page -XMP-dc:Title='Title' -IPTC:Keywords=kw \
    -ExposureTime=0.01 -FNumber=2.8 -DateTimeOriginal='2024:01:02 03:04:05' -UserComment=hello \
    -GPSLatitude=48.8566 -GPSLatitudeRef=N -GPSLongitude=2.3522 -GPSLongitudeRef=E -GPSAltitude=35 \
    '-ICC_Profile<='"$T/rgb.icc" -BlurPrivate='1 2 3' "$T/rgb.tif"
run "$T/rgb.tif" "$T/out.tif"
check "made photo: blurred" '[ $rc -eq 0 ]'
# exiftool writes the IPTC tag as LONG, as Photoshop does, libtiff as UNDEFINED: the same
# bytes, which exiftool reads alike (same_meta).
check "made photo: first directory's tags as they were" 'same_ifd0 "$T/rgb.tif" "$T/out.tif" 33723'
check "made photo: EXIF, GPS, ICC, XMP, IPTC as they were" 'same_meta "$T/rgb.tif" "$T/out.tif"'
check "made photo: the same ICC profile, byte for byte" \
    'exiftool -q -q -b -ICC_Profile "$T/out.tif" | cmp -s - "$T/rgb.icc"'
# libtiff holds most rationals as floats: 1/100 comes back as 0.0099999998, which
# exiftool still shows as 1/100.
check "made photo: EXIF directory" \
    'exiftool -s3 -ExifIFD:ExposureTime -ExifIFD:UserComment "$T/out.tif" | tr "\n" " " | grep -q "^1/100 hello $"'
check "made photo: GPS directory" \
    'exiftool -n -s3 -GPS:GPSLatitude -GPS:GPSLongitude "$T/out.tif" | tr "\n" " " | grep -q "^48.8566 2.3522 $"'
check "made photo: the unknown tag" 'ifd0 "$T/out.tif" | grep -q "^53248 SHORT (3) 3<1 2 3>$"'
check "made photo: text tags" \
    'exiftool -s3 -Artist -HostComputer -PageName "$T/out.tif" | tr "\n" " " | grep -q "^A. Painter host page $"'

# CMYK stays CMYK: its profile, inks and Artist stay. A palette becomes RGB: its colour
# map is gone, its RGB profile and the rest stay.
convert "$T/rgb.tif" -strip -colorspace cmyk -compress none "$T/cmyk.tif" 2> /dev/null
icc CMYK > "$T/cmyk.icc"
exiftool -q -overwrite_original '-ICC_Profile<='"$T/cmyk.icc" -Artist=cmyk "$T/cmyk.tif"
run "$T/cmyk.tif" "$T/out.tif"
check "CMYK: blurred as CMYK" '[ $rc -eq 0 ] && [ "$(tag "$T/out.tif" "Samples/Pixel")" = 4 ] &&
    tiffinfo "$T/out.tif" 2> /dev/null | grep -q "Photometric Interpretation: separated"'
check "CMYK: its profile, InkSet and Artist kept" \
    'exiftool -q -q -b -ICC_Profile "$T/out.tif" | cmp -s - "$T/cmyk.icc" &&
    tiffinfo "$T/out.tif" 2> /dev/null | grep -q "InkSet: 1" &&
    [ "$(exiftool -s3 -Artist "$T/out.tif")" = cmyk ]'
convert "$T/rgb.tif" -strip -colors 16 -type palette -compress none "$T/palette.tif" 2> /dev/null
exiftool -q -overwrite_original '-ICC_Profile<='"$T/rgb.icc" -Artist=palette "$T/palette.tif"
check "palette input has a colour map" 'tiffdump "$T/palette.tif" | grep -q "^Colormap (320)"'
run "$T/palette.tif" "$T/out.tif"
check "palette: blurred into RGB, without the colour map" \
    '[ $rc -eq 0 ] && tiffdump "$T/out.tif" > "$T/dump" && ! grep -q "(320)" "$T/dump"'
check "palette: its RGB profile and Artist kept" \
    'exiftool -q -q -b -ICC_Profile "$T/out.tif" | cmp -s - "$T/rgb.icc" &&
    [ "$(exiftool -s3 -Artist "$T/out.tif")" = palette ]'

# A GeoTIFF as GDAL writes it: gdalinfo must say the same of the output, but for how the
# pixels are stored (blocks, compression, interleaving).
make_image "$T/gray.tif" gray16 200x150 5
gdal_translate -q -a_srs EPSG:32633 -a_ullr 500000 5000000 503000 4997750 -a_nodata 65535 \
    -mo SENSOR=blur-test -mo DATE=2024-01-02 "$T/gray.tif" "$T/geo.tif"
# gdalinfo_of FILE: what gdalinfo says that is not about storage.
gdalinfo_of() {
	gdalinfo "$1" | grep -v '^Files:\|^Image Structure Metadata:\|^  COMPRESSION=\|^  INTERLEAVE=' |
	    sed 's/Block=[0-9x]* //'
}
check "GeoTIFF input carries GeoTIFF and GDAL tags" \
    'ifd0 "$T/geo.tif" | grep -c "^\(33550\|33922\|34735\|42112\|42113\) " | grep -qx 5'
run "$T/geo.tif" "$T/out.tif"
check "GeoTIFF: blurred" '[ $rc -eq 0 ]'
check "GeoTIFF: gdalinfo says the same" \
    'gdalinfo_of "$T/geo.tif" > "$T/a.gdal" && gdalinfo_of "$T/out.tif" > "$T/b.gdal" &&
    { diff "$T/a.gdal" "$T/b.gdal" | sed "s/^/# /"; cmp -s "$T/a.gdal" "$T/b.gdal"; }'
check "GeoTIFF: coordinate system, origin, pixel size and corners" \
    'grep -q "^PROJCRS\[\"WGS 84 / UTM zone 33N\"" "$T/b.gdal" &&
    grep -q "^Origin = (500000.000000000000000,5000000.000000000000000)" "$T/b.gdal" &&
    grep -q "^Pixel Size = (15.000000000000000,-15.000000000000000)" "$T/b.gdal" &&
    grep -q "^Lower Right ( *503000.000, *4997750.000)" "$T/b.gdal"'
check "GeoTIFF: NoData value" 'grep -q "^  NoData Value=65535$" "$T/b.gdal"'
check "GeoTIFF: metadata" 'grep -q "^  SENSOR=blur-test$" "$T/b.gdal" && grep -q "^  DATE=2024-01-02$" "$T/b.gdal"'
check "GeoTIFF: its tags typed as libgeotiff and GDAL write them" \
    'ifd0 "$T/out.tif" | grep -c "^33550 DOUBLE\|^33922 DOUBLE\|^34735 SHORT\|^42112 ASCII\|^42113 ASCII" |
    grep -qx 5'
check "GeoTIFF: the tags match tiffdump's, value for value" 'same_ifd0 "$T/geo.tif" "$T/out.tif"'

# Statistics GDAL stored of the input's pixels are not the output's: they go, the rest
# of GDAL's metadata stays.
gdal_translate -q -stats "$T/geo.tif" "$T/stats.tif"
check "GeoTIFF with statistics: GDAL stored them" \
    'gdalinfo "$T/stats.tif" | grep -q "^    STATISTICS_MEAN="'
run "$T/stats.tif" "$T/out.tif"
check "GeoTIFF with statistics: gone from the output, the other metadata kept" \
    '! gdalinfo "$T/out.tif" | grep -q STATISTICS_ && gdalinfo "$T/out.tif" | grep -q "^  SENSOR=blur-test$"'

check "DIR left empty" dir_empty
finish
