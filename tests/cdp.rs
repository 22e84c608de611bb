//! A page in headless Chromium driven over the DevTools protocol, for the
//! checks that need a user's hand on the page: typing into a field and
//! pressing a button. The browser runs in its own process group and is
//! killed with it when the page is dropped, pass or fail.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};

/// How long the browser may take to start and a condition to come true.
const LIMIT: Duration = Duration::from_secs(60);

/// A browser tab under the test's control.
pub struct Page {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
    _profile: tempfile::TempDir,
}

impl Page {
    /// Starts the browser with a window of `width`×`height` and opens `url`.
    pub fn open(browser: &Path, url: &str, width: u32, height: u32) -> Page {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-crash-reporter",
                "--disable-breakpad",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start chromium");
        // Chromium says where its DevTools endpoint listens on stderr.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(ws) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(ws.trim().to_owned());
                }
            }
        });
        let browser_ws = match rx.recv_timeout(LIMIT) {
            Ok(ws) => ws,
            Err(_) => {
                kill_group(&child);
                panic!("chromium did not open its DevTools endpoint within {LIMIT:?}");
            }
        };
        let host = browser_ws
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_owned();
        let targets: Value = crate::support::http()
            .get(format!("http://{host}/json/list"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let page_ws = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let (ws, _) = tungstenite::connect(page_ws).expect("connect to the page");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(LIMIT)).unwrap();
        }
        let mut page = Page {
            child,
            ws,
            next: 0,
            _profile: profile,
        };
        page.call("Page.navigate", json!({ "url": url }));
        page
    }

    /// Sends one DevTools command and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).expect("send to chromium");
        loop {
            let msg = self.ws.read().expect("read from chromium");
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise)
    /// and returns its value; a thrown error fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expression}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits, inside the page, until `expression` is truthy, re-checking
    /// whenever the DOM changes, and returns its value; fails after
    /// [`LIMIT`] with `what`.
    pub fn wait_until(&mut self, what: &str, expression: &str) -> Value {
        let script = format!(
            r#"new Promise((resolve, reject) => {{
                const test = () => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }};
                const now = test();
                if (now) return resolve(now);
                const seen = new MutationObserver(() => {{
                    const v = test();
                    if (v) {{ seen.disconnect(); clearTimeout(late); resolve(v); }}
                }});
                seen.observe(document, {{subtree: true, childList: true, attributes: true, characterData: true}});
                const late = setTimeout(() => {{ seen.disconnect(); reject(new Error({what:?} + ' did not happen')); }}, {ms});
            }})"#,
            ms = LIMIT.as_millis() / 2,
        );
        self.eval(&script)
    }

    /// Types `text` into the element `selector` as a keyboard would.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.eval(&format!("document.querySelector({selector:?}).focus()"));
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// Clicks the element `selector` with the mouse, at its centre.
    pub fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector:?}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }
}

fn kill_group(child: &Child) {
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

impl Drop for Page {
    fn drop(&mut self) {
        kill_group(&self.child);
        let _ = self.child.wait();
    }
}
