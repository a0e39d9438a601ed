/**
 * The usage texts the real tools print, verbatim (Debian 12): captured with
 * `ss -h`, `netstat -Q` (its usage after the error line), `sysctl -h`,
 * `nstat -h`, `ping -h`, `hostname -h`, `ip -h` inside a fresh network
 * namespace (test/tools/inspect/fixtures/capture.sh has the commands).
 */

export const SS_USAGE =
  'Usage: ss [ OPTIONS ]\n' +
  '       ss [ OPTIONS ] [ FILTER ]\n' +
  '   -h, --help          this message\n' +
  '   -V, --version       output version information\n' +
  "   -n, --numeric       don't resolve service names\n" +
  '   -r, --resolve       resolve host names\n' +
  '   -a, --all           display all sockets\n' +
  '   -l, --listening     display listening sockets\n' +
  '   -o, --options       show timer information\n' +
  '   -e, --extended      show detailed socket information\n' +
  '   -m, --memory        show socket memory usage\n' +
  '   -p, --processes     show process using socket\n' +
  '   -T, --threads       show thread using socket\n' +
  '   -i, --info          show internal TCP information\n' +
  '       --tipcinfo      show internal tipc socket information\n' +
  '   -s, --summary       show socket usage summary\n' +
  '       --tos           show tos and priority information\n' +
  '       --cgroup        show cgroup information\n' +
  '   -b, --bpf           show bpf filter socket information\n' +
  '   -E, --events        continually display sockets as they are destroyed\n' +
  '   -Z, --context       display task SELinux security contexts\n' +
  '   -z, --contexts      display task and socket SELinux security contexts\n' +
  '   -N, --net           switch to the specified network namespace name\n' +
  '\n' +
  '   -4, --ipv4          display only IP version 4 sockets\n' +
  '   -6, --ipv6          display only IP version 6 sockets\n' +
  '   -0, --packet        display PACKET sockets\n' +
  '   -t, --tcp           display only TCP sockets\n' +
  '   -M, --mptcp         display only MPTCP sockets\n' +
  '   -S, --sctp          display only SCTP sockets\n' +
  '   -u, --udp           display only UDP sockets\n' +
  '   -d, --dccp          display only DCCP sockets\n' +
  '   -w, --raw           display only RAW sockets\n' +
  '   -x, --unix          display only Unix domain sockets\n' +
  '       --tipc          display only TIPC sockets\n' +
  '       --vsock         display only vsock sockets\n' +
  '       --xdp           display only XDP sockets\n' +
  '   -f, --family=FAMILY display sockets of type FAMILY\n' +
  '       FAMILY := {inet|inet6|link|unix|netlink|vsock|tipc|xdp|help}\n' +
  '\n' +
  '   -K, --kill          forcibly close sockets, display what was closed\n' +
  '   -H, --no-header     Suppress header line\n' +
  "   -O, --oneline       socket's data printed on a single line\n" +
  '       --inet-sockopt  show various inet socket options\n' +
  '\n' +
  '   -A, --query=QUERY, --socket=QUERY\n' +
  '       QUERY := {all|inet|tcp|mptcp|udp|raw|unix|unix_dgram|unix_stream|unix_seqpacket|packet|packet_raw|packet_dgram|netlink|dccp|sctp|vsock_stream|vsock_dgram|tipc|xdp}[,QUERY]\n' +
  '\n' +
  '   -D, --diag=FILE     Dump raw information about TCP sockets to FILE\n' +
  '   -F, --filter=FILE   read filter information from FILE\n' +
  '       FILTER := [ state STATE-FILTER ] [ EXPRESSION ]\n' +
  '       STATE-FILTER := {all|connected|synchronized|bucket|big|TCP-STATES}\n' +
  '         TCP-STATES := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|closed|close-wait|last-ack|listening|closing}\n' +
  '          connected := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}\n' +
  '       synchronized := {established|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}\n' +
  '             bucket := {syn-recv|time-wait}\n' +
  '                big := {established|syn-sent|fin-wait-{1,2}|closed|close-wait|last-ack|listening|closing}\n';

