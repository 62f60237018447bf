//! Servers on 127.0.0.1 for the tests: small HTTP servers written here
//! (hubs and subscribers that record what they are sent), and the starting
//! of server programs (nginx, moto, a Python hub) on a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for `port` on 127.0.0.1 to take connections, at most `limit`;
/// panics if it does not, or if `server` (called `name`) exits first, with
/// what it wrote to its standard error when that is piped.
pub fn wait_for(server: &mut Child, port: u16, name: &str, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < limit, "{name} did not start");
        if let Ok(Some(status)) = server.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = server.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("{name} exited with {status}: {err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether nginx is installed; says the test skips when it is not.
pub fn nginx_installed() -> bool {
    let found = Command::new("nginx").arg("-v").output().is_ok();
    if !found {
        eprintln!("skipping: nginx is not installed (apt-get install nginx-light)");
    }
    found
}

/// Starts nginx on 127.0.0.1:`port` with `dir` as its prefix (its
/// configuration, pid and temporary files) and `lines` inside its one
/// `server` block; its standard error is piped (see [`wait_for`]).
pub fn start_nginx(dir: &Path, port: u16, lines: &str) -> Child {
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n  include /etc/nginx/mime.types;\n  access_log off;\n  client_body_temp_path {d};\n  proxy_temp_path {d};\n  fastcgi_temp_path {d};\n  uwsgi_temp_path {d};\n  scgi_temp_path {d};\n  server {{\n    listen 127.0.0.1:{port};\n{lines}  }}\n}}\n",
        d = dir.display(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// One HTTP request, as [`serve`] read it.
#[derive(Debug, Default)]
pub struct Request {
    /// The path of the request line.
    pub path: String,
    /// Every header, its name lowercased, its value trimmed, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields of the body read as a form (`application/x-www-form-urlencoded`), in order.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

/// Reads one HTTP request (its `Content-Length` body too); `None` if it is
/// cut short, malformed, or takes more than 5 seconds a read.
fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        path,
        headers,
        body,
    })
}

/// An answer to a request.
pub struct Reply {
    /// The code and reason: `204 No Content`.
    pub status: String,
    /// Extra header lines, each ending in CRLF.
    pub headers: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// `status` with no extra header and no body.
    pub fn empty(status: &str) -> Reply {
        Reply {
            status: status.to_string(),
            headers: String::new(),
            body: Vec::new(),
        }
    }
}

/// Serves HTTP on 127.0.0.1 from a thread of its own and returns its
/// address, `http://127.0.0.1:PORT` (no slash at the end). Each connection
/// carries one request: it is read (`None` when it could not be, see
/// [`read_request`]) and handed to `handle`, whose reply is sent with its
/// `Content-Length` and `Connection: close`; a handler that returns `None`
/// leaves the connection open and unanswered until the server stops.
///
/// Bounded whatever the test does: the server stops after `requests`
/// requests (answered or not) or after `time`.
pub fn serve<F>(requests: usize, time: Duration, mut handle: F) -> String
where
    F: FnMut(Option<Request>) -> Option<Reply> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut answered = 0;
        let mut held = Vec::new();
        while answered < requests && start.elapsed() < time {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            answered += 1;
            let Some(reply) = handle(read_request(&stream)) else {
                held.push(stream);
                continue;
            };
            let head = format!(
                "HTTP/1.1 {}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
                reply.status,
                reply.headers,
                reply.body.len()
            );
            let _ = stream.write_all(&[head.as_bytes(), &reply.body].concat());
        }
    });
    address
}
