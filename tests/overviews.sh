#!/bin/sh
# overviews.sh — overviews made by the slaves: every level's pixels equal to gdaladdo's
# on blur's own full-resolution output (average, nearest, mode; odd sizes; 8-bit,
# 16-bit, signed, float with nodata; strips and tiles), -overviews auto, an input's
# overviews recomputed or dropped, slaves that decode, JPEG levels, a secret, what
# -resume refuses, a level's block failed, bad values; -cog: GDAL's validator, the
# levels of GDAL's COG driver, georeferencing kept.
. "$TESTLIB"

PY=/usr/bin/python3
VALIDATE=/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py
[ -r $VALIDATE ] || skip_all "$VALIDATE not found (apt-get install python3-gdal)"
for tool in gdal_translate gdaladdo gdalinfo tiffinfo exiftool $PY; do
	command -v "$tool" > /dev/null || skip_all "$tool not found (apt-get install gdal-bin libtiff-tools libimage-exiftool-perl python3)"
done
$PY -c 'from osgeo import gdal; import numpy' 2> /dev/null ||
    skip_all "$PY cannot import osgeo.gdal and numpy (apt-get install python3-gdal)"
export GDAL_PAM_ENABLED=NO

# 1: 4 kinds x 3 methods x 3, 1 nodata. 2: 1 auto. 3: 4 an input's overviews. 4: 1 decoding
# slaves. 5: 1 JPEG. 6: 1 secret. 7: 2 resume, 3 a level's block failed. 8: 3 bad values.
# 9: 5 COGs x 2, 1 georeferencing, 1 EXIF, 1 -strip.
plan $((4 * 3 * 3 + 1 + 1 + 4 + 1 + 1 + 1 + 2 + 3 + 3 + 5 * 2 + 3))

# image FILE TYPE WxH [NODATA [BANDS]]: noise of numpy's TYPE, 3 bands for uint16, else
# 1 (or BANDS); with NODATA (not -), a fifth of the pixels are holes and GDAL_NODATA
# says so.
image() {
	$PY - "$@" << 'EOF'
import sys
import numpy as np
from osgeo import gdal
path, kind, size = sys.argv[1:4]
w, h = map(int, size.split('x'))
bands = int(sys.argv[5]) if len(sys.argv) > 5 else 3 if kind == 'uint16' else 1
rng = np.random.default_rng(7)
types = {'uint8': gdal.GDT_Byte, 'uint16': gdal.GDT_UInt16, 'int16': gdal.GDT_Int16,
         'float32': gdal.GDT_Float32}
ds = gdal.GetDriverByName('GTiff').Create(path, w, h, bands, types[kind])
for b in range(1, bands + 1):
    if kind == 'float32':
        a = rng.normal(100, 30, (h, w)).astype(np.float32)
    else:
        info = np.iinfo(kind)
        a = rng.integers(max(info.min, -3000), min(info.max, 3000) + 1, (h, w)).astype(kind)
    if len(sys.argv) > 4 and sys.argv[4] != '-':
        a[rng.random((h, w)) < 0.2] = float(sys.argv[4])
        ds.GetRasterBand(b).SetNoDataValue(float(sys.argv[4]))
    ds.GetRasterBand(b).WriteArray(a)
EOF
}

