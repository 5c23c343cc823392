#!/bin/sh
# batch.sh — many inputs in one command: 200 small images through 4 persistent slaves,
# each output the file its own single job makes; -o as a directory and as a pattern; a
# bad file among good ones; -halt soon,fail=1; the job log read back column by column;
# a master killed mid-batch and -resumed; a batch stopped by SIGTERM; usage errors; the
# frames of a render, a shell command's and POV-Ray's (the scene in contrib/povray); a
# page of a 3-page TIFF selected with IN[N].
. "$TESTLIB"

HAVE_POVRAY=0
command -v povray > /dev/null && HAVE_POVRAY=1
plan $((4 + 2 + 4 + 3 + 2 + 4 + 3 + 3 + 4 + 3 * HAVE_POVRAY + 5))

# same_files DIR REFDIR NAMES...: every NAME in DIR is byte for byte the one in REFDIR.
same_files() {
	d=$1 r=$2
	shift 2
	for f in "$@"; do
		cmp -s "$d/$f" "$r/$f" || { echo "# $d/$f differs from $r/$f"; return 1; }
	done
}

# 1. 200 images of a few sizes and depths through 4 persistent slaves, one batch: each
# output the file its single job makes.
mkdir "$T/in" "$T/ref"
for i in $(seq 1 200); do
	n=$(printf %03d $i)
	convert -seed $i -size $((40 + i % 7 * 9))x$((30 + i % 5 * 11)) plasma:fractal \
	    -depth $((8 + i % 2 * 8)) -compress none "$T/in/im$n.tif"
done
set -- "$T"/in/im*.tif
for p in 1 2 3 4; do
	"$BLUR" -slave -persist -j 1 -q > /dev/null 2>&1 &
	eval "slave$p=\$!"
done
blur -master "$@" -o "$T/out/" -radius 2 -q -joblog "$T/200.log" 2> "$T/200.err"
st=$?
sed 's/^/# /' "$T/200.err"
check "200 inputs: exit 0, nothing said" '[ $st -eq 0 ] && [ ! -s "$T/200.err" ]'
check "200 inputs: 200 outputs under the inputs' default names" \
    '[ "$(ls "$T/out" | wc -l)" -eq 200 ] && [ -f "$T/out/im001-blur.tif" ] && [ -f "$T/out/im200-blur.tif" ]'
for f in "$@"; do
	b=$(basename "$f" .tif)
	blur -master "$f" -o "$T/ref/$b-blur.tif" -radius 2 -q
done
check "200 inputs: each output the file its single job makes" \
    'same_files "$T/out" "$T/ref" $(cd "$T/ref" && ls)'
check "200 inputs: the 4 persistent slaves are still waiting, DIR empty" \
    'kill -0 $slave1 $slave2 $slave3 $slave4 && dir_empty'

# 2. -o as a pattern, numbered from 1; -o DIR/ made when missing.
blur -master "$T/in/im001.tif" "$T/in/im002.tif" "$T/in/im003.tif" -radius 2 -q \
    -o "$T/pat-%02d.tif"
check "-o pattern: out-01 to out-03, in the inputs' order" \
    'cmp -s "$T/pat-01.tif" "$T/ref/im001-blur.tif" && cmp -s "$T/pat-03.tif" "$T/ref/im003-blur.tif" && [ ! -e "$T/pat-04.tif" ]'
check "-o DIR/ was made" '[ -d "$T/out" ]'

# 3. A bad file among good ones: all done but it, said in one line, exit 1; the log.
printf 'not a TIFF\n' > "$T/in/bad.tif"
convert -size 30x20 xc:red "$T/in/red.png"
blur -master "$T/in/im001.tif" "$T/in/bad.tif" "$T/in/im002.tif" "$T/in/red.png" \
    "$T/in/im003.tif" -o "$T/mixed/" -radius 2 -q -joblog "$T/mixed.log" 2> "$T/mixed.err"
st=$?
sed 's/^/# /' "$T/mixed.err"
check "a bad file among good ones: exit 1" '[ $st -eq 1 ]'
check "... each bad one named in one line, then how many failed" \
    '[ "$(wc -l < "$T/mixed.err")" -eq 3 ] && grep -q "^blur: $T/in/bad.tif: not a readable TIFF file" "$T/mixed.err" &&
    grep -q "^blur: $T/in/red.png: a PNG image, not a TIFF; convert it first" "$T/mixed.err" &&
    tail -n 1 "$T/mixed.err" | grep -qx "blur: 2 of 5 jobs failed"'
