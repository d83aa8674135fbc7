//! Starts the real server binary on a free port in a temporary data directory, runs the operator
//! CLI against the same directory, and offers a small JSON HTTP client.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_smartenroll");

pub struct Server {
    child: Child,
    /// Everything the server wrote to stderr (its logs), collected by a reader thread so the pipe
    /// never fills up.
    logs: std::sync::Arc<std::sync::Mutex<String>>,
    pub base: String,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    pub http: reqwest::Client,
    /// Environment for the server and every CLI call (the AWS backend's settings).
    env: Vec<(String, String)>,
}

fn command(data_dir: &Path, env: &[(String, String)]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(data_dir)
        .env_remove("SMARTENROLL_JWT_SECRET")
        .env_remove("SMARTENROLL_RATE_LIMITS")
        .env_remove("SMARTENROLL_BACKEND")
        .env("SMARTENROLL_LOG", "warn")
        // Test receivers (webhooks, blocklist APIs) listen on 127.0.0.1; a test of the outbound
        // guard itself sets this to 0.
        .env("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "1")
        // No face engine unless a test asks for it (`face_engine_env`): planning the models costs
        // every server start a few hundred milliseconds, and most tests never send a face.
        .env("SMARTENROLL_MODELS_DIR", "/nonexistent/smartenroll-models");
    // The caller's environment last: a test may ask for more verbose logs.
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c
}

impl Server {
    /// A server on a fresh data directory with `args` after `serve`.
    pub fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_path_buf();
        let mut s = Server::start_on(&path, args).expect("server starts");
        s._dir = Some(dir);
        s
    }

    /// A server on a fresh data directory with extra environment (e.g. `SMARTENROLL_PUBLIC_URL`).
    pub fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut s = Server::start_with(dir.path(), args, env).expect("server starts");
        s._dir = Some(dir);
        s
    }

    /// A server on an existing data directory; `Err(stderr)` if it exits instead of listening.
    pub fn start_on(data_dir: &Path, args: &[&str]) -> Result<Server, String> {
        Server::start_with(data_dir, args, Vec::new())
    }

    /// [`Server::start_on`] with extra environment.
    pub fn start_on_env(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Server, String> {
        Server::start_with(data_dir, args, env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// A server on the AWS backend: DynamoDB on the local AWS-protocol server (scripts/test points
    /// `AWS_ENDPOINT_URL` at it), a fresh table created by the server itself.
    pub fn start_aws(args: &[&str]) -> Server {
        Server::start_aws_env(args, &[])
    }

    /// [`Server::start_aws`] with extra environment.
    pub fn start_aws_env(args: &[&str], extra: &[(&str, &str)]) -> Server {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test sets it)");
        assert!(endpoint.starts_with("http://127.0.0.1:"), "refusing a non-loopback AWS endpoint: {endpoint}");
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).expect("random");
        let env = vec![
            ("SMARTENROLL_BACKEND".to_string(), "aws".to_string()),
            ("SMARTENROLL_TABLE".to_string(), format!("e2e-{}", hex::encode(suffix))),
            ("SMARTENROLL_JWT_SECRET".to_string(), "e2e-secret-that-is-at-least-32-bytes-long".to_string()),
            ("SMARTENROLL_BUCKET".to_string(), format!("e2e-{}", hex::encode(suffix))),
            // moto's queue URL scheme; `--create-table` creates the queue (and its DLQ) by this name.
            ("SMARTENROLL_JOBS_QUEUE_URL".to_string(), format!("{endpoint}/123456789012/e2e-{}", hex::encode(suffix))),
        ];
        let mut env = env;
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = args.to_vec();
        args.push("--create-table");
        let mut s = Server::start_with(dir.path(), &args, env).expect("server starts on the AWS backend");
        s._dir = Some(dir);
        s
    }

    /// A second server process on this one's AWS table, bucket and queue (its own empty data
    /// directory): two nodes sharing one store, as two Lambda sandboxes do.
    pub fn start_sharing(&self) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Server::start_with(dir.path(), &[], self.env.clone()).expect("a second server on the same store");
        s._dir = Some(dir);
        s
    }

    fn start_with(data_dir: &Path, args: &[&str], env: Vec<(String, String)>) -> Result<Server, String> {
        let mut child = command(data_dir, &env)
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let Some(base) = line.trim().strip_prefix("smartenroll listening on ") else {
            let out = child.wait_with_output().expect("wait");
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        };
        let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        Ok(Server { base: base.to_string(), child, logs, data_dir: data_dir.to_path_buf(), _dir: None, http: reqwest::Client::new(), env })
    }

    /// What the server has logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// A setting of the server's environment (AWS backend: table, bucket, queue).
    pub fn env_value(&self, name: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Runs the operator CLI on this server's data directory; `Ok(stdout)` or `Err(stderr)`.
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let out = command(&self.data_dir, &self.env).args(args).output().expect("run the CLI");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A new client and a token for it, both through the CLI as an operator would.
    pub fn new_client(&self, name: &str) -> Tenant {
        let id = self.cli(&["client", "create", "--name", name, "--email", "ops@example.com"]).expect("client create");
        let token = self.cli(&["token", "issue", "--client", &id]).expect("token issue");
        Tenant { id, token }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Reply::from(req.send().await.expect("HTTP call")).await
    }

    pub async fn raw(&self, req: reqwest::RequestBuilder) -> Reply {
        Reply::from(req.send().await.expect("HTTP call")).await
    }

    /// Kills the process outright (SIGKILL): a crash, with no chance to finish anything.
    pub fn kill_hard(mut self) {
        if self.child.kill().is_ok() && self.child.wait().is_err() {
            eprintln!("could not reap the server process");
        }
    }

    /// Stops the process the way an operator's service manager would.
    pub fn stop(mut self) -> Option<tempfile::TempDir> {
        self.kill();
        self._dir.take()
    }

    fn kill(&mut self) {
        // SIGTERM first for a graceful shutdown; SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        if Command::new("kill").args(["-TERM", &pid]).stderr(Stdio::null()).status().is_err() {
            eprintln!("could not send SIGTERM to the server");
        }
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if self.child.kill().is_ok() && self.child.wait().is_err() {
            eprintln!("could not reap the server process");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Tenant {
    pub id: String,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    async fn from(r: reqwest::Response) -> Reply {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every error body is `{message, code}` (plus `details` for validation), never internal text.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body {}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", self.body);
    }

    pub fn detail_fields(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .map(|d| d.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }
}

/// Step 1 of the reference's guide.
pub fn step_one(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "allowedCountries": ["Colombia", "Mexico"],
        "contactEmail": "privacy@acme.example",
        "privacyUrl": "https://acme.example/privacy",
        "termsAndConditionsUrl": "https://acme.example/terms",
        "dataProtection": {"name": "Acme DPO", "email": "dpo@acme.example", "address": "Calle 100 #10-20", "city": "Bogota", "country": "Colombia", "postalCode": "110111"},
        "target": "personal"
    })
}

/// Steps 2–6 as the guide's PUT bodies.
pub fn steps_two_to_six() -> Vec<Value> {
    vec![
        serde_json::json!({"projectFlowType": "onboarding", "projectFlow": {"target": "personal", "type": "onboarding", "signUpForm": {
            "fullName": true, "fullNameStyle": "together", "email": true, "emailGateway": "mailgun", "phone": true, "phoneGateway": "sms",
            "allowAdditionalFields": false, "additionalFields": [], "showPrivacyNotice": true, "showTermsAndConditions": true}}}),
        serde_json::json!({"projectFlowType": "onboarding", "projectFlow": {"target": "personal", "type": "onboarding", "steps": {"document": "mandatory"},
            "documents": {"attemptLimit": 3, "verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia",
            "configurations": [{"active": true, "documentCategory": "government_id", "documentTemplates": []}]}],
            "screening": true, "informationVerification": false, "criminalHistoryVerification": false}}}),
        serde_json::json!({"projectFlowType": "onboarding", "projectFlow": {"target": "personal", "type": "onboarding", "steps": {"liveness": "mandatory"},
            "liveness": {"attemptLimit": 3, "minScore": 0.65, "searchMinScore": 0.80, "searchMode": "FAST"}}}),
        serde_json::json!({"projectFlowType": "onboarding", "projectFlow": {"target": "personal", "type": "onboarding", "integrations": {
            "redirectUrl": "https://acme.example/kyc/done", "webhook": null, "source": "NONE", "strategy": "none"}}}),
        serde_json::json!({"branding": {"backgroundColor": "#01236D", "buttonColor": "#B2BDD3", "buttonTextColor": "#FFFFFF",
            "titleColor": "#000000", "textColor": "#8091B6", "imageBackgroundColor": "white", "logo": "https://acme.example/logo.png", "image": null}}),
    ]
}

