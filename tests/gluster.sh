#!/bin/sh
# gluster.sh — blur across hosts on a real GlusterFS volume: one brick, mounted twice; the
# master works through one mount, two slaves through the other, each in its own UTS and
# PID namespace (its own host name and process ids), as separate hosts would. Needs root,
# glusterfs-server and glusterfs-client; configure includes it in `make check` when they
# are there, and CI insists that it ran.
. "$TESTLIB"

. "$SRCDIR/tests/glusterfs.sh"
G=$T/gluster

down() {
	for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	gluster_down
	cleanup
}
trap down EXIT

# 2 on the volume, 10 on a plain job, 10 on a job with a killed slave.
plan $((2 + 10 + 10 + 3))
check "a GlusterFS volume mounted twice" 'gluster_up "$G"'
[ "$failed" -eq 0 ] || { finish; exit 1; }
echo hello > "$G/a/hello"
check "one mount sees what the other writes" 'grep -q hello "$G/b/hello"'
rm -f "$G/a/hello"

# slave NAME LOG: a slave on "host" NAME, working through the second mount.
slaves=
slave() {
	unshare --uts --pid --fork --mount-proc sh -c \
	    "hostname $1 && exec \"$BLUR\" -slave -dir \"$G/b/job\" -v" > "$2" 2>&1 &
	slaves="$slaves $!"
}
# reap: wait up to 20 s for the slaves to leave on their own, then stop them; 0 if they left.
reap() {
	for i in $(seq 1 200); do
		for p in $slaves; do kill -0 "$p" 2>/dev/null && break; done
		kill -0 "$p" 2>/dev/null || { wait; slaves=; return 0; }
		sleep 0.1
	done
	kill -9 $slaves 2>/dev/null
	wait
	slaves=
	return 1
}
# pid_of NAME: the host's pid of the blur slave started as NAME.
pid_of() { pgrep -f -- "-slave -dir $G/b/job" | while read -r p; do
	[ "$(nsenter -t "$p" -u hostname 2>/dev/null)" = "$1" ] && echo "$p"; done; }
# elapsed_ok START LIMIT: fewer than LIMIT seconds since START.
elapsed_ok() { [ $(($(date +%s) - $1)) -lt "$2" ]; }
# dir_empty_both: DIR empty through both mounts, no temporary or .nfs file anywhere.
dir_empty_both() { dir_empty "$G/a/job" && dir_empty "$G/b/job" &&
	[ -z "$(find "$G/a" -name '*.tmp' -o -name '.nfs*')" ]; }

# --- a plain job: radius 4, the README's command
make_image "$T/in.tif" rgb8 1600x1200 5
im_blur "$T/in.tif" "$T/ref.tif" gaussian 4 2
slave gslave1 "$T/s1.log"
slave gslave2 "$T/s2.log"
start=$(date +%s)
# 24 blocks of 50 rows, enough for both slaves (by default, 3 of 2 MiB).
blur -master "$T/in.tif" -o "$T/out.tif" -dir "$G/a/job" -radius 4 -rows 50 -v 2> "$T/m.err"
status=$?
[ $status -eq 0 ] || sed 's/^/# master: /' "$T/m.err" | tail -n 5
check "master on GlusterFS exits 0" '[ $status -eq 0 ]'
# Liveness, not speed: a stuck job would wait forever; a sanitized build on a loaded
# machine takes many times longer than usual.
check "1600x1200 job done within 120 s" 'elapsed_ok "$start" 120'
check "the slaves left when the job ended" 'reap'
check "pixels within 1 of ImageMagick" 'same_pixels "$T/out.tif" "$T/ref.tif" 8 1'
check "master polls on fuse" 'grep -q "^blur: $G/a/job: polling every 250 ms (fuse)$" "$T/m.err"'
check "slave polls on fuse" 'grep -q "^blur: gslave1:1: $G/b/job: polling every 250 ms (fuse)$" "$T/s1.log"'
check "both slaves named by their own hosts" 'grep -q "gslave1:1: [0-9]* blocks*" "$T/m.err"'
check "...the second too" 'grep -q "gslave2:1: [0-9]* blocks*" "$T/m.err"'
n1=$(sed -n 's/^Finished: \([0-9]*\) blocks*$/\1/p' "$T/s1.log")
n2=$(sed -n 's/^Finished: \([0-9]*\) blocks*$/\1/p' "$T/s2.log")
echo "# slaves: $n1 + $n2 blocks"
blocks=$(sed -n 's/^blur: .*in\.tif: \([0-9]*\) blocks* of .*/\1/p' "$T/m.err")
check "the slaves' blocks add up to the job's ($blocks)" '[ -n "$blocks" ] && [ $((n1 + n2)) -eq "$blocks" ]'
check "DIR empty after the job" 'dir_empty_both'