# same_levels OUT METHOD: OUT's overviews are what gdaladdo -r METHOD makes from OUT's
# own first image, level for level, sample for sample (holes included).
same_levels() {
	rm -f "$T/ref.tif"
	gdal_translate -q "$1" "$T/ref.tif" || return 1
	factors=$($PY -c "
from osgeo import gdal
ds = gdal.Open('$1')
print(' '.join(str(2 ** (i + 1)) for i in range(ds.GetRasterBand(1).GetOverviewCount())))")
	[ -n "$factors" ] || { echo "# $1 has no overviews"; return 1; }
	gdaladdo -q -r "$2" "$T/ref.tif" $factors && equal_levels "$1" "$T/ref.tif"
}

# same_cog OUT METHOD TILE: OUT is a valid COG whose levels are those GDAL's COG driver
# makes from OUT's own first image.
same_cog() {
	$PY $VALIDATE -q "$1" || { $PY $VALIDATE "$1" | sed 's/^/# /'; return 1; }
	rm -f "$T/plain.tif" "$T/ref.tif"
	gdal_translate -q "$1" "$T/plain.tif" &&
	    gdal_translate -q -of COG -co RESAMPLING="$2" -co BLOCKSIZE="$3" \
	    -co OVERVIEW_COUNT="$(levels "$1")" "$T/plain.tif" "$T/ref.tif" 2> /dev/null &&
	    equal_levels "$1" "$T/ref.tif"
}

# equal_levels A B: A and B have the same overviews, sample for sample.
equal_levels() {
	$PY - "$1" "$2" << 'EOF'
import sys
import numpy as np
from osgeo import gdal
a, b = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[2])
n = a.GetRasterBand(1).GetOverviewCount()
for i in range(n):
    for c in range(1, a.RasterCount + 1):
        x = a.GetRasterBand(c).GetOverview(i).ReadAsArray()
        y = b.GetRasterBand(c).GetOverview(i).ReadAsArray()
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
            print('# level %d band %d differs: %s against %s' % (i + 1, c, x.shape, y.shape))
            sys.exit(1)
print('# %d levels equal' % n)
EOF
}

# georef FILE: FILE's geotransform and coordinate system, as gdalinfo says them.
georef() {
	gdalinfo -json "$1" | $PY -c 'import json, sys
d = json.load(sys.stdin)
print(d["geoTransform"], d["coordinateSystem"]["wkt"])'
}

# levels FILE: how many overviews GDAL finds in FILE.
levels() {
	$PY -c "from osgeo import gdal; ds = gdal.Open('$1'); print(ds.GetRasterBand(1).GetOverviewCount())"
}

# run's blocks: 16 rows, so that every level has several.
RUN_ROWS=16

# 1: odd sizes at the first level (301x203), then every level; each kind in strips and
# in tiles of 32x32, Deflate with its predictor.
image "$T/u8.tif" uint8 301x203
image "$T/u16.tif" uint16 203x171
image "$T/i16.tif" int16 160x97
image "$T/f32.tif" float32 150x150 -9999
for method in average nearest mode; do
	for kind in u8 u16 i16 f32; do
		case $kind in
		u16 | f32) layout="-tile 32x32 -compress deflate" ;;
		*) layout="" ;;
		esac
		run "$T/$kind.tif" "$T/out.tif" -overviews 3 -resample $method $layout
		check "$kind, 3 levels by $method ($layout): done" '[ $st -eq 0 ]'
		check "$kind, $method: every level is gdaladdo's" 'same_levels "$T/out.tif" $method'
		check "$kind, $method: nothing left in DIR" 'dir_empty'
	done
done

# Every level says which value is a hole, as GDAL's COG driver writes it.
run "$T/f32.tif" "$T/out.tif" -overviews 2
check "f32: GDAL_NODATA on the image and both levels" \
    '[ $st -eq 0 ] && [ "$(tiffinfo "$T/out.tif" 2> /dev/null | grep -c "GDAL NoDataValue: -9999$")" = 3 ]'

# 2: auto, as GDAL's COG driver: levels until one fits in 512x512.
image "$T/wide.tif" uint8 1100x600
run "$T/wide.tif" "$T/out.tif" -overviews auto
check "-overviews auto on 1100x600: 2 levels (550x300, 275x150)" \
    '[ $st -eq 0 ] && [ "$(levels "$T/out.tif")" = 2 ]'

# 3: an input with overviews gets them again, made from the blurred pixels.
cp "$T/u8.tif" "$T/pyramid.tif"
gdaladdo -q -r average "$T/pyramid.tif" 2 4
run "$T/pyramid.tif" "$T/out.tif"
check "an input's 2 overviews: the output has 2" '[ $st -eq 0 ] && [ "$(levels "$T/out.tif")" = 2 ]'
check "an input's overviews: made from the blurred pixels" 'same_levels "$T/out.tif" average'
gdal_translate -q -of COG -co BLOCKSIZE=128 -co OVERVIEW_COUNT=2 -co RESAMPLING=NEAREST \
    "$T/u8.tif" "$T/cog-in.tif"
