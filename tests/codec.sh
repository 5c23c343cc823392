#!/bin/sh
# codec.sh — compressed and tiled inputs, decoded by the slaves, and outputs the slaves
# compress: every codec libtiff has here, in strips and tiles, 8-bit, 16-bit and float;
# the output's layout kept or chosen; strips byte for byte what one process writes; a
# GeoTIFF; a damaged tile; a slave killed while it encodes; who decodes and why.
. "$TESTLIB"

PY=/usr/bin/python3
for tool in tiffcp tiffinfo gdal_translate gdalinfo $PY; do
	command -v "$tool" > /dev/null || skip_all "$tool not found (apt-get install libtiff-tools gdal-bin python3)"
done
$PY -c 'from osgeo import gdal; import numpy' 2> /dev/null ||
    skip_all "$PY cannot import osgeo.gdal and numpy (apt-get install python3-gdal)"
for c in lzw deflate zstd lzma packbits jpeg webp; do
	"$BLUR" -help | grep "the output's compression:" | grep -qw $c ||
	    skip_all "this libtiff cannot write $c"
done
# GDAL would leave .aux.xml files beside its inputs and outputs.
export GDAL_PAM_ENABLED=NO

# 1: inputs, 2 checks each: 8-bit 8 codecs, 16-bit and float 6, G4, each in strips and
# tiles. 2: 8 x 2 -compress, 3 quality and level, 3 + 3 tiles and strips, 3 BigTIFF, 6 x
# 3 bad values. 3: 5 codecs x 3 depths + 2 levels. 4: 2 GeoTIFF. 5: 6 a damaged tile.
# 6: 5 a killed slave. 7: 3 x 2 + 7 who decodes.
plan $((2 * 2 * (8 + 6 + 6 + 1) + 8 * 2 + 3 + 3 + 3 + 3 + 6 * 3 + 5 * 3 + 2 + 2 + 6 + 5 + 2 * 2 + 7 + 4 * 3))

# run's blocks: 32 rows, whole strips or tile rows of the inputs, rounded up.
RUN_ROWS=32

# same A B: every sample of A is B's. tests/pixdiff reads strips only: both are first
# copied into uncompressed strips.
same() {
	tiffcp -c none -s -r 16 "$1" "$T/same-a.tif" && tiffcp -c none -s -r 16 "$2" "$T/same-b.tif" &&
	    pixels "$T/same-a.tif" "$T/same-b.tif" 0
}

# layout FILE: its compression, predictor and tile size, as tiffinfo says them, on one line.
layout() {
	tiffinfo "$1" 2> /dev/null |
	    sed -n 's/^ *\(Compression Scheme\|Predictor\|Tile Width\): */\1 /p' | tr '\n' ';'
}

# name CODEC: tiffinfo's name for a codec of tiffcp's or blur's.
name() {
	case $1 in
	none) echo None ;; lzw*) echo LZW ;; zip* | deflate) echo AdobeDeflate ;;
	zstd*) echo ZSTD ;; lzma*) echo LZMA ;; packbits) echo PackBits ;;
	jpeg*) echo JPEG ;; webp*) echo WEBP ;; g4) echo "CCITT Group 4" ;;
	esac
}

# chunks FILE: the size and MD5 of each strip or tile, in order, as its first directory
# lists them (classic or BigTIFF, either byte order), each after its offset with -o.
cat > "$T/chunks.py" << 'EOF'
import hashlib, struct, sys
offsets = sys.argv[1] == '-o'
path = sys.argv[-1]
data = open(path, 'rb').read()
e = {b'II': '<', b'MM': '>'}[data[:2]]
big = struct.unpack(e + 'H', data[2:4])[0] == 43
word = 'Q' if big else 'I'
ifd = struct.unpack(e + word, data[8:16] if big else data[4:8])[0]
n = struct.unpack(e + ('Q' if big else 'H'), data[ifd:ifd + (8 if big else 2)])[0]
entry, first = (20, ifd + 8) if big else (12, ifd + 2)
tags = {}
for p in range(first, first + n * entry, entry):
    tag, kind = struct.unpack(e + 'HH', data[p:p + 4])
    if tag not in (273, 279, 324, 325):
        continue
    count = struct.unpack(e + word, data[p + 4:p + 4 + struct.calcsize(word)])[0]
    at = p + 4 + struct.calcsize(word)
    fmt = {3: 'H', 4: 'I', 16: 'Q'}[kind]
    if count * struct.calcsize(fmt) > struct.calcsize(word):
        at = struct.unpack(e + word, data[at:at + struct.calcsize(word)])[0]
    tags[tag] = struct.unpack(e + fmt * count, data[at:at + count * struct.calcsize(fmt)])
