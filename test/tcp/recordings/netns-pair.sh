# Sourced by the recorders here (bash): `netns_pair NAME NET` makes two private
# network namespaces, NAME-srv (NET.0.2/24) and NAME-cli (NET.0.1/24), joined
# by a veth pair, and sets A (the server's) and B (the client's). They are
# removed when the recorder exits, after its own `recorder_cleanup` if it has
# one. Nothing is sent outside them. `netns_idle_server NS SECONDS` starts a
# server on port 80 in NS that accepts one connection and holds it, unread,
# for SECONDS (in the background: its pid is $!).
netns_pair() {
  A=$1-srv
  B=$1-cli
  trap netns_pair_cleanup EXIT
  netns_pair_remove
  ip netns add "$A"
  ip netns add "$B"
  ip link add "$1-a" netns "$A" type veth peer name "$1-b" netns "$B"
  ip -n "$A" addr add "$2.0.2/24" dev "$1-a"
  ip -n "$B" addr add "$2.0.1/24" dev "$1-b"
  for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
  ip -n "$A" link set "$1-a" up
  ip -n "$B" link set "$1-b" up
}

netns_pair_cleanup() {
  if declare -F recorder_cleanup > /dev/null; then recorder_cleanup; fi
  netns_pair_remove
}

netns_pair_remove() {
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}

netns_idle_server() {
  ip netns exec "$1" python3 -c "
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 80)); l.listen(4)
c, _ = l.accept()
time.sleep($2)" &
}
