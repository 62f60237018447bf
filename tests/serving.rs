//! The README's nginx lines serve every format with its own media type:
//! nginx, when installed (`.ci/run` installs it), serves a build of the
//! fixture site on 127.0.0.1 with exactly the lines the README gives, and
//! every file's `Content-Type` is checked. Bounded: one nginx process, a
//! few requests, stopped at the end.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The nginx lines of README.md, between its marker and the end of the
/// fenced block after it.
fn readme_lines() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split_once("<!-- nginx-media-types -->")
        .expect("README.md marks its nginx lines")
        .1;
    let block = after.split_once("```nginx\n").unwrap().1;
    block.split_once("```").unwrap().0.to_string()
}

/// The `Content-Type` nginx answers for `path`.
fn content_type(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
    answer
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .unwrap_or_else(|| panic!("{path}: no Content-Type in {answer}"))
        .to_string()
}

#[test]
fn the_readme_nginx_lines_serve_each_format_with_its_media_type() {
    if Command::new("nginx").arg("-v").output().is_err() {
        eprintln!("skipping: nginx is not installed (apt-get install nginx)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("feeds");
    build_site(&fixture("site"), &out);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n  include /etc/nginx/mime.types;\n  access_log off;\n  client_body_temp_path {dir};\n  proxy_temp_path {dir};\n  fastcgi_temp_path {dir};\n  uwsgi_temp_path {dir};\n  scgi_temp_path {dir};\n  server {{\n    listen 127.0.0.1:{port};\n    root {dir};\n    location /feeds/ {{\n{lines}    }}\n  }}\n}}\n",
        dir = work.path().display(),
        lines = readme_lines(),
    );
    std::fs::write(work.path().join("nginx.conf"), conf).unwrap();
    let mut nginx = Command::new("nginx")
        .arg("-p")
        .arg(work.path())
        .arg("-c")
        .arg(work.path().join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nginx did not start"
        );
        if let Ok(Some(status)) = nginx.try_wait() {
            let mut err = String::new();
            let _ = nginx.stderr.take().unwrap().read_to_string(&mut err);
            panic!("nginx exited with {status}: {err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let checks = [
        ("/feeds/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feeds/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feeds/feed.json", "application/feed+json; charset=utf-8"),
        ("/feeds/feeds.opml", "text/x-opml; charset=utf-8"),
        (
            "/feeds/ministers/phil-goff/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/feeds/portfolios/defence/rss.xml",
            "application/rss+xml; charset=utf-8",
        ),
        ("/feeds/index.html", "text/html"),
    ];
    let answers: Vec<(String, String)> = checks
        .iter()
        .map(|(path, _)| (path.to_string(), content_type(port, path)))
        .collect();
    let _ = nginx.kill();
    let _ = nginx.wait();
    for ((path, want), (_, got)) in checks.iter().zip(&answers) {
        assert_eq!(got, want, "{path}");
    }
}
