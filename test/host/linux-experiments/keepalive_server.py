# In lx-b: accept one connection and block in recv().
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 80)); s.listen(4)
c, a = s.accept(); T0 = time.time()
try:
    print(f'{time.time()-T0:.2f} server recv ->', c.recv(10), flush=True)
except OSError as e:
    print(f'{time.time()-T0:.2f} server recv:', e, flush=True)