# --- one slave killed with kill -9 while it holds a block; default timeout. Blocks of
# about a tenth of a second locally (1.6 s under the sanitizers: five times that is
# still below the timeout's 10 s floor), so that the kill lands inside one and the
# timeout is its floor.
im_blur "$T/in.tif" "$T/ref120.tif" gaussian 120 60
slave gslave1 "$T/k1.log"
slave gslave2 "$T/k2.log"
victim=
for i in $(seq 1 500); do
	victim=$(pid_of gslave1)
	[ -n "$victim" ] && break
	sleep 0.01
done
check "gslave1's process found" '[ -n "$victim" ]'
start=$(date +%s)
blur -master "$T/in.tif" -o "$T/killed.tif" -dir "$G/a/job" -radius 120 -rows 240 \
    -timeout 10 2> "$T/k.err" &
master=$!
# Killed the moment it is seen holding a block: a block takes only a tenth of a second.
claimed=
for i in $(seq 1 1000); do
	claimed=$(grep -l '^gslave1:' "$G/a/job"/block.*/slave 2>/dev/null | head -n 1)
	[ -n "$claimed" ] && [ ! -e "${claimed%/slave}/done" ] && kill -9 $victim && break
	claimed=
	sleep 0.01
done
check "gslave1 seen holding a block" '[ -n "$claimed" ]'
"$BLUR" -status -dir "$G/b/job" > "$T/status.out" 2>&1
check "job with a killed slave exits 0" 'wait $master'
check "...within 120 s (the killed slave's block reissued after -timeout 10)" 'elapsed_ok "$start" 120'
check "...its block reissued" 'grep -q "^blur: block\.[0-9]*\.a claimed by gslave1:1 and not done in [0-9.]* s; reissued as block\.[0-9]*\.b$" "$T/k.err"'
check "...with pixels within 1 of ImageMagick" 'same_pixels "$T/killed.tif" "$T/ref120.tif" 8 1'
check "-status through the other mount names the master's mode" 'grep -q "^master polling every 250 ms (fuse)$" "$T/status.out"'
check "the other slave left when the job ended" 'reap'
check "the other slave finished" 'grep -q "^Finished: [0-9]* blocks*$" "$T/k2.log"'
check "DIR empty after the killed slave" 'dir_empty_both'

# --- overviews through levels.bit, which the master writes while slaves on the other
# mount read it: every level's pixels those of the same job on the local disk.
blur -master "$T/in.tif" -o "$T/local.tif" -dir "$T/localdir" -radius 4 -rows 48 \
    -overviews 3 -slaves 2 -q
slave gslave1 "$T/o1.log"
slave gslave2 "$T/o2.log"
start=$(date +%s)
blur -master "$T/in.tif" -o "$T/levels.tif" -dir "$G/a/job" -radius 4 -rows 48 \
    -overviews 3 -v 2> "$T/o.err"
status=$?
echo "# status $status after $(($(date +%s) - start)) s"
[ $status -eq 0 ] || { sed 's/^/# master: /' "$T/o.err" | tail -n 15
	tail -n 5 "$T/o1.log" "$T/o2.log" | sed 's/^/# slaves: /'; }
check "3 overviews made by slaves on the other mount: exit 0" '[ $status -eq 0 ]'
check "...every level's pixels those the same job makes on a local disk" 'tiffcmp "$T/levels.tif" "$T/local.tif" > /dev/null'
check "...the slaves left, DIR empty" 'reap && dir_empty_both'

finish
