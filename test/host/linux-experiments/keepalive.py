# In lx-a: SO_KEEPALIVE, TCP_KEEPIDLE 2, TCP_KEEPINTVL 1, TCP_KEEPCNT 3; after
# 0.5 s our INPUT drops everything from the server; block in recv().
import socket, subprocess, time
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
s = socket.socket(); s.connect(('10.77.0.2', 80))
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 2)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
time.sleep(0.5)
subprocess.run('iptables -I INPUT -s 10.77.0.2 -j DROP', shell=True)
T0 = time.time()
try:
    s.recv(10)
except OSError as e:
    print(f'{time.time()-T0:.2f} client recv:', e)
print(sh('nstat -az TcpExtTCPKeepAlive TcpOutRsts TcpExtTCPAbortOnTimeout'))