run "$T/cog-in.tif" "$T/out.tif"
check "a COG input: tiled as it, its 2 overviews made again from the blurred pixels" \
    '[ $st -eq 0 ] && [ "$(tag "$T/out.tif" "Tile Width")" = "128 Tile Length: 128" ] &&
    same_levels "$T/out.tif" average'
run "$T/pyramid.tif" "$T/out.tif" -overviews 0
check "-overviews 0: none" '[ $st -eq 0 ] && [ "$(levels "$T/out.tif")" = 0 ]'

# 4: a compressed, tiled input, which the slaves decode.
gdal_translate -q -co TILED=YES -co BLOCKXSIZE=64 -co BLOCKYSIZE=64 -co COMPRESS=LZW \
    "$T/u8.tif" "$T/lzw.tif"
run "$T/lzw.tif" "$T/out.tif" -overviews 2
check "LZW tiles decoded by the slaves: every level is gdaladdo's" \
    '[ $st -eq 0 ] && same_levels "$T/out.tif" average'

# 5: JPEG levels share the image's tables.
image "$T/rgb.tif" uint16 203x171
gdal_translate -q -ot Byte -scale 0 3000 0 255 "$T/rgb.tif" "$T/rgb8.tif"
run "$T/rgb8.tif" "$T/out.tif" -overviews 2 -compress jpeg -tile 32x32
check "JPEG: GDAL reads every level whole" \
    '[ $st -eq 0 ] && gdalinfo -checksum "$T/out.tif" > "$T/info" 2>&1 &&
    [ "$(grep -c "Overviews checksum" "$T/info")" = 3 ] && ! grep -q ERROR "$T/info"'

# 6: with a secret, levels.bit's rows are signed like image.bit's.
head -c 32 /dev/urandom > "$T/key"
chmod 600 "$T/key"
run "$T/u8.tif" "$T/out.tif" -overviews 3 -secret "$T/key"
check "a secret: every level is gdaladdo's" '[ $st -eq 0 ] && same_levels "$T/out.tif" average'

# held_job OUT ERR ARGS...: a job of u8.tif with 3 levels in blocks of 16 rows (13 + 7 + 4
# + 2 blocks: 301x203), its master ($master, stderr to ERR) and one slave ($slave); a
# claim on level 1's second block (14) made ahead of the slave, which holds level 2's
# blocks back until the test does something with it.
held_job() {
	out=$1 err=$2
	shift 2
	"$BLUR" -master "$T/u8.tif" -o "$out" -rows 16 -overviews 3 "$@" 2> "$err" &
	master=$!
	wait_for "$BLUR_DIR/working"
	mkdir "$BLUR_DIR/block.14.a"
	"$BLUR" -slave -q 2> /dev/null &
	slave=$!
}

# 7: a master killed during the levels' pass, resumed: the levels' rows it staged stay in
# levels.bit, the results in are reused, the rest asked for as their rows come in again.
# The stale claim on block 14 (held_job) holds level 2's blocks back: the kill finds the
# image's blocks and most of level 1's done (another may still be at work) and levels 2
# and 3 not asked for.
held_job "$T/out.tif" /dev/null -q
wait_for "$BLUR_DIR/block.19.a/done"
kill -9 $master $slave
wait $master $slave 2> /dev/null
blur -master "$T/u8.tif" -o "$T/out.tif" -rows 16 -overviews 3 -slaves 2 -resume 2> "$T/resume.err"
st=$?
sed 's/^/# /' "$T/resume.err"
check "-resume of a job killed in its levels' pass: done, its results reused" \
    '[ $st -eq 0 ] && grep -q "resuming job [0-9a-f]*: 1[3-9] of 26 blocks reused" "$T/resume.err"'
check "... every level is gdaladdo's, nothing left" \
    'same_levels "$T/out.tif" average && dir_empty'

