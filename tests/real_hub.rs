//! Push through a real hub, end to end: Flask-WebSub's hub and subscriber
//! (PyPI `flask-websub` 0.4.1, `tests/flask_websub_hub.py`) and nginx
//! serving the output folder with what `pressfeed server-config nginx`
//! prints, all on 127.0.0.1. The subscriber discovers the hub from a served
//! `atom.xml`, subscribes (the hub verifies the intent), a new release is
//! built, pressfeed pings the hub, the hub fetches the feed from nginx
//! (checking its `Link` headers) and delivers it to the subscriber.
//!
//! A second, independent hub is told at the same time: a minimal hub of
//! the PubSubHubbub 0.3 kind written here, which reads only `hub.url`,
//! fetches the document from nginx, requires its `Link` headers as
//! Flask-WebSub does, and delivers it to a subscriber of its own.
//!
//! `.ci/run` installs nginx and flask-websub; elsewhere the test says it
//! skips. Bounded: two server processes, killed at the end (the hub exits
//! by itself after two minutes), a few requests.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::servers::{Reply, free_port, nginx_installed, serve, start_nginx, wait_for};
use common::*;

fn python() -> String {
    std::env::var("PRESSFEED_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn build(dir: &Path) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(["build", "--seeds", "seeds", "--out", "feeds", "-q"])
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

fn get_json(url: &str) -> serde_json::Value {
    let mut response = ureq::get(url).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

type Deliveries = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// The servers written here answer at most 200 requests and stop after two
/// minutes.
const REQUESTS: usize = 200;
const TIME: Duration = Duration::from_secs(120);

/// A subscriber that records every delivery: (its `Link` header, body).
fn recording_subscriber() -> (String, Deliveries) {
    let got: Deliveries = Default::default();
    let record = got.clone();
    let address = serve(REQUESTS, TIME, move |request| {
        if let Some(request) = request {
            let link = request
                .headers
                .iter()
                .filter(|(k, _)| k == "link")
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            record
                .lock()
                .unwrap()
                .push((link, String::from_utf8_lossy(&request.body).into_owned()));
        }
        Some(Reply::empty("204 No Content"))
    });
    (format!("{address}/callback"), got)
}

/// A hub of the PubSubHubbub 0.3 kind: reads only `hub.url` (every one in
/// the form), fetches each document, refuses one without both `Link`
/// headers, and delivers it to `subscriber`.
fn pubsubhubbub_hub(subscriber: String) -> String {
    let address = serve(REQUESTS, TIME, move |request| {
        let mut status = "400 Bad Request";
        if let Some(request) = request {
            let form = request.form();
            let urls: Vec<&str> = form
                .iter()
                .filter(|(k, _)| k == "hub.url")
                .map(|(_, v)| v.as_str())
                .collect();
            let publish = form.iter().any(|(k, v)| k == "hub.mode" && v == "publish");
            if publish && !urls.is_empty() {
                status = "204 No Content";
                for topic in urls {
                    let Ok(mut fetched) = ureq::get(topic).call() else {
                        status = "502 Bad Gateway";
                        continue;
                    };
                    let link: Vec<String> = fetched
                        .headers()
                        .get_all("link")
                        .iter()
                        .filter_map(|v| v.to_str().ok().map(str::to_string))
                        .collect();
                    let link = link.join(", ");
                    if !link.contains("rel=\"hub\"") || !link.contains("rel=\"self\"") {
                        status = "422 Unprocessable Entity";
                        continue;
                    }
                    let body = fetched.body_mut().read_to_vec().unwrap_or_default();
                    let _ = ureq::post(&subscriber)
                        .header("Link", &link)
                        .send(&body[..]);
                }
            }
        }
        Some(Reply::empty(status))
    });
    format!("{address}/")
}

/// Kills the servers however the test ends.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn a_new_release_reaches_subscribers_through_flask_websub_and_a_pubsubhubbub_hub() {
    if !nginx_installed() {
        return;
    }
    let probe = Command::new(python())
        .args(["-c", "import flask_websub.hub, celery"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "skipping: Flask-WebSub is not installed (pip install 'flask-websub[celery]==0.4.1', or set PRESSFEED_PYTHON)"
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let _ = Command::new("chmod").arg("755").arg(dir).status();
    let (web, hub_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{web}/feeds/");
    let hub = format!("http://127.0.0.1:{hub_port}/hub");
    let (subscriber, delivered) = recording_subscriber();
    let second = pubsubhubbub_hub(subscriber);
    std::fs::create_dir(dir.join("seeds")).unwrap();
    std::fs::write(dir.join("seeds/1.md"), release(1, "Jane Doe")).unwrap();
    std::fs::write(dir.join("seeds/2.md"), release(2, "John Roe")).unwrap();
    std::fs::write(
        dir.join("pressfeed.toml"),
        // Flask-WebSub's subscriber takes the last hub a document names.
        format!("base_url = \"{base}\"\nhubs = [\"{second}\", \"{hub}\"]\n"),
    )
    .unwrap();

    let lines = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(["server-config", "nginx", "--out", "feeds"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(lines.status.success(), "{}", stderr(&lines));
    std::fs::create_dir(dir.join("hub")).unwrap();
    let mut servers = Servers(Vec::new());
    servers.0.push(start_nginx(
        dir,
        web,
        &String::from_utf8_lossy(&lines.stdout),
    ));
    servers.0.push(
        Command::new(python())
            .arg(root().join("tests/flask_websub_hub.py"))
            .arg(hub_port.to_string())
            .arg(dir.join("hub"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let limit = Duration::from_secs(30);
    wait_for(&mut servers.0[0], web, "nginx", limit);
    wait_for(&mut servers.0[1], hub_port, "the hub", limit);

    // The first build: both hubs accept every ping (Flask-WebSub's has no
    // subscriber yet; the other delivers every document).
    let o = build(dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(delivered.lock().unwrap().len(), 12);
    delivered.lock().unwrap().clear();

    // The subscriber discovers the hub and the topic from the served feed.
    let topic = format!("{base}ministers/jane-doe/atom.xml");
    let mut found = ureq::post(format!("http://127.0.0.1:{hub_port}/subscribe?url={topic}"))
        .send_empty()
        .unwrap();
    let found: serde_json::Value =
        serde_json::from_str(&found.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(found["topic_url"], topic.as_str(), "{found}");
    assert_eq!(found["hub_url"], hub.as_str(), "{found}");
    let state = get_json(&format!("http://127.0.0.1:{hub_port}/subscribed"));
    assert_eq!(state["subscribed"], serde_json::json!([topic]), "{state}");

    // A new release of Jane Doe's: built, pinged, fetched, delivered.
    std::fs::write(dir.join("seeds/3.md"), release(3, "Jane Doe")).unwrap();
    let o = build(dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let start = Instant::now();
    let received = loop {
        let received = get_json(&format!("http://127.0.0.1:{hub_port}/received"));
        if received.as_array().is_some_and(|r| !r.is_empty())
            || start.elapsed() > Duration::from_secs(10)
        {
            break received;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let received = received.as_array().unwrap();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0][0], topic.as_str());
    let body = received[0][1].as_str().unwrap();
    assert!(body.contains("<title>Release 3</title>"), "{body}");

    // The second hub delivered the same document, with its Link headers.
    let second: Vec<(String, String)> = delivered.lock().unwrap().clone();
    let own = format!("<{topic}>; rel=\"self\"");
    let jane: Vec<&(String, String)> = second
        .iter()
        .filter(|(link, _)| link.contains(&own))
        .collect();
    assert_eq!(jane.len(), 1, "{second:?}");
    assert!(
        jane[0].1.contains("<title>Release 3</title>"),
        "{}",
        jane[0].1
    );
    assert_eq!(
        second.len(),
        9,
        "the changed documents: global, Finance, Jane Doe"
    );
    drop(servers);
}