check "... the good ones done" \
    'same_files "$T/mixed" "$T/ref" im001-blur.tif im002-blur.tif im003-blur.tif && [ "$(ls "$T/mixed" | wc -l)" -eq 3 ]'
check "... DIR empty" 'dir_empty'

# 4. The job log, read back by a script as a user's would read parallel's.
check_log() {
	/usr/bin/python3 - "$@" << 'EOF'
import os, socket, sys
log, expect = sys.argv[1], sys.argv[2:]   # expect: IN:OUT:EXITVAL ...
lines = open(log).read().split('\n')
assert lines[-1] == '', 'the last line ends'
assert lines[0] == 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand', lines[0]
rows = [l.split('\t') for l in lines[1:-1]]
assert len(rows) == len(expect), (len(rows), len(expect))
last = 0
for seq, (row, e) in enumerate(zip(rows, expect), 1):
    inp, out, code = e.split(':')
    assert len(row) == 9, row
    assert row[0] == str(seq), row
    assert row[1] == socket.gethostname(), row
    start, runtime = float(row[2]), float(row[3])
    assert abs(start - float(os.path.getmtime(log))) < 600 and start >= last, row
    last = start
    assert 0 <= runtime < 120 and len(row[3].split('.')[1]) == 3, row
    assert int(row[4]) == os.path.getsize(inp), row
    assert int(row[5]) == (os.path.getsize(out) if code == '0' else 0), row
    assert row[6] == code and row[7] == '0', row
    assert row[8] == 'blur -master %s -o %s' % (inp, out), row
EOF
}
I=$T/in M=$T/mixed
check "the job log: header, and every column of every job" \
    'check_log "$T/mixed.log" $I/im001.tif:$M/im001-blur.tif:0 $I/bad.tif:$M/bad-blur.tif:1 $I/im002.tif:$M/im002-blur.tif:0 $I/red.png:$M/red-blur.png:1 $I/im003.tif:$M/im003-blur.tif:0'
check "the 200 inputs' log: 200 jobs done" \
    '[ "$(grep -c "	0	0	blur -master " "$T/200.log")" -eq 200 ]'
# quoted_back LOG: the names in the Command of LOG's first job, as sh reads them back.
quoted_back() {
	eval "set -- $(sed -n 2p "$1" | cut -f 9)"
	[ "$3" = "$q_in" ] && [ "$5" = "$q_out" ]
}
q_in="$T/in/it's here.tif" q_out="$T/q/it's here-blur.tif"
cp "$T/in/im001.tif" "$q_in"
blur -master "$q_in" "$T/in/im002.tif" -o "$T/q/" -radius 2 -q -joblog "$T/q.log"
check "a name that needs quoting is quoted as sh reads it back" 'quoted_back "$T/q.log"'

# 5. -halt soon,fail=1: the batch ends after the first failure, saying so.
blur -master "$T/in/im001.tif" "$T/in/bad.tif" "$T/in/im002.tif" "$T/in/im003.tif" \
    -o "$T/halt/" -radius 2 -q -halt soon,fail=1 2> "$T/halt.err"
st=$?
check "-halt soon,fail=1: exit 1, the first job done, none after the failure" \
    '[ $st -eq 1 ] && [ "$(ls "$T/halt")" = im001-blur.tif ]'
check "... said: 2 not started" \
    'tail -n 1 "$T/halt.err" | grep -qx "blur: halting after 1 failed job (-halt): 2 not started" && dir_empty'

# 6. A master killed mid-batch (no local slaves; one slave of ours), then -resume: the jobs
# done skipped, the one the dead master left continued, the rest run.
for p in 1 2 3 4; do eval "kill \$slave$p"; done
wait
set -- "$T"/in/im00[1-6].tif
"$BLUR" -master "$@" -o "$T/resumed/" -radius 2 -rows 8 -q -joblog "$T/resumed.log" \
    2> /dev/null &
master=$!
"$BLUR" -slave -persist -j 1 -q > /dev/null 2>&1 &
slave=$!
wait_for "$T/resumed/im003-blur.tif"
kill -STOP $slave
sleep 0.3
kill -9 $master
wait $master 2> /dev/null
kill -CONT $slave
done_before=$(ls "$T/resumed" | wc -l)
blur -master "$@" -o "$T/resumed/" -radius 2 -rows 8 -joblog "$T/resumed.log" \
    -resume 2> "$T/resumed.err"
