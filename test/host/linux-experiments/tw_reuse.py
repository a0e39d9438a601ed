# In lx-a: connect, close first (TIME_WAIT here), then connect again 0.15, 0.65,
# 1.05 and 1.35 s later. Argument 'bound': from port 40001 bound with SO_REUSEADDR.
import errno, socket, subprocess, sys, time
bound = len(sys.argv) > 1 and sys.argv[1] == 'bound'
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
def conn(label):
    s = socket.socket()
    if bound:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 40001))
    t = time.time()
    try:
        s.connect(('10.77.0.2', 80)); print(f'{t-T0:.3f} {label}: connected from port', s.getsockname()[1], flush=True); return s
    except OSError as e:
        print(f'{t-T0:.3f} {label}: {errno.errorcode[e.errno]}', flush=True); s.close(); return None
T0 = time.time()
s = conn('first'); time.sleep(0.05); s.close(); time.sleep(0.1)
print(sh('ss -tano state time-wait'), flush=True)
for label, pause in (('at 0.2s', 0), ('at 0.7s', 0.5), ('at 1.1s', 0.4), ('at 1.4s', 0.3)):
    time.sleep(pause)
    c = conn(label)
    if c: time.sleep(0.01); c.close()
time.sleep(0.1)
print(sh('ss -tano state time-wait'), sh('nstat -az TcpExtTWRecycled TcpExtTW TcpActiveOpens'), flush=True)
