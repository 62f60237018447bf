//! `pressfeed server-config nginx|apache` serves every kind of file with its
//! media type and charset, and every subscription document with the WebSub
//! `Link` headers: nginx and Apache, when installed (`.ci/run` installs
//! both), serve a build of the fixture site on 127.0.0.1 with exactly the
//! printed configuration, and every kind of file's `Content-Type` and
//! `Link` headers are checked. Bounded: one server process, a few requests,
//! stopped at the end.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::servers::{self, free_port, nginx_installed, start_nginx};
use common::*;

const BASE: &str = "https://example.govt.nz/feeds/";
const HUBS: [&str; 2] = ["https://hub.example/", "https://other.example/websub"];

/// Status line, `Content-Type` and `Link` headers the server answers for a
/// `HEAD` of `path`.
fn head(port: u16, path: &str) -> (String, String, Vec<String>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer.lines().next().unwrap_or("").to_string();
    let mut content_type = String::new();
    let mut links = Vec::new();
    for line in answer.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.trim().to_string(),
            "link" => links.extend(value.split(", <").map(|l| {
                let l = l.trim();
                match l.starts_with('<') {
                    true => l.to_string(),
                    false => format!("<{l}"),
                }
            })),
            _ => {}
        }
    }
    (status, content_type, links)
}

/// A build of the fixture site with two hubs, and the configuration.
fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    // The server's workers may run as another user.
    let _ = Command::new("chmod").arg("755").arg(work.path()).status();
    let site = fixture("site");
    let config = work.path().join("pressfeed.toml");
    let mut text = std::fs::read_to_string(site.join("pressfeed.toml")).unwrap();
    text = format!(
        "hubs = [{}]\n{text}",
        HUBS.map(|h| format!("{h:?}")).join(", ")
    );
    std::fs::write(&config, text).unwrap();
    let out = work.path().join("feeds");
    let o = pressfeed(
        &site,
        &[
            "build",
            "--seeds",
            "seeds",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--no-ping",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    (work, config)
}

/// What `pressfeed server-config SERVER` prints for the build.
fn server_config(server: &str, config: &Path, out: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(["server-config", server, "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Waits for the server on `port` to answer, or panics with its error.
fn wait_for(server: &mut Child, port: u16) {
    servers::wait_for(server, port, "the server", Duration::from_secs(20));
}

/// Checks every kind of file the build has, as served on `port`.
fn check_every_kind(port: u16, out: &Path) {
    let files = tree(out);
    let kinds: [(&str, &str, bool); 13] = [
        ("rss.xml", "application/rss+xml; charset=utf-8", true),
        ("atom.xml", "application/atom+xml; charset=utf-8", true),
        ("feed.json", "application/feed+json; charset=utf-8", true),
        (
            "portfolios/finance/atom.xml",
            "application/atom+xml; charset=utf-8",
            true,
        ),
        (
            "ministers/phil-goff/feed.json",
            "application/feed+json; charset=utf-8",
            true,
        ),
        (
            "archive/1/rss.xml",
            "application/rss+xml; charset=utf-8",
            false,
        ),
        (
            "archive/1/atom.xml",
            "application/atom+xml; charset=utf-8",
            false,
        ),
        (
            "archive/1/feed.json",
            "application/feed+json; charset=utf-8",
            false,
        ),
        ("index.html", "text/html; charset=utf-8", false),
        ("", "text/html; charset=utf-8", false),
        ("history/2024.html", "text/html; charset=utf-8", false),
        ("feeds.opml", "text/x-opml; charset=utf-8", false),
        ("sitemap.xml", "application/xml; charset=utf-8", false),
    ];
    for (path, media_type, subscription) in kinds {
        assert!(
            path.is_empty() || files.contains_key(path),
            "the fixture has no {path}"
        );
        let (status, content_type, links) = head(port, &format!("/feeds/{path}"));
        assert!(status.contains(" 200 "), "{path}: {status}");
        assert_eq!(content_type, media_type, "{path}");
        let mut want: Vec<String> = Vec::new();
        if subscription {
            want.extend(HUBS.iter().map(|h| format!("<{h}>; rel=\"hub\"")));
            want.push(format!("<{BASE}{path}>; rel=\"self\""));
        }
        let mut got = links.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{path}");
    }
    // pressfeed's hidden state is not served.
    for hidden in [".pressfeed-manifest", "portfolios/.pressfeed-manifest"] {
        let (status, ..) = head(port, &format!("/feeds/{hidden}"));
        assert!(
            status.contains(" 404 ") || status.contains(" 403 "),
            "{hidden}: {status}"
        );
    }
}

#[test]
fn nginx_serves_every_kind_of_file_as_server_config_says() {
    if !nginx_installed() {
        return;
    }
    let (work, config) = built();
    let out = work.path().join("feeds");
    let port = free_port();
    let mut nginx = start_nginx(work.path(), port, &server_config("nginx", &config, &out));
    wait_for(&mut nginx, port);
    let checked = std::panic::catch_unwind(|| check_every_kind(port, &out));
    let _ = nginx.kill();
    let _ = nginx.wait();
    if let Err(e) = checked {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn apache_serves_every_kind_of_file_as_server_config_says() {
    let apache = ["/usr/sbin/apache2", "/usr/sbin/httpd"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let modules = ["/usr/lib/apache2/modules", "/usr/lib64/httpd/modules"]
        .into_iter()
        .find(|p| Path::new(p).join("mod_headers.so").is_file());
    let (Some(apache), Some(modules)) = (apache, modules) else {
        eprintln!("skipping: Apache is not installed (apt-get install apache2)");
        return;
    };
    let (work, config) = built();
    let out = work.path().join("feeds");
    let port = free_port();
    let dir = work.path().display();
    let load: String = [
        ("mpm_event", "mod_mpm_event"),
        ("authz_core", "mod_authz_core"),
        ("mime", "mod_mime"),
        ("headers", "mod_headers"),
        ("alias", "mod_alias"),
        ("dir", "mod_dir"),
    ]
    .iter()
    .map(|(name, file)| format!("LoadModule {name}_module {modules}/{file}.so\n"))
    .collect();
    let conf = format!(
        "ServerRoot {dir}\nPidFile {dir}/apache.pid\nListen 127.0.0.1:{port}\nServerName 127.0.0.1\nErrorLog /dev/stderr\n{load}TypesConfig /etc/mime.types\nDocumentRoot {dir}/empty\n{lines}",
        lines = server_config("apache", &config, &out),
    );
    std::fs::create_dir(work.path().join("empty")).unwrap();
    std::fs::write(work.path().join("apache.conf"), conf).unwrap();
    let mut server = Command::new(apache)
        .arg("-f")
        .arg(work.path().join("apache.conf"))
        .arg("-DFOREGROUND")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&mut server, port);
    let checked = std::panic::catch_unwind(|| check_every_kind(port, &out));
    // SIGTERM: Apache stops its workers too.
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    if let Err(e) = checked {
        std::panic::resume_unwind(e);
    }
}
