# glusterfs.sh — sourced by tests/gluster.sh and bench/protocol: a one-brick GlusterFS
# volume in $1, mounted twice, at $1/a and $1/b; gluster_down undoes all of it.
# Needs root, glusterfs-server and glusterfs-client.

# gluster_up ROOT: create, start and mount the volume; 0 or 1 with a message.
gluster_up() {
	GROOT=$1
	GVOL=blur$$
	GSTARTED=
	mkdir -p "$GROOT/brick" "$GROOT/a" "$GROOT/b"
	# A brick must name this host by something other than localhost.
	ghost=$(hostname)
	getent hosts "$ghost" > /dev/null || ghost=$(hostname -I | awk '{ print $1 }')
	if ! pgrep -x glusterd > /dev/null; then
		glusterd && GSTARTED=1
	fi
	for i in $(seq 1 50); do gluster volume list > /dev/null 2>&1 && break; sleep 0.2; done
	gluster --mode=script volume create "$GVOL" "$ghost:$GROOT/brick" force > /dev/null &&
	gluster --mode=script volume start "$GVOL" > /dev/null &&
	mount -t glusterfs "$ghost:/$GVOL" "$GROOT/a" &&
	mount -t glusterfs "$ghost:/$GVOL" "$GROOT/b" ||
		{ echo "glusterfs: cannot set up volume $GVOL on $ghost:$GROOT/brick" >&2; return 1; }
}

gluster_down() {
	[ -n "${GROOT:-}" ] || return 0
	for m in "$GROOT/a" "$GROOT/b"; do
		mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
	done
	gluster --mode=script volume stop "$GVOL" force > /dev/null 2>&1
	gluster --mode=script volume delete "$GVOL" > /dev/null 2>&1
	# Wait for it to go: a glusterd still exiting would answer the next gluster_up.
	if [ -n "$GSTARTED" ]; then
		pkill -x glusterd
		for i in $(seq 1 50); do pgrep -x glusterd > /dev/null || break; sleep 0.1; done
	fi
	GROOT=
}