# 7b: a level's block reported failed, as a slave whose reduction failed reports it: the
# claim made ahead of the slave (block 14, level 1's second), its `failed` written once
# todo/ asks for it. Reissued as any block; with -retries 1 the job fails on it.
level_fails() {
	failing=$1
	shift
	held_job "$failing" "$T/fail.err" "$@"
	wait_for "$BLUR_DIR/todo/block.14.a"
	echo test:1 > "$BLUR_DIR/block.14.a/slave"
	printf 'test:1\nthe reduction failed\n' > "$BLUR_DIR/block.14.a/failed.x"
	mv "$BLUR_DIR/block.14.a/failed.x" "$BLUR_DIR/block.14.a/failed"
	wait $master
	st=$?
	wait $slave
	sed 's/^/# /' "$T/fail.err"
}
level_fails "$T/out.tif"
check "a level's block reported failed: reissued, the job done" \
    '[ $st -eq 0 ] && grep -q "block\.14\.a failed on test:1: the reduction failed" "$T/fail.err" &&
    grep -q "block\.14\.a failed; reissued as block\.14\.b$" "$T/fail.err"'
check "... every level is gdaladdo's, nothing left" 'same_levels "$T/out.tif" average && dir_empty'
level_fails "$T/failed.tif" -retries 1
check "... with -retries 1: the job fails in one line naming it, nothing made" \
    '[ $st -eq 1 ] && tail -n 1 "$T/fail.err" | grep -qx "blur: block 14 failed 1 time, last on test:1: the reduction failed" &&
    [ ! -e "$T/failed.tif" ] && dir_empty'

# 8: bad values: exit 2, a line naming the option (and where help is), nothing made.
for bad in "-overviews -1" "-overviews many" "-resample median"; do
	blur -master "$T/u8.tif" -o "$T/bad.tif" $bad 2> "$T/bad.err"
	st=$?
	check "$bad: exit 2, said in one line, nothing made" \
	    '[ $st -eq 2 ] && head -n 1 "$T/bad.err" | grep -q "^blur: ${bad%% *} '"'"'${bad#* }'"'"': must be" &&
	    [ $(wc -l < "$T/bad.err") -eq 2 ] && [ ! -e "$T/bad.tif" ] && dir_empty'
done

# 9: COGs, GDAL's validator and its COG driver's levels (which round sizes down).
image "$T/c7.tif" uint8 300x260 - 7
for kind in u8:uint8 rgb:uint16 f32:float32 c7:uint8 wide:uint8; do
	run "$T/${kind%%:*}.tif" "$T/out.tif" -cog -tile 128x128 -overviews 2
	check "-cog of ${kind%%:*} (${kind#*:}): done" '[ $st -eq 0 ]'
	check "-cog of ${kind%%:*}: valid, its levels the COG driver's" 'same_cog "$T/out.tif" AVERAGE 128'
done
gdal_translate -q -a_srs EPSG:32631 -a_ullr 500000 4650000 503010 4647970 "$T/u8.tif" "$T/geo.tif"
run "$T/geo.tif" "$T/out.tif" -cog
check "-cog of a GeoTIFF: its georeferencing kept" \
    '[ $st -eq 0 ] && [ "$(georef "$T/out.tif")" = "$(georef "$T/geo.tif")" ]'
# EXIF and GPS directories would come before the first IFD: a COG leaves them out.
cp "$T/u8.tif" "$T/exif.tif"
exiftool -q -overwrite_original -DateTimeOriginal="2020:01:01 00:00:00" -GPSLatitude=48.1 \
    -GPSLatitudeRef=N "$T/exif.tif"
run "$T/exif.tif" "$T/out.tif" -cog
check "-cog of a file with EXIF and GPS directories: valid, without them" \
    '[ $st -eq 0 ] && $PY $VALIDATE -q "$T/out.tif" && [ -z "$(exiftool -s3 -GPSLatitude "$T/out.tif")" ]'
blur -master "$T/u8.tif" -o "$T/bad.tif" -cog -strip 16 2> "$T/bad.err"
st=$?
check "-cog -strip: exit 2, said, nothing made" \
    '[ $st -eq 2 ] && grep -q "^blur: -cog writes tiles" "$T/bad.err" && [ ! -e "$T/bad.tif" ]'

finish
