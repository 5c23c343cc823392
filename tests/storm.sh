#!/bin/sh
# storm.sh — a bounded, randomised storm of faults on running jobs: slaves killed with
# kill -9, stopped and continued, started mid-job, the master killed and restarted with
# -resume. Each storm must end in bounded time with exactly the pixels of a clean run, an
# empty DIR, no partial output and no blur process left. The faults come from a seed,
# printed first; STORM_SEED=N replays its choices (their timing is the machine's).
. "$TESTLIB"

# 1 input and reference; per storm (plain, with a secret, -exec): 8 checks.
plan $((1 + 3 * 8))

seed=${STORM_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed $seed: replay with STORM_SEED=$seed make check TESTS=tests/storm.sh"
rng=$seed

# rnd N: a number from 0 to N - 1 in R, from the seed (a 31-bit LCG: dash has no $RANDOM).
# Never called in a subshell, which would lose its state.
rnd() {
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	R=$(((rng / 65536) % $1))
}

# ms: milliseconds since boot in MS, without a fork.
ms() {
	read -r up _ < /proc/uptime
	MS=$((${up%.*} * 1000 + (1${up#*.} - 100) * 10))
}

# nap LO HI: sleep a random LO to HI milliseconds.
nap() {
	rnd $(($2 - $1 + 1))
	sleep "$(((R + $1) / 1000)).$(printf %03d $(((R + $1) % 1000)))"
}

# alive PID: the process runs (or is stopped); not gone, nor a zombie.
alive() {
	st=$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}

# 100 blocks of some 20 ms of CPU each (2 s in all): a slave is nearly always inside one.
# A slower build (the sanitized distcheck's, three times slower) gets a smaller radius,
# until the clean run takes under 4 s: the storm's bounds are for the job, not the build.
convert -size 1000x1000 xc:gray +noise Random -depth 8 -compress none "$T/in.tif"
BITS=$((1000 * 1000 * $(tag "$T/in.tif" Samples/Pixel)))
for radius in 300 100 30; do
	JOB="-radius $radius -rows 10"
	rm -f "$T/ref.tif"
	ms
	t0=$MS
	blur -master "$T/in.tif" -o "$T/ref.tif" $JOB -slaves 2 -dir "$T/refdir" -q
	ms
	[ $((MS - t0)) -lt 4000 ] && break
done
echo "# the storm's job: $JOB, a clean run in $((MS - t0)) ms"
check "clean run of the storm's job" '[ -f "$T/ref.tif" ]'

# The state of one storm: its DIR, output and options; the master's pid and incarnation;
# the slaves started (pids), the one stopped; what was done and what went wrong.
D= OUT= MOPTS= SOPTS= master= inc=0 slaves= stopped= nslave=0
mkills=0 skills=0 stops=0 started=0 fresh=0 bad=

# start_master [-resume]: a master, with one local slave or none, its stderr kept.
start_master() {
	inc=$((inc + 1))
	rnd 2
	"$BLUR" -master "$T/in.tif" -o "$OUT" $MOPTS -dir "$D" -timeout 2 -slaves $R "$@" \
	    2> "$D.m$inc.err" &
	master=$!
}

# start_slave: a slave of one or two workers, its output kept.
start_slave() {
	nslave=$((nslave + 1))
	rnd 2
	"$BLUR" -slave -dir "$D" -j $((R + 1)) -v $SOPTS > "$D.s$nslave.out" 2>&1 &
	slaves="$slaves $!"
	eval "out_$!=\$D.s\$nslave.out"
	started=$((started + 1))
}

# reap: forget the slaves that ended; one that ended by itself must have exited 0.
reap() {
	left=
	for p in $slaves; do
		if alive "$p"; then
			left="$left $p"
		else
			wait "$p" 2>/dev/null
			rc=$?
			[ $rc -eq 0 ] || [ $rc -eq 137 ] || bad="$bad slave:$p:$rc"
		fi
	done
	slaves=$left
}

# pick: a random slave that runs, in P (empty if there is none).
pick() {
	P=
	set -- $slaves
	[ $# -gt 0 ] || return 0
	rnd $#
	shift $R
	[ "$1" != "$stopped" ] && P=$1
}

# working: the master owns DIR and has begun its job, so a kill is one that matters.
working() {
	[ -n "$master" ] && grep -q "blocks of" "$D.m$inc.err"
}

# kill_master: kill -9 the master (unless it just ended by itself); restart it with
# -resume now or at the next fault.
kill_master() {
	kill -9 $master 2>/dev/null
	wait $master 2>/dev/null
	rc=$?
	if [ $rc -ne 137 ]; then
		exited $rc
		return
	fi
	mkills=$((mkills + 1))
	master=
	rnd 2
	[ $R -eq 0 ] && start_master -resume
}

# exited STATUS: the master exited by itself. 0 is the end (ended=1); 1 is allowed when
# -resume refused a job its predecessor died too early to leave whole (documented), and
# the job is then started afresh. Anything else is wrong, and the job resumed.
exited() {
	master=
	[ $1 -eq 0 ] && ended=1 && return
	if [ $1 -eq 1 ] && grep -q "cannot resume" "$D.m$inc.err"; then
		fresh=$((fresh + 1))
		start_master
	else
		bad="$bad master:$inc:$1"
		start_master -resume
	fi
}

# master_ended: the master is gone by itself; reap it.
master_ended() {
	wait $master
	exited $?
}

# fault: one random fault, or none.
fault() {
	if [ -z "$master" ]; then
		start_master -resume
		return
	fi
	rnd 100
	if [ $R -lt 25 ]; then
		set -- $slaves
		[ $# -lt 4 ] && start_slave
	elif [ $R -lt 50 ]; then
		pick
		[ -n "$P" ] && kill -9 "$P" && skills=$((skills + 1))
	elif [ $R -lt 65 ]; then
		if [ -n "$stopped" ]; then
			kill -CONT "$stopped"
			stopped=
		else
			pick
			[ -n "$P" ] && kill -STOP "$P" && stopped=$P && stops=$((stops + 1))
		fi
	elif [ $R -lt 80 ] && [ $mkills -lt $MAXKILLS ] && working; then
		kill_master
	fi
}

# keep_going: with no fault, keep a master and a running slave until the output exists.
keep_going() {
	if [ -z "$master" ]; then
		start_master -resume
	elif ! alive $master; then
		master_ended
	fi
	pick
	[ -z "$P" ] && [ -n "$master" ] && start_slave
}

# finished: how many blocks have a result in DIR, in DONE.
finished() {
	set -- "$D"/block.*/done
	DONE=$#
	[ -e "$1" ] || DONE=0
}

# whole: the input is in DIR (image.tif, which the slaves decode, or image.bit whole), so
# that a master killed now leaves a job -resume takes.
whole() {
	[ -e "$D/image.tif" ] || [ "$(stat -c %s "$D/image.bit" 2>/dev/null)" = "$BITS" ]
}

# storm NAME SECONDS MAXKILLS MASTER-OPTS SLAVE-OPTS REF: faults for at most SECONDS
# until a master ends the job, then none, up to 30 s more, for it to end. A slave is
# killed once 1 to 10 blocks of 100 are done, the master (at most MAXKILLS times in
# all) once 1 to 20 are: every storm has both, however fast the job. Eight checks.
storm() {
	name=$1 MAXKILLS=$3 MOPTS=$4 SOPTS=$5 ref=$6
	D=$T/$name.dir OUT=$T/out-$name/out.tif
	mkdir "$T/out-$name"
	master= inc=0 slaves= stopped= nslave=0 mkills=0 skills=0 stops=0 started=0 fresh=0
	bad= ended=0 failed_before=$failed
	rnd 10
	skill_at=$((R + 1))
	rnd 20
	mkill_at=$((R + 1))
	ms
	begin=$MS faults_end=$((MS + $2 * 1000)) end=$((MS + $2 * 1000 + 30000))
	start_master
	start_slave
	while [ $ended -eq 0 ] && [ $MS -lt $faults_end ]; do
		if [ $mkills -eq 0 ] || [ $skills -eq 0 ]; then
			nap 10 50
			finished
		else
			nap 50 300
		fi
		reap
		if [ -n "$master" ] && ! alive $master; then
			master_ended
		elif [ $skills -eq 0 ]; then
			[ $DONE -ge $skill_at ] && pick && [ -n "$P" ] && kill -9 "$P" &&
			    skills=$((skills + 1)) && start_slave
		elif [ $mkills -eq 0 ]; then
			[ $DONE -ge $mkill_at ] && working && whole && kill_master
		else
			fault
		fi
		ms
	done
	[ -n "$stopped" ] && kill -CONT "$stopped"
	stopped=
	while [ $ended -eq 0 ] && [ $MS -lt $end ]; do
		reap
		keep_going
		sleep 0.1
		ms
	done
	took=$(((MS - begin) / 1000))
	check "$name: the storm ends within its bound (${took}s)" '[ $ended -eq 1 ]'
	if [ -n "$master" ]; then
		echo "# $name: still running; DIR holds:" $(ls -A "$D")
		kill -9 $master; wait $master 2>/dev/null
	fi
	# The slaves leave once the job ends; one that started as it ended waits for the
	# next job, unless DIR changes (documented): it is poked then, and must leave too.
	for i in $(seq 1 50); do reap; [ -z "$slaves" ] && break; sleep 0.1; done
	for p in $slaves; do
		eval "f=\$out_$p"
		echo "# $name: slave $p still runs after the job; DIR is poked. It said:"
		sed 's/^/#   /' "$f"
	done
	touch "$D/poke" && rm "$D/poke"
	for i in $(seq 1 50); do reap; [ -z "$slaves" ] && break; sleep 0.1; done
	resumed=$(cat "$D".m*.err | grep -c "resuming job")
	reissued=$(cat "$D".m*.err | grep -c "reissued as")
	echo "# $name: $inc masters, $mkills killed, $fresh restarted afresh, $resumed" \
	    "resumed; $started slaves, $skills killed, $stops stopped; $reissued reissues"
	check "$name: a master and a slave were killed" '[ $mkills -gt 0 ] && [ $skills -gt 0 ]'
	check "$name: a master resumed the job" '[ $resumed -gt 0 ]'
	check "$name: exactly the clean pixels" 'same_pixels "$OUT" "$ref" 8 0'
	check "$name: DIR empty" 'dir_empty "$D"'
	check "$name: nothing but the output beside it" '[ "$(ls -A "$T/out-$name")" = out.tif ]'
	check "$name: every master and slave not killed exited as it should" \
	    '[ -z "$bad" ] || { echo "# exits:$bad"; false; }'
	# Ours alone: the pattern holds this test's own temporary directory.
	left=$(pgrep -f -- "-dir $D")
	check "$name: no blur process left" \
	    '[ -z "$left" ] || { ps -o pid,stat,args -p "$(echo $left | tr " " ,)" | sed "s/^/# /"; false; }'
	if [ $failed -gt $failed_before ]; then
		for f in "$D".*; do sed "s|^|# ${f##*/}: |" "$f"; done
	fi
	for p in $left $slaves; do kill -CONT $p; kill -9 $p; done 2>/dev/null
	wait
}

printf 'the secret of this storm\n' > "$T/secret"
chmod 600 "$T/secret"
storm plain 12 3 "$JOB" "" "$T/ref.tif"
storm secret 8 2 "$JOB -secret $T/secret" "-secret $T/secret" "$T/ref.tif"
printf '#!/bin/sh\nsleep 0.05\nexec cat\n' > "$T/slowcat"
chmod +x "$T/slowcat"
storm exec 10 3 "-exec $T/slowcat -rows 10" -allow-exec "$T/in.tif"

finish