where, size = (tags[324], tags[325]) if 324 in tags else (tags[273], tags[279])
for o, s in zip(where, size):
    print(*([o] if offsets else []), s, hashlib.md5(data[o:o + s]).hexdigest())
EOF
chunks() { $PY "$T/chunks.py" "$@"; }

# --- 1. Every codec, in strips and in tiles, 8-bit, 16-bit and float: the pixels of the
# same job on an uncompressed copy (for JPEG and lossy WebP, a copy of the decoded
# input), and the input's layout kept (JPEG and fax become Deflate). 300x250 leaves
# partial tiles of 64x64 and partial strips.
make_image "$T/base8.tif" rgb8 300x250 5
make_image "$T/base16.tif" rgb16 300x250 6
gdal_translate -q -ot Float32 -scale 0 65535 -1 3 "$T/base16.tif" "$T/basef32.tif"
convert "$T/base8.tif" -colorspace gray -threshold 50% -depth 1 -compress none "$T/base1.tif"
for d in 8 16 f32 1; do
	case $d in
	8) codecs="none lzw zip:2 zstd:2 lzma packbits jpeg webp" what="8-bit RGB" ;;
	16) codecs="none lzw:2 zip zstd:2 lzma:2 packbits" what="16-bit RGB" ;;
	f32) codecs="none lzw:3 zip:3 zstd lzma:3 packbits" what="float32" ;;
	1) codecs=g4 what="1-bit" ;;
	esac
	run "$T/base$d.tif" "$T/ref$d.tif"
	for c in $codecs; do
		for chunk in strips tiles; do
			in=$T/in-$d-$c-$chunk.tif out=$T/out-$d-$c-$chunk.tif
			case $chunk in
			strips) tiffcp -c "$c" -r 16 "$T/base$d.tif" "$in" ;;
			tiles) tiffcp -c "$c" -t -w 64 -l 64 "$T/base$d.tif" "$in" ;;
			esac
			ref=$T/ref$d.tif lin=$(layout "$in")
			case $c in
			jpeg | webp)
				gdal_translate -q -co COMPRESS=NONE "$in" "$T/decoded.tif"
				run "$T/decoded.tif" "$T/ref-decoded.tif"
				ref=$T/ref-decoded.tif ;;
			esac
			# blur writes JPEG and fax as Deflate, WebP lossless.
			case $c in
			jpeg | g4) want=$(echo "$lin" | sed 's/Compression Scheme [^;]*/Compression Scheme AdobeDeflate/') ;;
			*) want=$lin ;;
			esac
			run "$in" "$out"
			check "$what $c $chunk: the pixels of the job on an uncompressed copy" \
			    '[ $st -eq 0 ] && same "$out" "$ref"'
			tiled=$([ $chunk = tiles ] && echo "Tile Width 64 Tile Length: 64;")
			check "$what $c $chunk: the input's layout kept: $want" \
			    'echo "$lin" | grep -q "^${tiled}Compression Scheme $(name $c);" && [ "$(layout "$out")" = "$want" ]'
		done
	done
done