st=$?
grep -v "% (" "$T/resumed.err" | sed 's/^/# /'
check "killed mid-batch, -resume: exit 0" '[ $st -eq 0 ]'
check "... the jobs done before skipped, said once" \
    'grep -qx "blur: -resume: $done_before jobs done already, skipped" "$T/resumed.err"'
# same_pixels_all DIR REFDIR: every output in DIR has the pixels of the one in REFDIR.
same_pixels_all() {
	for f in $(cd "$1" && ls); do
		same_pixels "$1/$f" "$2/$f" 16 0 || return 1
	done
}
check "... every output the pixels of its single job (blocks of 8 rows here)" \
    'same_pixels_all "$T/resumed" "$T/ref" && [ "$(ls "$T/resumed" | wc -l)" -eq 6 ]'
check "... the log: 6 jobs done in all, DIR empty" \
    '[ "$(grep -c "	0	0	blur -master " "$T/resumed.log")" -eq 6 ] && dir_empty'

# 7. SIGTERM to a batch's master: its job cancelled, the batch ends there, exit 1; the log
# says which signal.
kill -STOP $slave
"$BLUR" -master "$T/in/im001.tif" "$T/in/im002.tif" -o "$T/term/" -radius 2 -q \
    -joblog "$T/term.log" 2> "$T/term.err" &
master=$!
wait_for "$BLUR_DIR/working"
kill -TERM $master
finishes 20 $master
st=$?
kill -CONT $slave
check "SIGTERM: exit 1, the job cancelled, the next not started" \
    '[ $st -eq 1 ] && grep -q "interrupted; job cancelled" "$T/term.err" && [ -z "$(ls "$T/term")" ]'
check "... the log: Exitval 1, Signal 15, one job" \
    '[ "$(sed -n 2p "$T/term.log" | cut -f 7,8)" = "$(printf "1\t15")" ] && [ "$(wc -l < "$T/term.log")" -eq 2 ]'
check "... DIR empty" 'dir_empty'
kill $slave
wait $slave

# 8. Usage: one line, exit 2, nothing made.
for bad in "-o $T/x.tif:with several inputs, -o names a directory" \
    "-o $T/x%s.tif:a pattern takes one %d" "-halt later:must be never, or now or soon"; do
	blur -master "$T/in/im001.tif" "$T/in/im002.tif" ${bad%%:*} 2> "$T/usage.err"
	st=$?
	check "${bad%%:*}: exit 2, said" \
	    '[ $st -eq 2 ] && head -n 1 "$T/usage.err" | grep -qF "${bad#*:}" && [ ! -e "$T/x.tif" ]'
done

# 9. Frames 3-6 of a render: one job each, BLUR_FRAME in the command's environment, the
# frame's number in the output's name; a frame of 640x480 in 60 blocks, not one.
blur -master -size 640x480 -frames 3-6 -o "$T/frame-%04d.tif" -slaves 2 -joblog "$T/frames.log" \
    -exec 'convert -size ${BLUR_WIDTH}x${BLUR_ROWS} xc:"rgb($((BLUR_FRAME * 40)),$BLUR_Y,0)" -depth 8 ppm:-' \
    2> "$T/frames.err"
st=$?
check "frames 3-6: exit 0, four outputs named by frame" \
    '[ $st -eq 0 ] && [ "$(cd "$T" && ls frame-*.tif | tr "\n" " ")" = "frame-0003.tif frame-0004.tif frame-0005.tif frame-0006.tif " ]'
check "... each frame drawn with its BLUR_FRAME, in every block" \
    'for f in 3 4 5 6; do [ "$(convert "$T/frame-000$f.tif" -format "%[fx:int(255*p{0,0}.r)] %[fx:int(255*p{639,479}.r)]" info:)" = "$((f * 40)) $((f * 40))" ] || exit 1; done'
check "... each in 60 blocks of 8 rows (a render's cost, not its bytes)" \
    '[ "$(grep -c "^blur: $T/frame-000[3-6].tif: 60 blocks of 8 rows, exec" "$T/frames.err")" -eq 4 ]'
check "... the log: frames as commands, no input bytes" \
    '[ "$(sed -n 3p "$T/frames.log" | cut -f 5,7,9)" = "$(printf "0\t0\tblur -master -frame 4 -o $T/frame-0004.tif")" ]'