/// A local stand-in for the message providers (Mailgun, the Twilio-shaped text API): records
/// every form POST and answers like the provider does.
pub struct MessageReceiver {
    pub base: String,
    seen: Received,
}

/// Each request's path and form fields.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<(String, String)>)>>>;

impl MessageReceiver {
    pub async fn start() -> MessageReceiver {
        use axum::extract::State;
        async fn record(State(seen): State<Received>, uri: axum::http::Uri, body: String) -> (axum::http::StatusCode, String) {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
            let path = uri.path().to_string();
            let answer = if path.contains("/Messages.json") { r#"{"sid":"SM0001"}"# } else { r#"{"id":"<1@mg>","message":"Queued"}"# };
            seen.lock().expect("lock").push((path, form));
            (axum::http::StatusCode::OK, answer.to_string())
        }
        let seen: Received = Default::default();
        let app = axum::Router::new().route("/{*path}", axum::routing::post(record)).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        MessageReceiver { base, seen }
    }

    /// The server settings pointing both providers here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SMARTENROLL_MAILGUN_BASE_URL", self.base.clone()),
            ("SMARTENROLL_MAILGUN_API_KEY", "key-test".into()),
            ("SMARTENROLL_MAILGUN_DOMAIN", "mg.acme.example".into()),
            ("SMARTENROLL_MAILGUN_FROM", "Acme KYC <no-reply@mg.acme.example>".into()),
            ("SMARTENROLL_TWILIO_BASE_URL", self.base.clone()),
            ("SMARTENROLL_TWILIO_ACCOUNT_SID", "AC0001".into()),
            ("SMARTENROLL_TWILIO_AUTH_TOKEN", "tok-test".into()),
            ("SMARTENROLL_TWILIO_SMS_FROM", "+15550001111".into()),
            ("SMARTENROLL_TWILIO_WHATSAPP_FROM", "+15550002222".into()),
        ]
    }

    /// Every request so far: path and form fields.
    pub fn seen(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.seen.lock().expect("lock").clone()
    }

    /// The six-digit code in the last message to `to` (the `to` or `To` field).
    pub fn last_code_to(&self, to: &str) -> Option<String> {
        self.seen().iter().rev().find_map(|(_, form)| {
            let addressed = form.iter().any(|(k, v)| (k == "to" || k == "To") && v == to);
            let text = form.iter().find(|(k, _)| k == "text" || k == "Body").map(|(_, v)| v.clone())?;
            addressed.then(|| text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_string)).flatten()
        })
    }
}

/// One line for the summary scripts/test prints at the end of a run (what a test covered: routes,
/// cases, examples), written to `$SMARTENROLL_TEST_REPORT/<name>` when that is set; always printed.
pub fn report(name: &str, line: &str) {
    println!("{line}");
    if let Ok(dir) = std::env::var("SMARTENROLL_TEST_REPORT")
        && let Err(e) = std::fs::write(std::path::Path::new(&dir).join(name), format!("{line}\n"))
    {
        eprintln!("could not write the test report {name}: {e}");
    }
}
