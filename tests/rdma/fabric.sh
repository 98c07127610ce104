# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# Sourced by tests/shell/rdma.sh and make bench's tests/bench/rdma.sh:
# soft-RoCE between two rxe devices of one host, rxe0 on veth0 (address A)
# and rxe1 on veth1 (address B), joined by a veth pair.
#
# Two rxe devices of one host talk through the veth pair only with policy
# routing: by default the kernel routes between two local addresses over
# lo, which rxe drops. Each address gets a rule (iif lo) whose table sends
# it out of the other veth end, the local table moves below those rules,
# and rp_filter=0 with accept_local=1 lets the packets in. A 2 MiB READ is
# a burst of 2048 packets: netdev_max_backlog goes to 10000, or veth drops
# them and each READ waits seconds on retries. fabric_down puts everything
# back. TCP between A and B takes the same path.
#
# The caller sets A, B (the addresses), T (a scratch directory: cmd.log,
# the sysctls' old values) and BUILD. bring_up leaves WHY (why this kernel
# or user cannot have the fabric: skip) or BROKEN (what failed in setting
# it up where it can be: fail) set, or neither; UP says how far it got
# (1 veth, 2 sysctls, 3 routing, 4 rxe). (SC2034 above: WHY and BROKEN
# are set here for the caller to read.)

WHY=""
BROKEN=""
UP=0

# load_modules
. "$(dirname "${BASH_SOURCE[0]}")/load_modules.sh"

quiet() {
	"$@" >>"$T/cmd.log" 2>&1
}

# SYSCTLS: what bring_up sets, each NAME=VALUE; their old values are kept
# in $T/sysctls. Every command is a process, and under TCG each costs a
# good part of a second: ip and rdma take their commands in one batch.
SYSCTLS="net.core.netdev_max_backlog=10000
net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.all.accept_local=1
net.ipv4.conf.veth0.rp_filter=0 net.ipv4.conf.veth0.accept_local=1
net.ipv4.conf.veth1.rp_filter=0 net.ipv4.conf.veth1.accept_local=1"

bring_up() {
	local why kv names=""

	[ "$(id -u)" = 0 ] || { WHY="not root"; return; }
	if ! why=$(load_modules veth ib_uverbs rdma_ucm rdma_rxe 2>&1); then
		WHY="no soft-RoCE in this kernel: ${why##*: }"
		return
	fi
	UP=1
	quiet ip -batch - <<-EOF || { BROKEN="cannot set up veth0/veth1: $(tail -n 1 "$T/cmd.log")"; return; }
		link add veth0 type veth peer name veth1
		addr add $A/24 dev veth0
		addr add $B/24 dev veth1
		link set veth0 up
		link set veth1 up
	EOF
	for kv in $SYSCTLS; do
		names="$names ${kv%%=*}"
	done
	# shellcheck disable=SC2086  # one word a name
	sysctl -e $names >"$T/sysctls" 2>>"$T/cmd.log"
	UP=2
	# shellcheck disable=SC2086  # one word a setting
	quiet sysctl -w $SYSCTLS || { BROKEN="cannot set$names"; return; }
	UP=3
	quiet ip -batch - <<-EOF || { BROKEN="cannot set up the policy routing: $(tail -n 1 "$T/cmd.log")"; return; }
		route add $B dev veth0 src $A table 225
		route add $A dev veth1 src $B table 226
		rule add pref 100 to $B iif lo table 225
		rule add pref 101 to $A iif lo table 226
		rule add pref 1000 lookup local
		rule del pref 0 lookup local
	EOF
	UP=4
	quiet rdma --batch - <<-EOF || { BROKEN="rdma link add ... type rxe failed: $(tail -n 1 "$T/cmd.log")"; return; }
		link add rxe0 type rxe netdev veth0
		link add rxe1 type rxe netdev veth1
	EOF
}

# puts back what bring_up changed, as far as it got (a rule that exists
# already is not added twice: ip rule add says EEXIST)
fabric_down() {
	local settings

	if [ "$UP" -ge 4 ]; then
		printf 'link delete rxe0\nlink delete rxe1\n' |
			rdma --force --batch - >/dev/null 2>&1
	fi
	if [ "$UP" -ge 3 ]; then
		ip -force -batch - >/dev/null 2>&1 <<-EOF
			rule add pref 0 lookup local
			rule del pref 1000 lookup local
			rule del pref 100
			rule del pref 101
			route flush table 225
			route flush table 226
		EOF
	fi
	if [ "$UP" -ge 2 ]; then
		settings=$(sed 's/ = /=/' "$T/sysctls")
		# shellcheck disable=SC2086  # one word a setting
		[ -z "$settings" ] || sysctl -qw $settings
	fi
	[ "$UP" -ge 1 ] && ip link del veth0 2>/dev/null
	UP=0
}