# --- 2. The output's layout as asked, on an uncompressed input: each compression, the
# lossless ones with the pixels of -compress none; tiles, strips, BigTIFF; bad values.
none=$T/ref8.tif
run "$T/base8.tif" "$none" -compress none
for c in none lzw deflate zstd lzma packbits jpeg webp; do
	run "$T/base8.tif" "$T/c-$c.tif" -compress $c
	check "-compress $c: $(name $c)" \
	    '[ $st -eq 0 ] && layout "$T/c-$c.tif" | grep -q "Compression Scheme $(name $c);"'
	if [ $c = jpeg ]; then
		# Lossy: GDAL reads it back (the slaves' abbreviated streams and the file's
		# tables agree) near the pixels of -compress none.
		check "-compress jpeg: decodes near the pixels of -compress none" \
		    '$PY -c "from osgeo import gdal; import numpy, sys
a, b = (gdal.Open(f).ReadAsArray().astype(float) for f in sys.argv[1:])
d = abs(a - b); print(\"# mean\", d.mean(), \"max\", d.max()); sys.exit(not d.mean() < 2)" "$T/c-$c.tif" "$none"'
	else
		check "-compress $c: the pixels of -compress none" 'same "$T/c-$c.tif" "$none"'
	fi
done
run "$T/base8.tif" "$T/q20.tif" -compress jpeg -quality 20
run "$T/base8.tif" "$T/q90.tif" -compress jpeg -quality 90
check "-quality 20 makes a smaller JPEG than -quality 90" \
    '[ $(stat -c %s "$T/q20.tif") -lt $(stat -c %s "$T/q90.tif") ]'
run "$T/base8.tif" "$T/l1.tif" -compress deflate -level 1
run "$T/base8.tif" "$T/l12.tif" -compress deflate -level 12
check "-level 12 makes a smaller Deflate than -level 1" \
    '[ $(stat -c %s "$T/l12.tif") -lt $(stat -c %s "$T/l1.tif") ]'
check "... with the same pixels" 'same "$T/l1.tif" "$T/l12.tif"'
run "$T/base8.tif" "$T/tiled.tif" -tile 64x64
check "-tile 64x64: 64x64 tiles" '[ $st -eq 0 ] && [ "$(layout "$T/tiled.tif")" = "Tile Width 64 Tile Length: 64;Compression Scheme None;" ]'
check "-tile 64x64: 5 x 4 of them" '[ $(chunks "$T/tiled.tif" | wc -l) -eq 20 ]'
check "-tile 64x64: the pixels of -compress none" 'same "$T/tiled.tif" "$none"'
run "$T/base8.tif" "$T/strip10.tif" -strip 10 -compress lzw
check "-strip 10: strips of 10 rows" '[ $st -eq 0 ] && [ "$(tag "$T/strip10.tif" Rows/Strip)" = 10 ] && ! layout "$T/strip10.tif" | grep -q Tile'
check "-strip 10: 25 of them" '[ $(chunks "$T/strip10.tif" | wc -l) -eq 25 ]'
check "-strip 10: the pixels of -compress none" 'same "$T/strip10.tif" "$none"'
# magic FILE: its first four bytes in hexadecimal.
magic() { od -An -tx1 -N4 "$1" | tr -d ' '; }
run "$T/base8.tif" "$T/big.tif" -bigtiff yes -compress zstd
check "-bigtiff yes: a BigTIFF" '[ $st -eq 0 ] && [ "$(magic "$T/big.tif")" = 49492b00 ]'
check "-bigtiff yes: the pixels of -compress none" 'same "$T/big.tif" "$none"'
run "$T/base8.tif" "$T/classic.tif" -bigtiff no
check "-bigtiff no: a classic TIFF" '[ $st -eq 0 ] && [ "$(magic "$T/classic.tif")" = 49492a00 ]'
# Bad values: one line naming the mistake (and for usage errors the hint), status 2, or
# 1 for what the input tells, nothing in DIR and no output.
for c in "2 base8 -compress gif:-compress 'gif'" "2 base8 -tile 100x64:-tile '100x64'" \
    "2 base8 -compress jpeg -quality 0:-quality '0'" "2 base8 -compress deflate -level 99:-level '99'" \
    "2 base8 -tile 64x64 -strip 10:-tile and -strip" \
    "1 base16 -compress jpeg:base16.tif: jpeg compression needs 8-bit"; do
	set -- ${c%%:*}
	status=$1 in=$T/$2.tif said=${c#*:} what=$2
	shift 2
	rm -f "$T/bad.tif"
	blur -master "$in" -o "$T/bad.tif" -slaves 2 "$@" 2> "$T/bad.err"
	st=$?
	check "$what $*: status $status" '[ $st -eq $status ]'
	if [ $status = 2 ]; then
		check "$what $*: one line naming it, then the hint" \
		    '[ "$(wc -l < "$T/bad.err")" -eq 2 ] && head -n 1 "$T/bad.err" | grep -qF "blur: $said" && sed -n 2p "$T/bad.err" | grep -qx "Try '"'blur -help'"'\."'
	else
		check "$what $*: one line naming it" \
		    '[ "$(wc -l < "$T/bad.err")" -eq 1 ] && grep -qF "blur: $T/$said" "$T/bad.err"'
	fi
	check "$what $*: no output, DIR empty" '[ ! -e "$T/bad.tif" ] && dir_empty'
done

# --- 3. Lossless strips are byte for byte what libtiff writes in one process: blur's
# output, decoded and encoded again by tiffcp with its compression, predictor and rows
# per strip; with a -level, by GDAL (tiffcp 4.5 sets no level: "Unknown pseudo-tag").
# Strips of 24 rows: blocks of 48, a last strip of 10 rows.
for c in "8/lzw/lzw" "8/deflate/zip" "8/zstd/zstd" "8/lzma/lzma" "8/packbits/packbits" \
    "16/lzw/lzw" "16/deflate/zip" "16/zstd/zstd" "16/lzma/lzma" "16/packbits/packbits" \
    "f32/lzw/lzw" "f32/deflate/zip" "f32/zstd/zstd" "f32/lzma/lzma" "f32/packbits/packbits" \
    "8/deflate -level 9/COMPRESS=DEFLATE ZLEVEL=9" "16/zstd -level 19/COMPRESS=ZSTD ZSTD_LEVEL=19"; do
	d=${c%%/*} opt=${c##*/} c=${c#*/}
	c=${c%/*} out=$T/one-$d.tif what=$(echo "$d" | sed 's/^f/float/; s/^[0-9]*$/&-bit/')
	run "$T/base$d.tif" "$out" -compress $c -strip 24
	p=$(tiffinfo "$out" 2> /dev/null | sed -n 's/^ *Predictor:.* \([0-9]\) (0x.)$/\1/p')
	tiffcp -c none "$out" "$T/decoded.tif"
	case $opt in
	*=*)
		gdal_translate -q $(printf -- '-co %s ' $opt) -co PREDICTOR=${p:-1} -co BLOCKYSIZE=24 \
		    "$T/decoded.tif" "$T/one-ref.tif"
		by="GDAL's $opt" ;;
	*)
		tiffcp -c "$opt${p:+:$p}" -r 24 "$T/decoded.tif" "$T/one-ref.tif"
		by="tiffcp -c $opt${p:+:$p}'s" ;;
	esac
	chunks "$out" > "$T/one.chunks"
	chunks "$T/one-ref.tif" > "$T/one-ref.chunks"
	check "$what -compress $c (predictor ${p:-none}): 11 strips, byte for byte $by" \
	    '[ $st -eq 0 ] && [ $(wc -l < "$T/one.chunks") -eq 11 ] && cmp "$T/one.chunks" "$T/one-ref.chunks"'
done

# --- 4. A GeoTIFF's gdalinfo is kept but for storage: its coordinate system, geotransform,
# metadata, band types, colours and nodata.
gdal_translate -q -a_srs EPSG:32633 -a_ullr 500000 4000250 500300 4000000 -a_nodata 0 \
    -co TILED=YES -co BLOCKXSIZE=64 -co BLOCKYSIZE=64 -co COMPRESS=DEFLATE \
    -mo AREA_OR_POINT=Point -mo TIFFTAG_DOCUMENTNAME=codec -mo SENSOR=codec \
    "$T/base16.tif" "$T/geo.tif"
run "$T/geo.tif" "$T/geo-out.tif"
gdalinfo -json "$T/geo.tif" > "$T/geo.json"
gdalinfo -json "$T/geo-out.tif" > "$T/geo-out.json"
cat > "$T/geo.py" << 'EOF'
import json, sys
def kept(path):
    info = json.load(open(path))
    for key in ('description', 'files'):
        info.pop(key, None)
    info.get('metadata', {}).pop('IMAGE_STRUCTURE', None)
    for band in info['bands']:
        band.pop('block', None)
    return info
a, b = (kept(f) for f in sys.argv[1:])
for key in sorted(set(a) | set(b)):
    if a.get(key) != b.get(key):
        print('# %s: %s, then %s' % (key, json.dumps(a.get(key))[:200], json.dumps(b.get(key))[:200]))
sys.exit(a != b or '32633' not in json.dumps(a['coordinateSystem']) or
         a['bands'][0].get('noDataValue') != 0)
EOF
check "GeoTIFF: blurred" '[ $st -eq 0 ]'
check "GeoTIFF: gdalinfo -json as the input's (UTM 33N, nodata 0) but for storage" \
    '$PY "$T/geo.py" "$T/geo.json" "$T/geo-out.json"'

# --- 5. A damaged tile: bytes inside tile 7's Deflate stream (the second row of tiles)
# overwritten. The job fails after the retries (2, then 1 with -q), its last line naming
# the file and tile.
tiffcp -c zip -t -w 64 -l 64 "$T/base8.tif" "$T/damaged.tif"
set -- $(chunks -o "$T/damaged.tif" | sed -n 8p)
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
    dd of="$T/damaged.tif" bs=1 seek=$(($1 + $2 / 2)) conv=notrunc 2> /dev/null
rm -f "$T/damaged-out.tif"
blur -master "$T/damaged.tif" -o "$T/damaged-out.tif" -slaves 2 -rows 32 -retries 2 2> "$T/damaged.err"
st=$?
check "damaged tile: status 1" '[ $st -eq 1 ]'
check "damaged tile: the last line, after 2 tries, names the file and tile 7" \
    'tail -n 1 "$T/damaged.err" | grep "failed 2 times" | grep -F "$T/damaged.tif: " | grep -q "tile 7\b"'
check "damaged tile: no output, DIR empty" '[ ! -e "$T/damaged-out.tif" ] && dir_empty'
blur -master "$T/damaged.tif" -o "$T/damaged-out.tif" -slaves 2 -rows 32 -q -retries 1 2> "$T/damaged.err"
st=$?
check "damaged tile, -q: status 1" '[ $st -eq 1 ]'
check "damaged tile, -q: exactly one line, naming the file and tile 7" \
    '[ "$(wc -l < "$T/damaged.err")" -eq 1 ] && grep -F "$T/damaged.tif: " "$T/damaged.err" | grep -q "tile 7\b"'
check "damaged tile, -q: no output, DIR empty" '[ ! -e "$T/damaged-out.tif" ] && dir_empty'

# --- 6. A separate slave killed (kill -9) while it encodes a block: LZMA at level 9,
# whose every strip costs far more than the blur. The block is reissued (-timeout 1) and
# the job ends with the pixels of the same job uncompressed.
make_image "$T/large.tif" rgb8 1000x800 9
run "$T/large.tif" "$T/large-none.tif" -compress none
rm -f "$T/large-lzma.tif"
"$BLUR" -master "$T/large.tif" -o "$T/large-lzma.tif" -compress lzma -level 9 -rows 200 \
    -timeout 1 2> "$T/large.err" &
master=$!
"$BLUR" -slave -j 1 > /dev/null 2>&1 &
victim=$!
wait_for_claim
sleep 0.2
kill -9 $victim
wait $victim 2> /dev/null
blur -slave > /dev/null 2>&1
check "killed while encoding: the job ends" 'wait $master'
check "killed while encoding: its block reissued" \
    'grep -q "claimed by $(hostname):$victim and not done in 1 s; reissued as block\.[0-9]*\.b$" "$T/large.err"'
check "killed while encoding: LZMA" 'layout "$T/large-lzma.tif" | grep -q "Compression Scheme LZMA;"'
check "killed while encoding: the pixels of the job uncompressed" 'same "$T/large-lzma.tif" "$T/large-none.tif"'
check "killed while encoding: DIR empty" 'dir_empty'

# --- 7. Who decodes. The master, where one strip or row of tiles holds the whole
# (compressed) image; -v says why.
tiffcp -c lzw -r 250 "$T/base8.tif" "$T/one-strip.tif"
tiffcp -c lzw -t -w 304 -l 256 "$T/base8.tif" "$T/one-tile-row.tif"
for c in "one-strip:one strip or row of tiles holds the whole image" \
    "one-tile-row:one strip or row of tiles holds the whole image"; do
	in=$T/${c%%:*}.tif
	run "$in" "$T/who.tif" -v
	check "${c%%:*}: -v says the master decodes it: ${c#*:}" \
	    '[ $st -eq 0 ] && grep -qF "blur: $in: the master decodes it: ${c#*:}" "$T/run.err"'
	check "${c%%:*}: the pixels of the job on base8" 'same "$T/who.tif" "$T/ref8.tif"'
done
# The slaves, for a compressed input in many strips: DIR holds image.tif, the input's
# bytes, while a separate slave does the job.
in=$T/in-8-lzw-strips.tif
rm -f "$T/who.tif"
"$BLUR" -master "$in" -o "$T/who.tif" -rows 32 -v 2> "$T/who.err" &
master=$!
wait_for "$BLUR_DIR/image.tif"
check "slaves decode: DIR holds image.tif, the input's bytes" 'cmp "$BLUR_DIR/image.tif" "$in"'
blur -slave > "$T/who.out" 2>&1
check "slaves decode: the job ends" 'wait $master'
check "slaves decode: -v says so" 'grep -qF "blur: $in: the slaves decode it, each block its strips of 16 rows" "$T/who.err"'
check "slaves decode: -v says image.tif links to it" 'grep -qF "blur: $BLUR_DIR/image.tif: a link to $in" "$T/who.err"'
check "slaves decode: the slave did every block" 'grep -qx "Finished: 8 blocks" "$T/who.out"'
check "slaves decode: the pixels of the job on base8" 'same "$T/who.tif" "$T/ref8.tif"'
check "slaves decode: DIR empty" 'dir_empty'
# Uncompressed strips, in one or many (libtiff reads one as strips of about 8 KiB): the
# slaves map their rows from image.tif, nothing copied; with a secret, they read them
# and check them.
tiffcp -c none -r 250 "$T/base8.tif" "$T/raw-one.tif"
tiffcp -c none -r 7 "$T/base8.tif" "$T/raw-many.tif"
printf 'the secret of this job\n' > "$T/key"
chmod 600 "$T/key"
for c in "raw-one:map" "raw-many:map" "raw-one:secret:9" "raw-many:secret:7"; do
	in=$T/${c%%:*}.tif
	case $c in
	*:map) run "$in" "$T/who.tif" -v; say="the slaves map its uncompressed strips" ;;
	*) run "$in" "$T/who.tif" -v -secret "$T/key"
		say="the slaves decode it, each block its strips of ${c##*:} rows" ;;
	esac
	check "$c: -v says $say" '[ $st -eq 0 ] && grep -qF "blur: $in: $say" "$T/run.err"'
	check "$c: the pixels of the job on base8" 'same "$T/who.tif" "$T/ref8.tif"'
	check "$c: DIR empty" 'dir_empty'
done

finish
