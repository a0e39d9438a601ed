# In lx-a with net.ipv4.tcp_max_tw_buckets=1: three active closes.
import socket, subprocess, time
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
for i in range(3):
    s = socket.socket(); s.connect(('10.77.0.2', 80)); time.sleep(0.02); s.close(); time.sleep(0.05)
print(sh('ss -tano'), sh('nstat -az TcpExtTW TcpExtTWKilled TcpExtTCPTimeWaitOverflow'))