export const NETSTAT_USAGE =
  'usage: netstat [-vWeenNcCF] [<Af>] -r         netstat {-V|--version|-h|--help}\n' +
  '       netstat [-vWnNcaeol] [<Socket> ...]\n' +
  '       netstat { [-vWeenNac] -i | [-cnNe] -M | -s [-6tuw] }\n' +
  '\n' +
  '        -r, --route              display routing table\n' +
  '        -i, --interfaces         display interface table\n' +
  '        -g, --groups             display multicast group memberships\n' +
  '        -s, --statistics         display networking statistics (like SNMP)\n' +
  '        -M, --masquerade         display masqueraded connections\n' +
  '\n' +
  '        -v, --verbose            be verbose\n' +
  "        -W, --wide               don't truncate IP addresses\n" +
  "        -n, --numeric            don't resolve names\n" +
  "        --numeric-hosts          don't resolve host names\n" +
  "        --numeric-ports          don't resolve port names\n" +
  "        --numeric-users          don't resolve user names\n" +
  '        -N, --symbolic           resolve hardware names\n' +
  '        -e, --extend             display other/more information\n' +
  '        -p, --programs           display PID/Program name for sockets\n' +
  '        -o, --timers             display timers\n' +
  '        -c, --continuous         continuous listing\n' +
  '\n' +
  '        -l, --listening          display listening server sockets\n' +
  '        -a, --all                display all sockets (default: connected)\n' +
  '        -F, --fib                display Forwarding Information Base (default)\n' +
  '        -C, --cache              display routing cache instead of FIB\n' +
  '        -Z, --context            display SELinux security context for sockets\n' +
  '\n' +
  '  <Socket>={-t|--tcp} {-u|--udp} {-U|--udplite} {-S|--sctp} {-w|--raw}\n' +
  '           {-x|--unix} --ax25 --ipx --netrom\n' +
  "  <AF>=Use '-6|-4' or '-A <af>' or '--<af>'; default: inet\n" +
  '  List of possible address families (which support routing):\n' +
  '    inet (DARPA Internet) inet6 (IPv6) ax25 (AMPR AX.25) \n' +
  '    netrom (AMPR NET/ROM) rose (AMPR ROSE) ipx (Novell IPX) \n' +
  '    ddp (Appletalk DDP) x25 (CCITT X.25) \n';

export const SYSCTL_USAGE =
  '\n' +
  'Usage:\n' +
  ' sysctl [options] [variable[=value] ...]\n' +
  '\n' +
  'Options:\n' +
  '  -a, --all            display all variables\n' +
  '  -A                   alias of -a\n' +
  '  -X                   alias of -a\n' +
  '      --deprecated     include deprecated parameters to listing\n' +
  '      --dry-run        Print the key and values but do not write\n' +
  '  -b, --binary         print value without new line\n' +
  '  -e, --ignore         ignore unknown variables errors\n' +
  '  -N, --names          print variable names without values\n' +
  '  -n, --values         print only values of the given variable(s)\n' +
  '  -p, --load[=<file>]  read values from file\n' +
  '  -f                   alias of -p\n' +
  '      --system         read values from all system directories\n' +
  '  -r, --pattern <expression>\n' +
  '                       select setting that match expression\n' +
  '  -q, --quiet          do not echo variable set\n' +
  '  -w, --write          enable writing a value to variable\n' +
  '  -o                   does nothing\n' +
  '  -x                   does nothing\n' +
  '  -d                   alias of -h\n' +
  '\n' +
  ' -h, --help     display this help and exit\n' +
  ' -V, --version  output version information and exit\n' +
  '\n' +
  'For more details see sysctl(8).\n';

export const NSTAT_USAGE =
  'Usage: nstat [OPTION] [ PATTERN [ PATTERN ] ]\n' +
  '   -h, --help          this message\n' +
  '   -a, --ignore        ignore history\n' +
  '   -d, --scan=SECS     sample every statistics every SECS\n' +
  '   -j, --json          format output in JSON\n' +
  '   -n, --nooutput      do history only\n' +
  '   -p, --pretty        pretty print\n' +
  '   -r, --reset         reset history\n' +
  "   -s, --noupdate      don't update history\n" +
  '   -t, --interval=SECS report average over the last SECS\n' +
  '   -V, --version       output version information\n' +
  '   -z, --zeros         show entries with zero activity\n';

