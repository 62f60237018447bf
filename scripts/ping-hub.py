"""A WebSub hub for benchmarks: answers 204 to every POST (a publish ping),
and GET / with the number of POSTs so far. python3 scripts/ping-hub.py PORT"""
import http.server, sys, threading
count = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with lock:
            count += 1
        self.send_response(204); self.end_headers()
    def do_GET(self):
        body = str(count).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
