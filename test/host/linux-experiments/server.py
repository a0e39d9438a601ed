# In lx-b: accept on port 80, read until EOF, close; forever.
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 80)); s.listen(64)
while True:
    c, a = s.accept()
    while c.recv(100): pass
    c.close()
