//! The live-mode test harness: the real `lockstep` binary on a free loopback port, plain
//! HTTP/1.1 requests, bounded waits.
#![allow(dead_code)] // each test file uses its own share of it

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INGEST: &str = "ingest-token-test";
pub const VIEWER: &str = "viewer-token-test";
pub const ADMIN: &str = "admin-token-test";
pub const ANALYST: &str = "analyst-token-test";

pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tokens(dir: &Path) -> PathBuf {
    let p = dir.join("tokens.txt");
    std::fs::write(
        &p,
        format!(
            "ingest {INGEST} producer\nviewer {VIEWER}\nadmin {ADMIN} ops\nanalyst {ANALYST} ana\n"
        ),
    )
    .unwrap();
    p
}

/// Start the server on a free port and wait (at most 30 s) for its "listening on" line.
pub fn start(data: &Path, tokens: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--tokens")
        .arg(tokens)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = Vec::new();
    let mut byte = [0u8; 1];
    while !text.ends_with(b"\n") {
        assert!(Instant::now() < deadline, "server did not start");
        if out.read(&mut byte).unwrap() == 0 {
            panic!("server exited: {}", String::from_utf8_lossy(&text));
        }
        text.push(byte[0]);
    }
    let line = String::from_utf8(text).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, addr }
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    ct: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req += &format!("Authorization: Bearer {t}\r\n");
    }
    if let Some(c) = ct {
        req += &format!("Content-Type: {c}\r\n");
    }
    req += "\r\n";
    s.write_all(req.as_bytes()).unwrap();
    // The server may answer (413) before reading a large body; a reset then is fine.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Reply {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

pub fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// `POST /v1/events` a CSV body with the ingest token; it must be accepted.
pub fn post_csv(s: &Server, body: &str) -> serde_json::Value {
    let r = http(
        &s.addr,
        "POST",
        "/v1/events",
        Some(INGEST),
        Some("text/csv"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

pub fn stats(s: &Server) -> serde_json::Value {
    json(&http(&s.addr, "GET", "/v1/stats", Some(VIEWER), None, b""))
}
