# In lx-a: send 10 bytes, then lx-b drops everything from lx-a and we close():
# the orphaned FIN_WAIT1 retransmits its FIN until tcp_orphan_retries gives up.
import socket, subprocess, sys, time
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
s = socket.socket(); s.connect(('10.77.0.2', 80))
s.send(b'x' * 10); time.sleep(0.5)
subprocess.run('ip netns exec lx-b iptables -I INPUT -s 10.77.0.1 -j DROP', shell=True)
T0 = time.time(); s.close()
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 6):
    time.sleep(1); print(f'{time.time()-T0:.1f}', sh('ss -tano state all dst 10.77.0.2').strip().split('\n')[1:], flush=True)
print(sh('nstat -az TcpExtTCPAbortOnTimeout TcpOutRsts TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPLossProbes'))