export const PING_USAGE =
  '\n' +
  'Usage\n' +
  '  ping [options] <destination>\n' +
  '\n' +
  'Options:\n' +
  '  <destination>      dns name or ip address\n' +
  '  -a                 use audible ping\n' +
  '  -A                 use adaptive ping\n' +
  '  -B                 sticky source address\n' +
  '  -c <count>         stop after <count> replies\n' +
  '  -C                 call connect() syscall on socket creation\n' +
  '  -D                 print timestamps\n' +
  '  -d                 use SO_DEBUG socket option\n' +
  '  -e <identifier>    define identifier for ping session, default is random for\n' +
  '                     SOCK_RAW and kernel defined for SOCK_DGRAM\n' +
  '                     Imply using SOCK_RAW (for IPv4 only for identifier 0)\n' +
  '  -f                 flood ping\n' +
  '  -h                 print help and exit\n' +
  '  -I <interface>     either interface name or address\n' +
  '  -i <interval>      seconds between sending each packet\n' +
  '  -L                 suppress loopback of multicast packets\n' +
  '  -l <preload>       send <preload> number of packages while waiting replies\n' +
  '  -m <mark>          tag the packets going out\n' +
  '  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>\n' +
  '  -n                 no dns name resolution\n' +
  '  -O                 report outstanding replies\n' +
  '  -p <pattern>       contents of padding byte\n' +
  '  -q                 quiet output\n' +
  '  -Q <tclass>        use quality of service <tclass> bits\n' +
  '  -s <size>          use <size> as number of data bytes to be sent\n' +
  '  -S <size>          use <size> as SO_SNDBUF socket option value\n' +
  '  -t <ttl>           define time to live\n' +
  '  -U                 print user-to-user latency\n' +
  '  -v                 verbose output\n' +
  '  -V                 print version and exit\n' +
  '  -w <deadline>      reply wait <deadline> in seconds\n' +
  '  -W <timeout>       time to wait for response\n' +
  '\n' +
  'IPv4 options:\n' +
  '  -4                 use IPv4\n' +
  '  -b                 allow pinging broadcast\n' +
  '  -R                 record route\n' +
  '  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>\n' +
  '\n' +
  'IPv6 options:\n' +
  '  -6                 use IPv6\n' +
  '  -F <flowlabel>     define flow label, default is random\n' +
  '  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument\n' +
  '\n' +
  'For more details see ping(8).\n';

export const HOSTNAME_USAGE =
  'Usage: hostname [-b] {hostname|-F file}         set host name (from file)\n' +
  '       hostname [-a|-A|-d|-f|-i|-I|-s|-y]       display formatted name\n' +
  '       hostname                                 display host name\n' +
  '\n' +
  '       {yp,nis,}domainname {nisdomain|-F file}  set NIS domain name (from file)\n' +
  '       {yp,nis,}domainname                      display NIS domain name\n' +
  '\n' +
  '       dnsdomainname                            display dns domain name\n' +
  '\n' +
  '       hostname -V|--version|-h|--help          print info and exit\n' +
  '\n' +
  'Program name:\n' +
  '       {yp,nis,}domainname=hostname -y\n' +
  '       dnsdomainname=hostname -d\n' +
  '\n' +
  'Program options:\n' +
  '    -a, --alias            alias names\n' +
  '    -A, --all-fqdns        all long host names (FQDNs)\n' +
  '    -b, --boot             set default hostname if none available\n' +
  '    -d, --domain           DNS domain name\n' +
  '    -f, --fqdn, --long     long host name (FQDN)\n' +
  '    -F, --file             read host name or NIS domain name from given file\n' +
  '    -i, --ip-address       addresses for the host name\n' +
  '    -I, --all-ip-addresses all addresses for the host\n' +
  '    -s, --short            short host name\n' +
  '    -y, --yp, --nis        NIS/YP domain name\n' +
  '\n' +
  'Description:\n' +
  '   This command can get or set the host name or the NIS domain name. You can\n' +
  '   also get the DNS domain or the FQDN (fully qualified domain name).\n' +
  '   Unless you are using bind or NIS for host lookups you can change the\n' +
  '   FQDN (Fully Qualified Domain Name) and the DNS domain name (which is\n' +
  '   part of the FQDN) in the /etc/hosts file.\n';

export const IP_USAGE =
  'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n' +
  '       ip [ -force ] -batch filename\n' +
  'where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n' +
  '                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n' +
  '                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n' +
  '                   ntbl | route | rule | sr | tap | tcpmetrics |\n' +
  '                   token | tunnel | tuntap | vrf | xfrm }\n' +
  '       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n' +
  '                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n' +
  '                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n' +
  '                    -4 | -6 | -M | -B | -0 |\n' +
  '                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n' +
  '                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n' +
  '                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n' +
  '                    -c[olor]}\n';