# POV-Ray: frames 2-3 of the README's scene, each the frame one povray run draws, and
# POV-Ray's banner kept off the terminal (a block's stderr is said only if it fails).
if [ $HAVE_POVRAY = 1 ]; then
	scene=${SRCDIR:-.}/contrib/povray/scene.pov
	blur -master -size 160x120 -frames 2-3 -o "$T/pov-%d.tif" -slaves 2 -exec \
	    "povray +I$scene +W\$BLUR_WIDTH +H\$BLUR_HEIGHT +SR\$((BLUR_Y+1)) +ER\$((BLUR_Y+BLUR_ROWS)) +K\$BLUR_FRAME -D +FP +O-" \
	    2> "$T/pov.err"
	st=$?
	for k in 2 3; do
		povray +I"$scene" +W160 +H120 +K$k -D +FP +O"$T/pov-ref-$k.ppm" 2> /dev/null
	done
	check "povray frames 2-3: exit 0, POV-Ray's banner not said" \
	    '[ $st -eq 0 ] && ! grep -q "Persistence of Vision" "$T/pov.err"'
	check "... each frame the one povray run draws, pixel for pixel" \
	    'same_pixels "$T/pov-2.tif" "$T/pov-ref-2.ppm" 8 0 && same_pixels "$T/pov-3.tif" "$T/pov-ref-3.ppm" 8 0'
	check "... the two frames differ (the ball rolls)" \
	    '! cmp -s "$T/pov-2.tif" "$T/pov-3.tif" && dir_empty'
fi

# 10. A 3-page TIFF (RGB 8-bit, RGB 16-bit, gray; in 8-row LZW strips, which slaves
# decode from the page's directory, or one strip each, which the master decodes): IN[N]
# is page N's job, the pixels of the same page in a file of its own.
for k in 0 1 2; do
	convert -seed $k -size $((80 - k * 10))x$((60 - k * 10)) plasma:fractal \
	    $([ $k = 2 ] && echo -colorspace gray) -depth $([ $k = 1 ] && echo 16 || echo 8) \
	    -compress none "$T/page$k.tif"
	blur -master "$T/page$k.tif" -o "$T/page$k-ref.tif" -rows 16 -slaves 2 -q
done
tiffcp -c lzw -r 8 "$T/page0.tif" "$T/page1.tif" "$T/page2.tif" "$T/pages.tif"
tiffcp -c lzw "$T/page0.tif" "$T/page1.tif" "$T/page2.tif" "$T/pages1.tif"
blur -master "$T/pages.tif[1]" -rows 16 -slaves 2 -q
check "IN[1]: page 1 of 3, named pages-blur-1.tif" 'same_pixels "$T/pages-blur-1.tif" "$T/page1-ref.tif" 16 0'
blur -master "$T/pages.tif[2]" "$T/pages1.tif[2]" "$T/pages1.tif[0]" -o "$T/paged/" -rows 16 -slaves 2 -q
check "pages in a batch, decoded by the slaves and by the master: each its page's pixels" \
    'same_pixels "$T/paged/pages-blur-2.tif" "$T/page2-ref.tif" 8 0 && same_pixels "$T/paged/pages1-blur-2.tif" "$T/page2-ref.tif" 8 0 && same_pixels "$T/paged/pages1-blur-0.tif" "$T/page0-ref.tif" 8 0'
blur -master "$T/pages.tif[3]" -rows 16 -slaves 2 2> "$T/page3.err"
st=$?
check "IN[3] of 3 pages: exit 1, one line, nothing made" \
    '[ $st -eq 1 ] && [ "$(cat "$T/page3.err")" = "blur: $T/pages.tif: no page 3: the file has 3 (from 0)" ] && [ ! -e "$T/pages-blur-3.tif" ] && dir_empty'
blur -master "$T/pages.tif" -o "$T/first.tif" -rows 16 -slaves 2 2> "$T/first.err"
check "no page given: page 0, and a line says the file has 3" \
    'same_pixels "$T/first.tif" "$T/page0-ref.tif" 8 0 && grep -qx "blur: $T/pages.tif: 3 pages; this job blurs the first ($T/pages.tif\[N\] is page N, from 0)" "$T/first.err"'
check "a file whose name ends in [N] is that file" \
    'cp "$T/page0.tif" "$T/odd[1]" && blur -master "$T/odd[1]" -o "$T/odd.tif" -rows 16 -slaves 2 -q && same_pixels "$T/odd.tif" "$T/page0-ref.tif" 8 0'

finish
