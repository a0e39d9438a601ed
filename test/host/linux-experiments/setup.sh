#!/bin/sh
# Two network namespaces joined by a veth pair: lx-a 10.77.0.1 <-> lx-b 10.77.0.2.
# Run as root on a Linux machine; `./cleanup.sh` removes them.
ip netns del lx-a 2>/dev/null; ip netns del lx-b 2>/dev/null
ip netns add lx-a; ip netns add lx-b
ip link add lx-a0 netns lx-a type veth peer name lx-b0 netns lx-b
ip -n lx-a addr add 10.77.0.1/24 dev lx-a0; ip -n lx-b addr add 10.77.0.2/24 dev lx-b0
ip -n lx-a link set lx-a0 up; ip -n lx-b link set lx-b0 up
ip -n lx-a link set lo up; ip -n lx-b link set lo up
